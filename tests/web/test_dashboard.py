"""The dashboard and API show the published tables: the same numbers, '..' markers, changes, badges, downloads."""
from __future__ import annotations

import csv
import io
import json

import lxml.html
import openpyxl
import pytest

from analysis.audit import audit_files
from analysis.counts import LEVELS
from web.navigation import parse_period, same_period_last_year, shift_period

from webdata import GEO, login


@pytest.fixture
def analyst(client):
    login(client, "anna")
    return client


@pytest.fixture
def source(web_app):
    return web_app.state.source


def table_rows(html: str, table_id: str) -> list[list[str]]:
    """The body rows of a table as the text of their cells (th and td)."""
    tree = lxml.html.fromstring(html)
    [table] = tree.xpath(f"//table[@id='{table_id}']")
    return [[" ".join(cell.text_content().split()) for cell in row.xpath("./th|./td")]
            for row in table.xpath("./tbody/tr")]


def shown(cell) -> str:
    return ".." if cell.value is None else f"{cell.value:,}".replace(",", "\u00a0")


def test_national_page_shows_the_published_series(analyst, source):
    html = analyst.get("/").text
    table = source.table("riket", "month")
    rows = {row[0]: row for row in table_rows(html, "tabell-tidsserie")}
    assert set(rows) == {"2026-08", "2026-09", "2026-10"}
    for label, row in rows.items():
        cells = [table.cell(label, "SE", m) for m in table.measures]
        assert row[1:4] == [" ".join(shown(c).split()) for c in cells]
    assert "<svg" in html and 'role="img"' in html and "Aktiva annonser" in html
    assert table.rule in html


def test_pages_show_dots_for_suppressed_cells_and_never_a_small_count(analyst, source):
    html = analyst.get("/lan/12?period=week").text  # Skåne: Landskrona has 2 ads a week per site
    rows = table_rows(html, "tabell-underregioner")
    landskrona = next(row for row in rows if row[0] == "Landskrona")
    published = source.table("kommun", "week")
    label = max(r.period for r in published.rows if r.region_code == "1282")
    assert landskrona[1] == shown(published.cell(label, "1282", "active_ads")) == ".."
    for row in rows:
        assert not set(row[1:4]) & {"1", "2", "3", "4"}


def test_drill_down_links_follow_the_hierarchy(analyst):
    html = analyst.get("/").text
    tree = lxml.html.fromstring(html)
    links = {a.text_content(): a.get("href") for a in tree.xpath("//table[@id='tabell-underregioner']//a")}
    assert links["Syd"].startswith("/polisregion/Syd")
    syd = lxml.html.fromstring(analyst.get(links["Syd"]).text)
    lan = {a.text_content(): a.get("href") for a in syd.xpath("//table[@id='tabell-underregioner']//a")}
    assert set(lan) == {l.name for l in GEO.lan_in_polisregion("Syd")} and "Skåne län" in lan
    skane = lxml.html.fromstring(analyst.get(lan["Skåne län"]).text)
    kommuner = {a.text_content(): a.get("href") for a in skane.xpath("//table[@id='tabell-underregioner']//a")}
    assert set(kommuner) == {k.name for k in GEO.kommuner_in_lan("12")} and kommuner["Malmö"].startswith("/kommun/1280")
    malmo = analyst.get(kommuner["Malmö"]).text
    crumbs = lxml.html.fromstring(malmo).xpath("//nav[@class='crumbs']//li")
    assert [c.text_content().strip() for c in crumbs] == ["Riket", "Syd", "Skåne län", "Malmö"]
    assert 'id="tabell-underregioner"' not in malmo  # a kommun has nothing below it


def test_changes_compare_with_the_previous_period_and_last_year(analyst, source):
    table = source.table("polisregion", "month")
    html = analyst.get("/polisregion/Stockholm").text  # the latest ended month is 2026-10
    headline = lxml.html.fromstring(html).xpath("//table[contains(@class,'headline')]/tbody/tr")
    ads = [" ".join(c.text_content().split()) for c in headline[0].xpath("./th|./td")]
    now, before = (table.cell(label, "Stockholm", "active_ads").value for label in ("2026-10", "2026-09"))
    if now is not None and before is not None:
        assert ads[2].startswith(("+" if now > before else "−" if now < before else "±") + str(abs(now - before)))
    else:
        assert ads[2] == "kan inte anges (skyddat värde)"
    assert ads[3] == "inga uppgifter för 2025-10"


