"""The demand side on the dashboard, in downloads and in the report (issue 9): published cells only, '..' where
protected, the demand/supply ratio from published cells, and the methods notes on /metod."""
from __future__ import annotations

import csv
import io

import lxml.html
import openpyxl
import pytest

from analysis.audit import audit_files
from analysis.counts import LEVELS
from analysis.demand import DEMAND_MEASURES
from web.report import render_report, report_data

from webdata import GEO, login

CODES = {"efterfrageannonser": "demand_ads", "recensioner": "reviews", "unika_recensenter": "unique_reviewers"}


@pytest.fixture
def analyst(client):
    login(client, "anna")
    return client


@pytest.fixture
def source(web_app):
    return web_app.state.source


def rows_of(html: str, table_id: str) -> dict[str, list[str]]:
    tree = lxml.html.fromstring(html)
    [table] = tree.xpath(f"//table[@id='{table_id}']")
    rows = {}
    for row in table.xpath("./tbody/tr"):
        cells = [" ".join(cell.text_content().split()) for cell in row.xpath("./th|./td")]
        rows[cells[0]] = cells[1:]
    return rows


def shown(cell) -> str:
    return ".." if cell.value is None else f"{cell.value:,}".replace(",", " ")


def supply_cell(table, label, code):
    try:
        return table.cell(label, code, "active_ads")
    except KeyError:  # no supply data then (reviews dated before the first crawl)
        return None


def ratio(demand_cell, supply_cell) -> str:
    if demand_cell.value is None or supply_cell is None or not supply_cell.value:
        return ".."
    return f"{demand_cell.value / supply_cell.value:.2f}".replace(".", ",")


@pytest.mark.parametrize("url, level, code", [("/", "riket", "SE"), ("/polisregion/V%C3%A4st", "polisregion", "Väst"),
                                              ("/lan/12", "lan", "12"), ("/kommun/1480", "kommun", "1480")])
def test_region_pages_show_the_published_demand_series_and_ratio(analyst, source, url, level, code):
    html = analyst.get(url + "?period=month").text
    demand = source.demand_table(level, "month")
    supply = source.table(level, "month")
    rows = rows_of(html, "tabell-efterfragan")
    labels = {row.period for row in demand.rows if row.region_code == code}
    assert set(rows) == labels and len(labels) >= 3
    for label, cells in rows.items():
        expected = [shown(demand.cell(label, code, m)) for m in DEMAND_MEASURES]
        assert cells[:3] == expected, (url, label)
        assert cells[3] == ratio(demand.cell(label, code, "demand_ads"), supply_cell(supply, label, code))
    assert "Efterfrågan: köpares annonser och recensioner" in html and demand.rule in html


def test_small_demand_cells_show_dots_and_reviewers_have_the_signal_threshold(analyst, source):
    html = analyst.get("/lan/12?period=week").text  # Skåne: Landskrona has two buyers' ads a week
    children = rows_of(html, "tabell-efterfragan-underregioner")
    published = source.demand_table("kommun", "week")
    label = max(r.period for r in published.rows if r.region_code == "1282")
    assert children["Landskrona"][0] == shown(published.cell(label, "1282", "demand_ads")) == ".."
    assert children["Landskrona"][3] == ".."  # no ratio from a protected cell
    for cells in children.values():
        assert not set(cells[:3]) & {"1", "2", "3", "4"}
    # Reviewers of one kommun in a week are fewer than ten: never shown, although their reviews may be.
    for row in published.rows:
        value = row.cells["unique_reviewers"].value
        assert value is None or value == 0 or value >= 10


def test_ratio_is_none_where_supply_is_suppressed(source):
    from analysis.demand import demand_supply_ratio

    demand, supply = source.demand_table("kommun", "month"), source.table("kommun", "month")
    rows = demand_supply_ratio(demand, supply)
    hidden = [r for r in rows if (cell := supply_cell(supply, r.period, r.region_code)) is not None
              and cell.value is None]
    assert hidden and all(r.ratio is None for r in hidden)
    shown_rows = [r for r in rows if r.ratio is not None]
    assert shown_rows and all(demand.cell(r.period, r.region_code, "demand_ads").value is not None for r in shown_rows)


