"""Quality badges from run history and analysis flags; the server-side SVG charts."""
from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace

import lxml.etree

from analysis.quality import CrawlBreak
from web import quality
from web.charts import Series, line_chart


def run(site, status, day):
    return SimpleNamespace(site=site, status=status, observed_at=datetime(2026, *day, 2, 0))


RUNS = [run("a", "complete", (9, 2)), run("b", "complete", (9, 2)),
        run("a", "partial", (9, 9)), run("b", "failed", (9, 9)),
        run("a", "complete", (10, 7)), run("b", "suspect", (10, 7)),
        run("a", "complete", (11, 4))]


def test_run_history_gives_badges_per_period():
    qualities = quality.period_quality(RUNS, "month", today=date(2026, 11, 20))
    assert set(qualities) == {"2026-09", "2026-10", "2026-11"}
    september = qualities["2026-09"]
    assert [b.code for b in september.badges] == ["failed", "partial"]
    assert september.flag == "misslyckad insamling; delvis täckning"
    assert september.coverage == "4 insamlingar av 2 sajter: 2 kompletta, 1 ofullständig, 1 misslyckad (ej räknad)"
    assert [b.code for b in qualities["2026-10"].badges] == ["suspect"]
    assert [b.code for b in qualities["2026-11"].badges] == ["missing_site", "open"]  # only site a, and ongoing
    weeks = quality.period_quality(RUNS, "week", today=date(2026, 11, 20))
    assert all(q.flag == "" for label, q in weeks.items() if label == "2026-W36")


def test_a_series_that_starts_mid_period_is_marked():
    qualities = quality.period_quality(RUNS, "quarter", today=date(2027, 1, 20))
    assert [b.code for b in qualities["2026-Q3"].badges][-1] == "started"  # first crawl 2 September
    assert "started" not in [b.code for b in qualities["2026-Q4"].badges]


def test_analysis_breaks_become_badges_without_site_names():
    breaks = [CrawlBreak("a", "2026-10", "fill_rate", 5, "location 10 % mot median 95 %"),
              CrawlBreak("b", "2026-10", "items_drop", 6, "3 mot median 40"),
              CrawlBreak("b", "2026-11", "outage", None, "ingen körning")]
    extra = quality.break_badges(breaks)
    assert extra == {"2026-10": [quality.LAYOUT, quality.DROP], "2026-11": [quality.MISSING_SITE]}
    qualities = quality.period_quality(RUNS, "month", today=date(2026, 12, 20), extra=extra)
    assert qualities["2026-10"].flag == "möjlig dataartefakt; ändrad sidlayout; färre annonser än vanligt"
    assert "a:" not in qualities["2026-10"].flag and "b:" not in qualities["2026-10"].flag
    context = quality.export_context(qualities)
    assert context.quality["2026-10"] == qualities["2026-10"].flag
    assert set(context.quality_meanings) >= {"ändrad sidlayout", "färre annonser än vanligt"}
    assert context.coverage.startswith("Insamlingar 2026-09–2026-11: 7 insamlingar av 2 sajter")


def test_chart_draws_published_values_and_marks_suppressed_ones():
    svg = line_chart(["2026-09", "2026-10", "2026-11", "2026-12"],
                     [Series("Aktiva annonser", [40, None, 55, 61]), Series("Unika profiler", [None, None, 7, 9])],
                     title="Test <&>")
    tree = lxml.etree.fromstring(str(svg).encode())
    ns = {"s": "http://www.w3.org/2000/svg"}
    assert tree.get("role") == "img" and tree.find("s:title", ns).text == "Test <&>"
    circles = tree.findall(".//s:circle", ns)
    assert sorted(float(c.get("data-value")) for c in circles) == [7, 9, 40, 55, 61]
    assert tree.get("data-points") == "5"
    suppressed = tree.findall(".//s:text[@class='suppressed']", ns)
    assert len(suppressed) == 3 and {t.text for t in suppressed} == {".."}
    ads = tree.find(".//s:g[@data-series='Aktiva annonser']", ns)
    assert len(ads.findall("s:polyline", ns)) == 1  # 40 stands alone; 55–61 is one segment, no line through the gap


def test_empty_and_all_suppressed_charts_render():
    for values in ([], [None, None]):
        svg = str(line_chart(["2026-01", "2026-02"][: len(values)], [Series("x", values)], title="t"))
        assert svg.startswith("<svg") and "<circle" not in svg