def test_quality_badges_explain_partial_failed_and_started_periods(analyst, source):
    month = source.quality("month")
    assert "delvis täckning" in month["2026-09"].flag and "misslyckad insamling" in month["2026-10"].flag
    assert month["2026-08"].flag == ""
    quarter = source.quality("quarter")
    assert "insamlingen började under perioden" in quarter["2026-Q3"].flag
    week = source.quality("week")
    failed_week = [label for label, q in week.items() if "misslyckad" in q.flag]
    assert len(failed_week) == 1 and "sajt saknas" in week[failed_week[0]].flag
    html = analyst.get("/").text
    rows = {row[0]: row[-1] for row in table_rows(html, "tabell-tidsserie")}
    assert "delvis täckning" in rows["2026-09"] and rows["2026-08"] == ""
    legend = lxml.html.fromstring(html).xpath("//section[@class='legend']//dd")
    assert any("avbröts eller hade fel" in dd.text_content() for dd in legend)


def test_controls_are_labelled_and_tables_have_headers(analyst):
    html = analyst.get("/kommun/1480?period=quarter").text
    tree = lxml.html.fromstring(html)
    for control in tree.xpath("//select|//input[not(@type='hidden')]"):
        assert tree.xpath(f"//label[@for='{control.get('id')}']"), control.get("name")
    for table in tree.xpath("//table"):
        assert table.xpath("./caption") and table.xpath("./thead/tr/th[@scope='col']")
    assert tree.xpath("//a[@class='skip']") and tree.xpath("//main[@id='innehall']")


@pytest.mark.parametrize("url", ["/?period=week", "/?period=quarter", "/?period=year", "/lan/01?period=month",
                                 "/kommun/0180?visa=2026-09", "/regioner", "/metod", "/api-dokumentation"])
def test_pages_render(analyst, url):
    response = analyst.get(url)
    assert response.status_code == 200 and "<h1>" in response.text


@pytest.mark.parametrize("url", ["/kommun/9999", "/polisregion/Atlantis", "/lan/14?period=dekad",
                                 "/kommun/1480?visa=1999-01", "/api/v1/counts/socken/month",
                                 "/api/v1/export/kommun/month.pdf", "/api/v1/series/kommun/Narnia/month"])
def test_unknown_regions_periods_and_formats_are_404(analyst, url):
    assert analyst.get(url).status_code == 404


def test_api_counts_are_the_published_table_filtered(analyst, source):
    document = analyst.get("/api/v1/counts/kommun/month?within_level=lan&within=12&from=2026-09&to=2026-10").json()
    table = source.table("kommun", "month")
    assert document["metod"] == table.method and document["regel"] == table.rule
    skane = {k.code for k in GEO.kommuner_in_lan("12")}
    records = document["varden"]
    assert {r["kommunkod"] for r in records} == skane and {r["period"] for r in records} == {"2026-09", "2026-10"}
    for record in records:
        measure = {"aktiva_annonser": "active_ads", "unika_profiler": "unique_profiles",
                   "unika_telefonnummer": "unique_phones"}[record["matt"]]
        cell = table.cell(record["period"], record["kommunkod"], measure)
        assert record["varde"] == cell.value and record["status"] == cell.status
    assert "delvis täckning" in {r["kvalitet"] for r in records if r["period"] == "2026-09"}
    one = analyst.get("/api/v1/counts/kommun/month?region=Göteborg").json()["varden"]
    assert {r["kommunkod"] for r in one} == {"1480"}


def test_api_series_gives_changes_and_quality(analyst, source):
    series = analyst.get("/api/v1/series/polisregion/Syd/quarter").json()
    table = source.table("polisregion", "quarter")
    assert [p["period"] for p in series["serie"]] == ["2026-Q3", "2026-Q4"]
    for point in series["serie"]:
        assert point["varden"]["aktiva_annonser"] == table.cell(point["period"], "Syd", "active_ads").value
    assert series["senaste_period"] == "2026-Q3"  # the latest ended quarter: 2026-Q4 is still going on
    assert "pågående period" in series["serie"][1]["kvalitet"]
    assert "insamlingen började under perioden" in series["serie"][0]["kvalitet"]