def test_demand_downloads_are_the_published_tables(analyst, source):
    html = analyst.get("/polisregion/Syd?period=month").text
    tree = lxml.html.fromstring(html)
    hrefs = [a.get("href") for a in tree.xpath("//a[contains(@href, '/api/v1/demand/')]")]
    assert len(hrefs) == 6  # the series and the län, as CSV, CSV for Excel and XLSX
    for href in hrefs:
        response = analyst.get(href)
        assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
        if ".xlsx" in href:
            sheet = list(openpyxl.load_workbook(io.BytesIO(response.content))["Data"].iter_rows(values_only=True))
            records = [dict(zip(sheet[0], ("" if v is None else v for v in row))) for row in sheet[1:]]
        elif "excel=true" in href:
            records = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
        else:
            records = list(csv.DictReader(io.StringIO(response.text)))
        assert records and {r["matt"] for r in records} == set(CODES)
        for record in records:
            level = "lan" if record["lanskod"] else "polisregion"
            code = record["lanskod"] or record["polisregion"]
            cell = source.demand_table(level, "month").cell(record["period"], code, CODES[record["matt"]])
            assert str(record["varde"]) == cell.display, (href, record)
    assert analyst.get("/api/v1/demand/kommun/month.pdf").status_code == 404
    assert analyst.get("/api/v1/demand/nowhere/month.csv").status_code == 404


def test_demand_downloads_of_every_level_survive_the_disclosure_auditor(analyst, tmp_path):
    paths = []
    for level in LEVELS:
        for period in ("month", "quarter", "year"):
            path = tmp_path / f"{level}-{period}.json"
            path.write_bytes(analyst.get(f"/api/v1/demand/{level}/{period}.json").content)
            paths.append(path)
    report = audit_files(paths, GEO)
    assert report.suppressed > 0 and not report.recoverable


def test_demand_downloads_need_a_download_role_and_are_logged(client, market):
    from store import accounts

    assert client.get("/api/v1/demand/lan/month.csv").status_code == 401
    login(client, "kommun")
    assert client.get("/api/v1/demand/lan/month.xlsx").status_code == 200
    events = accounts.list_audit_events(market[0], last=5)
    assert any(e.detail.startswith("efterfrågan xlsx lan month") and e.username == "kommun" for e in events)


def test_methods_page_includes_the_demand_notes(analyst):
    html = analyst.get("/metod").text
    assert 'id="efterfragan"' in html and "Unika recensenter" in html and "Efterfrågan per utbud" in html
    assert "fryses ännu inte" not in html


def test_report_has_a_demand_section(web_app):
    source = web_app.state.source
    data = report_data(source, "polisregion", "Syd", "2026-09")
    tree = lxml.html.fromstring(render_report(data))
    cells = {td.get("data-measure"): td.text_content().strip() for td in tree.xpath("//td[@class='demand-value']")}
    demand, supply = source.demand_table("polisregion", "month"), source.table("polisregion", "month")
    expected = {m: shown(demand.cell("2026-09", "Syd", m)).replace(" ", "\u00a0") for m in DEMAND_MEASURES}
    expected["ratio"] = ratio(demand.cell("2026-09", "Syd", "demand_ads"), supply_cell(supply, "2026-09", "Syd"))
    assert cells == expected
    section = tree.xpath("//section[h2='Efterfrågan, 2026-09']")[0]
    lan = {row.xpath("./th")[0].text_content(): [td.text_content() for td in row.xpath("./td")]
           for row in section.xpath(".//table[2]/tbody/tr")}
    assert set(lan) == {GEO.lan[lan.code].name for lan in GEO.lan_in_polisregion("Syd")}
    kommun_demand = source.demand_table("lan", "month")
    for lan_ref in GEO.lan_in_polisregion("Syd"):
        assert lan[lan_ref.name][:3] == [kommun_demand.cell("2026-09", lan_ref.code, m).display.replace(" ", "\u00a0")
                                         for m in DEMAND_MEASURES]
    assert any(text == ".." for row in lan.values() for text in row)  # a protected cell reads ".."
