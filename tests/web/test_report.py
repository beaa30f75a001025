"""`lagesbild report`: the lägesbild as HTML and PDF, with the region's published headline numbers."""
from __future__ import annotations

import re

import lxml.html
import pytest
from click.testing import CliRunner

from lagesbild.cli import app
from store import accounts
from web.report import render_report, report_data
from web.navigation import NotFound

from webdata import GEO

MEASURES = ("active_ads", "unique_profiles", "unique_phones")


def run(home, *args):
    return CliRunner().invoke(app, list(args), env={"LAGESBILD_HOME": str(home), "LAGESBILD_DATABASE_URL": None},
                              catch_exceptions=False)


def headline(source, level, code, period):
    table = source.table(level, "quarter" if "-Q" in period else "month")
    return {m: table.cell(period, code, m) for m in MEASURES}


def test_report_html_shows_headline_tables_quality_and_methods(web_app):
    source = web_app.state.source
    data = report_data(source, "polisregion", "Syd", "2026-Q3")
    html = render_report(data)
    tree = lxml.html.fromstring(html)
    cells = {td.get("data-measure"): td.text_content().strip() for td in tree.xpath("//td[@class='headline-value']")}
    expected = headline(source, "polisregion", "Syd", "2026-Q3")
    assert cells == {m: (c.display if c.value is None else f"{c.value:,}".replace(",", "\u00a0"))
                     for m, c in expected.items()}
    assert "Polisregion Syd, 2026-Q3" in tree.xpath("//h1")[0].text_content()
    kommun_rows = {row.xpath("./th")[0].text_content(): [td.text_content() for td in row.xpath("./td")]
                   for row in tree.xpath("//section[h2[starts-with(., 'Kommuner i Syd')]]//tbody/tr")}
    assert set(kommun_rows) == {GEO.kommuner[c].name for c in GEO.kommun_codes_in("polisregion", "Syd")}
    table = source.table("kommun", "quarter")
    for code in GEO.kommun_codes_in("polisregion", "Syd"):
        cells = [table.cell("2026-Q3", code, m).display for m in MEASURES]
        assert [c.replace("\u00a0", "") for c in kommun_rows[GEO.kommuner[code].name][:3]] == cells
    assert kommun_rows["Kävlinge"][0] == ".."  # two ads all quarter: suppressed in the report too
    assert "insamlingen började under perioden" in html  # 2026-Q3 starts before the first crawl
    assert "Metodbilaga" in html and "Aktiv annons" in html and "<svg" in html
    signals = {row.xpath("./th")[0].text_content(): row.xpath("./td")[0].text_content()
               for row in tree.xpath("//section[h2='Signaler, 2026-Q3']//tbody/tr")}
    published = source.signal_table("polisregion", "quarter")
    assert signals["Rörliga profiler"] == published.cell("2026-Q3", "Syd", "mobile_profiles").display
    flows = {row.xpath("./th")[0].text_content(): [td.text_content() for td in row.xpath("./td")]
             for row in tree.xpath("//section[h2='Flöden, 2026-Q3']//tbody/tr")}
    assert flows["Väst"] == [source.flows("polisregion", "quarter").cell("2026-Q3", "Väst>Syd", "flows").display,
                             source.flows("polisregion", "quarter").cell("2026-Q3", "Syd>Väst", "flows").display]
    assert not re.search(r"""(src|href)=["']https?:""", html)


def test_report_for_riket_and_kommun(web_app):
    source = web_app.state.source
    riket = render_report(report_data(source, "riket", None, "2026-09"))
    assert "Polisregioner, 2026-09" in riket and "Län, 2026-09" in riket and "Kommuner, 2026-09" in riket
    assert "Flöden mellan polisregioner, 2026-09" in riket and "Signaler, 2026-09" in riket
    kommun = render_report(report_data(source, "kommun", "Göteborg", "2026-09"))
    assert "Kommun Göteborg, 2026-09" in kommun and "Kommuner i" not in kommun


@pytest.mark.parametrize("level, region, period, message", [
    ("polisregion", "Syd", "2019-Q1", "inga uppgifter"),
    ("polisregion", "Atlantis", "2026-Q3", "okänd"),
    ("lan", "14", "2026-Q7", "ingen period"),
])
def test_report_refuses_unknown_regions_and_periods(web_app, level, region, period, message):
    with pytest.raises(NotFound, match=message):
        report_data(web_app.state.source, level, region, period)


def test_report_command_writes_html_and_logs_it(market, tmp_path):
    store, settings = market
    out = tmp_path / "syd.html"
    result = run(settings.resolved_home, "report", "--level", "polisregion", "--region", "Syd",
                 "--period", "2026-Q3", "--format", "html", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "Lägesbild Polisregion Syd, 2026-Q3" in out.read_text(encoding="utf-8")
    event = accounts.list_audit_events(store, last=1)[0]
    assert (event.channel, event.action, event.detail) == ("cli", "report", "html polisregion Syd 2026-Q3")


def test_report_command_errors_are_one_line(market, tmp_path):
    _, settings = market
    result = run(settings.resolved_home, "report", "--level", "polisregion", "--period", "2026-Q3",
                 "-o", str(tmp_path / "x.pdf"))
    assert result.exit_code == 2 and "needs --region" in result.output
    result = run(settings.resolved_home, "report", "--level", "lan", "--region", "12", "--period", "2026-13",
                 "-o", str(tmp_path / "x.pdf"))
    assert result.exit_code == 2 and "ingen period" in result.output
    assert not (tmp_path / "x.pdf").exists()


@pytest.mark.browser
def test_report_pdf_contains_the_headline_numbers(web_app, market, tmp_path):
    from pypdf import PdfReader

    from crawler.browser import BrowserNotFound, find_chromium

    try:
        find_chromium()
    except BrowserNotFound as exc:  # pragma: no cover - depends on the machine
        pytest.skip(str(exc))
    _, settings = market
    out = tmp_path / "syd.pdf"
    result = run(settings.resolved_home, "report", "--level", "polisregion", "--region", "Syd",
                 "--period", "2026-Q3", "--format", "pdf", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF-")
    reader = PdfReader(str(out))
    text = "\n".join(page.extract_text() for page in reader.pages)
    flat = " ".join(text.replace("\u00a0", " ").split())
    assert len(reader.pages) >= 2 and "Polisregion Syd, 2026-Q3" in flat and "Metodbilaga" in flat
    assert "Signaler, 2026-Q3" in flat and "Flöden, 2026-Q3" in flat
    after = flat[flat.index("Nyckeltal"):]
    for measure, label in zip(MEASURES, ("Aktiva annonser", "Unika profiler", "Unika telefonnummer")):
        cell = headline(web_app.state.source, "polisregion", "Syd", "2026-Q3")[measure]
        shown = cell.display if cell.value is None else f"{cell.value:,}".replace(",", " ")
        following = after[after.index(label) + len(label):].strip()
        assert following.startswith(shown + " "), (label, shown, following[:60])