def test_openapi_documents_the_stable_api(analyst):
    schema = analyst.get("/openapi.json").json()
    paths = set(schema["paths"])
    assert {"/api/v1/counts/{level}/{period}", "/api/v1/export/{level}/{filename}", "/api/v1/series/{level}/{code}/{period}",
            "/api/v1/regioner", "/api/v1/quality/{period}"} <= paths
    assert all(path.startswith("/api/v1/") for path in paths)
    docs = analyst.get("/api-dokumentation").text
    assert "/api/v1/export/{level}/{filename}" in docs


DEMAND_OF = {"efterfrageannonser": "demand_ads", "recensioner": "reviews", "unika_recensenter": "unique_reviewers"}
MEASURE_OF = {"aktiva_annonser": "active_ads", "unika_profiler": "unique_profiles",
              "unika_telefonnummer": "unique_phones"}


def read_download(response, href):
    if href.split("?")[0].endswith(".xlsx"):
        book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
        rows = list(book["Data"].iter_rows(values_only=True))
        return [dict(zip(rows[0], ("" if v is None else v for v in row))) for row in rows[1:]]
    if "excel=true" in href:
        assert response.content.startswith(b"\xef\xbb\xbf")
        return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    return list(csv.DictReader(io.StringIO(response.text)))


def test_every_table_downloads_as_csv_and_xlsx_with_the_same_values(analyst, source):
    from web.exports import SIGNAL_CODES

    signal_measure = {code: measure for measure, (code, _) in SIGNAL_CODES.items()}
    html = analyst.get("/polisregion/Syd?period=month").text
    tree = lxml.html.fromstring(html)
    tables = tree.xpath("//main//table[@id]")
    assert {t.get("id") for t in tables} >= {"tabell-tidsserie", "tabell-underregioner", "tabell-signaler",
                                             "tabell-floden", "tabell-efterfragan",
                                             "tabell-efterfragan-underregioner"}
    for table in tables:  # every table of data is followed by its download links
        if table.get("id") in ("tabell-trend",):
            continue  # statistics derived from the series, which downloads above it
        links = table.xpath("./following::p[@class='downloads'][1]/a")
        assert [a.text_content() for a in links] == ["CSV", "CSV för Excel", "XLSX"], table.get("id")
    hrefs = [a.get("href") for a in tree.xpath("//p[@class='downloads']/a")]
    assert len(hrefs) == 18
    for href in hrefs:
        response = analyst.get(href)
        assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
        records = read_download(response, href)
        assert records, href
        for record in records:
            if "/flows/" in href:
                cell = source.flows("polisregion", "month").cell(
                    record["period"], f"{record['fran_kod']}>{record['till_kod']}", "flows")
            else:
                level = "kommun" if record["kommunkod"] else "lan" if record["lanskod"] else "polisregion"
                code = record["kommunkod"] or record["lanskod"] or record["polisregion"]
                if "/demand/" in href:
                    cell = source.demand_table(level, "month").cell(record["period"], code,
                                                                    DEMAND_OF[record["matt"]])
                elif "/signals/" in href:
                    cell = source.signal_table(level, "month").cell(record["period"], code,
                                                                    signal_measure[record["matt"]])
                else:
                    cell = source.table(level, "month").cell(record["period"], code, MEASURE_OF[record["matt"]])
            assert str(record["varde"]) == cell.display, (href, record)


def test_downloads_of_every_level_survive_the_disclosure_auditor(analyst, tmp_path):
    paths = []
    for level in LEVELS:
        for period in ("month", "quarter", "year"):
            path = tmp_path / f"{level}-{period}.json"
            path.write_bytes(analyst.get(f"/api/v1/export/{level}/{period}.json").content)
            paths.append(path)
    report = audit_files(paths, GEO)
    assert report.suppressed > 0 and not report.recoverable
    week = tmp_path / "week"
    week.mkdir()
    week_paths = []
    for level in LEVELS:
        path = week / f"{level}.csv"
        path.write_bytes(analyst.get(f"/api/v1/export/{level}/week.csv").content)
        week_paths.append(path)
    report = audit_files(week_paths, GEO)
    assert report.suppressed > 0 and not report.recoverable


