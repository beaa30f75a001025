"""Data-quality awareness: crawl-quality breaks, and change told apart from data artefacts."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import numpy as np

from analysis.periods import local_date, period_label
from analysis.quality import (
    DATA_ARTEFACT,
    FILL_RATE,
    ITEMS_DROP,
    MARKET_CHANGE,
    OUTAGE,
    PAGES_DROP,
    PARSE_FAILURES,
    PARTIAL,
    SUSPECT,
    breaks_by_period,
    crawl_breaks,
    detect_market_changes,
    estimate_region_trend,
    label_events,
)
from config.geo import load_geography
from parsers.records import ObservedAd
from store.observations import add_observations
from store.runs import RunSummary, finish_run, start_run

GEO = load_geography()
UTC = timezone.utc
START = datetime(2026, 1, 7, 3, tzinfo=UTC)  # a Wednesday


def run(i: int, site: str = "alfa", status: str = "complete", *, pages: int = 100, items: int = 80,
        detail_pages: int = 80, parse_failures: int = 1, fill: float = 0.95, crawl_status: str | None = None,
        health=None, week: int | None = None) -> RunSummary:
    when = START + timedelta(weeks=i if week is None else week)
    return RunSummary(site=site, id=i + 1000 * (site != "alfa"), site_id=1, status=status, started_at=when,
                      finished_at=when, observed_at=when, pages=pages, items=items, errors=0,
                      parse_failures=parse_failures, listing_pages=5, finish_reason="finished",
                      config_version="v1", parser_version="p1", note=None, detail_pages=detail_pages,
                      fill_rates={"kommun": fill, "phone": 0.9}, health=health, crawl_status=crawl_status)


def week(i: int) -> str:
    return period_label(local_date(START + timedelta(weeks=i)), "week")


def kinds(breaks) -> list[tuple[str, str]]:
    return [(b.period, b.kind) for b in breaks]


def test_healthy_runs_have_no_breaks():
    assert crawl_breaks([run(i) for i in range(10)], "week") == []


def test_each_kind_of_crawl_problem_is_a_break_in_its_week():
    runs = [run(i) for i in range(10)]
    runs[3] = run(3, status="failed", pages=0, items=0)
    runs[4] = run(4, status="partial", pages=60)
    runs[5] = run(5, status="suspect", crawl_status="complete", health=({"check": "items"},))
    runs[6] = run(6, pages=30, items=20)  # fewer pages and ads than usual
    runs[7] = run(7, parse_failures=30)  # 30 of 80 detail pages failed to parse
    runs[8] = run(8, fill=0.1)  # the place field vanished: a layout change
    found = kinds(crawl_breaks(runs, "week"))
    assert found == [(week(3), OUTAGE), (week(4), PARTIAL), (week(5), SUSPECT), (week(6), ITEMS_DROP),
                     (week(6), PAGES_DROP), (week(7), PARSE_FAILURES), (week(8), FILL_RATE)]


def test_a_week_without_any_run_between_runs_is_an_outage():
    runs = [run(i) for i in range(6) if i != 2]
    assert kinds(crawl_breaks(runs, "week")) == [(week(2), OUTAGE)]
    # Months hold several weekly runs: a missing week is no missing month.
    assert crawl_breaks(runs, "month") == []


def test_a_closed_site_is_an_outage_in_every_later_week_and_the_partial_run_is_marked():
    runs = [run(i) for i in range(8)] + [run(i, "beta", status="failed" if i >= 5 else "complete") for i in range(8)]
    found = crawl_breaks(runs, "week")
    assert [(b.period, b.site) for b in found] == [(week(i), "beta") for i in range(5, 8)]


def _values(levels: list[tuple[int, float]], seed: int = 1) -> list[float]:
    rng = np.random.default_rng(seed)
    return [float(v) for mean in (m for n, m in levels for _ in range(n)) for v in [rng.poisson(mean)]]


def test_a_change_point_at_a_crawl_break_is_a_data_artefact_and_one_without_is_a_market_change():
    labels = [week(i) for i in range(30)]
    values = _values([(10, 300), (10, 200), (10, 300)])  # a site down for ten weeks, then back
    breaks = breaks_by_period(crawl_breaks([run(i) for i in range(30)] +
                                           [run(i, "beta", "failed" if 10 <= i < 20 else "complete")
                                            for i in range(30)], "week"))
    events = label_events("riket", labels, values, breaks)
    assert [(e.period, e.kind, e.label) for e in events] == [
        (week(10), "change_point", DATA_ARTEFACT),  # the outage began
        (week(20), "change_point", DATA_ARTEFACT),  # the site came back: the break was the week before
    ]
    assert events[0].breaks[0].site == "beta" and events[0].swedish == "brytpunkt (ned): dataartefakt"
    market = label_events("riket", labels, _values([(15, 200), (15, 280)]), breaks={})
    assert [(e.period, e.label) for e in market] == [(week(15), MARKET_CHANGE)]


def test_an_anomaly_in_a_partial_crawl_is_a_data_artefact():
    labels = [week(i) for i in range(20)]
    values = _values([(20, 250)], seed=3)
    values[12] = 150.0
    breaks = breaks_by_period(crawl_breaks([run(i, status="partial" if i == 12 else "complete")
                                            for i in range(20)], "week"))
    [event] = label_events("site:alfa", labels, values, breaks)
    assert (event.period, event.kind, event.direction, event.label) == (week(12), "anomaly", "down", DATA_ARTEFACT)
    [event] = label_events("site:alfa", labels, values, {})
    assert event.label == MARKET_CHANGE


# --- over a store ---------------------------------------------------------------------


def _token(kind: str, i: int) -> str:
    return hashlib.sha256(f"{kind}-{i}".encode()).hexdigest()


def _store_weeks(store, weeks: int, ads_in, *, failed=lambda site, w: False) -> None:
    """Weekly crawls of two sites; `ads_in(site, week)` gives (ad number, kommun) pairs."""
    for w in range(weeks):
        when = START + timedelta(weeks=w)
        for site in ("alfa", "beta"):
            run_id = start_run(store, site, site, "v1", "p1", observed_at=when)
            if failed(site, w):
                finish_run(store, run_id, "failed", pages=0, items=0, errors=5, parse_failures=0,
                                      listing_pages=0, finish_reason="finished")
                continue
            ads = [ObservedAd(site, _token(site, a), _token("p", a), None, kommun, None, "Kvinna", when, None)
                   for a, kommun in ads_in(site, w)]
            add_observations(store, run_id, ads)
            finish_run(store, run_id, "complete", pages=50, items=len(ads), errors=0, parse_failures=0,
                                  listing_pages=5, detail_pages=len(ads), finish_reason="finished")


def test_site_incidents_are_flagged_and_never_reported_as_market_change(store):
    rng = np.random.default_rng(9)

    def ads_in(site, w):
        base = 150 if w < 14 else 230  # a real rise in week 14 on both sites
        count = int(rng.poisson(base))
        first = w * 20  # ads turn over
        return [(first + a, "1280" if a % 3 else "0180") for a in range(count)]

    _store_weeks(store, 24, ads_in, failed=lambda site, w: site == "beta" and w == 7)
    report = detect_market_changes(store, GEO, "week")
    assert report.flagged("site:beta", week(7)) and report.flagged("riket", week(7))
    assert report.market_changes_in(week(7)) == [] and report.market_changes_in(week(8)) == []
    assert any(e.period == week(7) and e.label == DATA_ARTEFACT for e in report.events if e.scope == "riket")
    riket_changes = [e for e in report.market_changes if e.scope == "riket"]
    assert [(e.period, e.kind, e.direction) for e in riket_changes] == [(week(14), "change_point", "up")]
    assert not report.flagged("riket", week(14))


def test_a_regions_yearly_change_is_estimated_against_the_rest_of_the_country(store):
    rng = np.random.default_rng(4)

    def ads_in(site, w):
        season = 1 + 0.15 * np.cos(2 * np.pi * (w - 28) / 52)
        syd = int(rng.poisson(120 * season * 1.3 ** (w / 52.18)))
        rest = int(rng.poisson(360 * season))
        return [(w * 10_000 + a, "1280") for a in range(syd)] + [(w * 10_000 + 5_000 + a, "0180") for a in range(rest)]

    _store_weeks(store, 60, ads_in, failed=lambda site, w: site == "beta" and w in (20, 40))
    trend = estimate_region_trend(store, GEO, "polisregion", "Syd", "week")
    assert trend.change.detected and trend.change.direction == "up"
    assert trend.change.low <= 0.30 <= trend.change.high
    level = estimate_region_trend(store, GEO, "polisregion", "Syd", "week", relative_to_rest=False)
    assert set(level.periods_left_out) == {week(20), week(40)}