def test_kolada_and_jsonstat_downloads(analyst):
    kolada = json.loads(analyst.get("/api/v1/export/kommun/year.kolada").content)
    assert {e["period"] for e in kolada["values"]} == {2026} and kolada["values"][0]["values"][0]["gender"] == "T"
    assert analyst.get("/api/v1/export/polisregion/year.kolada").status_code == 400
    stat = json.loads(analyst.get("/api/v1/export/lan/quarter.jsonstat").content)
    assert stat["size"] == [21 + 1, 3, 2] and "okand" in stat["dimension"]["Region"]["category"]["index"] and stat["extension"]["metod"] == "suppression-v2"


@pytest.mark.parametrize("label, kind, previous, last_year", [
    ("2026-W01", "week", "2025-W52", "2025-W01"),
    ("2026-W53", "week", "2026-W52", None),
    ("2026-01", "month", "2025-12", "2025-01"),
    ("2026-Q1", "quarter", "2025-Q4", "2025-Q1"),
    ("2026", "year", "2025", "2025"),
])
def test_period_arithmetic(label, kind, previous, last_year):
    assert shift_period(label, kind, -1) == previous
    assert same_period_last_year(label, kind) == last_year


@pytest.mark.parametrize("text, expected", [
    ("2026-q3", ("quarter", "2026-Q3")), ("2026-w7", ("week", "2026-W07")), ("2026-3", ("month", "2026-03")),
    ("2026", ("year", "2026")),
])
def test_periods_parse(text, expected):
    assert parse_period(text) == expected


def test_flow_page_shows_the_protected_origin_destination_table(analyst, source):
    html = analyst.get("/floden?period=month&visa=2026-09").text
    rows = {row[0]: row[1:] for row in table_rows(html, "tabell-floden")}
    regions = list(GEO.polisregioner)
    assert list(rows) == regions
    table = source.flows("polisregion", "month")
    for origin, cells in rows.items():
        for destination, shown_value in zip(regions, cells):
            if origin == destination:
                assert shown_value == "–"
            else:
                assert shown_value == table.cell("2026-09", f"{origin}>{destination}", "flows").display
    assert int(rows["Stockholm"][regions.index("Väst")]) >= 10  # the touring profiles' route
    assert not {c for cells in rows.values() for c in cells} & {str(n) for n in range(1, 10)}  # signal threshold


def test_signal_page_and_region_signals(analyst, source):
    html = analyst.get("/signaler?niva=polisregion&period=month&visa=2026-09").text
    rows = {row[0]: row for row in table_rows(html, "tabell-organisering")}
    table = source.signal_table("polisregion", "month")
    for name, row in rows.items():
        code = "okand" if name == "Okänd plats" else name
        assert row[1].replace("\u00a0", "") == table.cell("2026-09", code, "active_adverts").display
        mobile = table.cell("2026-09", code, "mobile_profiles").display
        assert row[-2] == mobile
    assert int(rows["Stockholm"][-2]) >= 10  # touring profiles are seen in two kommuner a month
    region = analyst.get("/polisregion/Stockholm?period=month&visa=2026-09").text
    signals = dict(table_rows(region, "tabell-signaler"))
    assert signals["Rörliga profiler"] == table.cell("2026-09", "Stockholm", "mobile_profiles").display
    flows = {row[0]: row[1:] for row in table_rows(region, "tabell-floden")}
    published = source.flows("polisregion", "month")
    assert flows["Väst"] == [published.cell("2026-09", "Väst>Stockholm", "flows").display,
                             published.cell("2026-09", "Stockholm>Väst", "flows").display]
    assert "inte bevis för brott" in region and "inte</strong> bevis för människohandel" in \
        analyst.get("/signaler").text


def test_signal_and_flow_downloads_pass_the_auditor_where_it_applies(analyst, tmp_path):
    paths = []
    for level in LEVELS:
        path = tmp_path / f"signals-{level}.json"
        path.write_bytes(analyst.get(f"/api/v1/signals/{level}/month.json").content)
        paths.append(path)
    report = audit_files(paths, GEO)
    assert not report.recoverable
    flows = json.loads(analyst.get("/api/v1/flows/lan/quarter.json").content)
    assert flows["varden"] and all((r["varde"] is None) == (r["status"] == "..") for r in flows["varden"])
    assert not {r["varde"] for r in flows["varden"]} & set(range(1, 10))
    assert analyst.get("/api/v1/flows/kommun/month.csv").status_code == 404
