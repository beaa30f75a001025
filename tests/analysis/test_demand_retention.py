"""Retention of the demand side (issue 9): a purge freezes the exact demand counts of every period it deletes
buyers' ads or review events of, at every level and period kind, and no demand table changes — on SQLite and
PostgreSQL. The supply and demand sides are frozen separately, each for the periods it has rows in."""
from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from analysis import retention
from analysis.counts import LEVELS, UNRESOLVED, all_region_codes
from analysis.demand import (
    DEMAND_MEASURES,
    frozen_demand_labels,
    load_demand_counts,
    load_published_demand_family,
)
from analysis.periods import PERIODS, local_date, period_label
from analysis.queries import load_counts
from config import clock
from config.geo import load_geography
from parsers.demand import ObservedRequest, ObservedReview
from parsers.records import ObservedAd
from store import Store, open_store
from store import demand as demand_store
from store.aggregates import frozen_periods, list_count_aggregates
from store.observations import add_observations
from store.runs import finish_run, start_run
from support import run_cli

GEO = load_geography()
UTC = timezone.utc
NOW = datetime(2026, 3, 11, 10, 0, tzinfo=UTC)
RETENTION = 395
CUTOFF = datetime(2025, 2, 8, 23, 0, tzinfo=UTC)  # 2025-02-09 00:00 in Stockholm
SUPPLY_FROM = datetime(2025, 1, 12, tzinfo=UTC)  # supply observations only from then: 2024-12 is demand-only
KOMMUNER = ["0180", "1480", "1280", "0380", "2480", "1880", None]
WINDOWS = {
    "week": [(None, None), (date(2025, 1, 27), date(2025, 2, 16))],
    "month": [(None, None), (date(2025, 1, 1), date(2025, 8, 31)), (date(2024, 12, 1), date(2025, 2, 28))],
    "quarter": [(None, None), (date(2025, 1, 1), date(2025, 6, 30))],
    "year": [(None, None), (date(2025, 1, 1), date(2025, 12, 31))],
}


def token(text: str) -> str:
    return (text * 64)[:64]


def add_run(store: Store, at: datetime, requests: list[tuple[str, str | None]], reviews: list[tuple],
            status: str | None = "complete", ads: list[tuple[str, str | None]] = ()) -> int:
    """One run of nattsida: buyers' ads (token, kommun), reviews (id, reviewer, kommun, date) and offers."""
    run_id = start_run(store, "nattsida", "Nattsidan", "cfg1", "p1", observed_at=at)
    demand_store.add_request_observations(store, run_id, [
        ObservedRequest("nattsida", token(ad), kommun, None if kommun else "none", at, None)
        for ad, kommun in requests])
    demand_store.add_review_events(store, run_id, [
        ObservedReview("nattsida", token(review), token(reviewer) if reviewer else None, None, kommun,
                       None if kommun else "none", written, at)
        for review, reviewer, kommun, written in reviews])
    add_observations(store, run_id, [
        ObservedAd(site="nattsida", ad_token=token(ad), profile_token=None, phone_token=None, kommun_code=kommun,
                   unresolved_reason=None if kommun else "none", category="Kvinna", observed_at=at, posted_at=None)
        for ad, kommun in ads])
    if status is not None:
        finish_run(store, run_id, status, pages=1, items=len(requests) + len(ads), errors=0,
                              parse_failures=0, listing_pages=1, finish_reason="finished")
    return run_id


def build_market(store: Store) -> dict[str, int]:
    """Runs every five days from December 2024 to March 2026: buyers' ads that stay up a few runs, reviews
    dated up to five weeks before the run that first sees them, a failed and a running run."""
    rng = random.Random(11)
    requests = [(f"q{n:03d}", KOMMUNER[n % len(KOMMUNER)]) for n in range(90)]
    offers = [(f"o{n:03d}", KOMMUNER[n % 6]) for n in range(40)]
    counts = {"requests_purged": 0, "reviews_purged": 0, "reviews": 0}
    moment = datetime(2024, 12, 3, 9, tzinfo=UTC)
    number = 0
    while moment < datetime(2026, 3, 5, tzinfo=UTC):
        shown = rng.sample(requests, 14)
        reviews = []
        for _ in range(rng.randint(3, 9)):
            written = moment - timedelta(hours=rng.randint(1, 35 * 24))
            reviews.append((f"r{number:04d}", f"h{rng.randint(0, 25):02d}" if rng.random() > 0.1 else None,
                            KOMMUNER[rng.randrange(len(KOMMUNER))], written))
            counts["reviews"] += 1
            counts["reviews_purged"] += written < CUTOFF
            number += 1
        status = rng.choice(["complete", "complete", "complete", "partial"])
        add_run(store, moment, shown, reviews, status, rng.sample(offers, 12) if moment >= SUPPLY_FROM else [])
        counts["requests_purged"] += len(shown) if moment < CUTOFF else 0
        moment += timedelta(days=5)
    # A failed run is not counted but purged; a running run is neither counted (its buyers' ads) nor purged.
    add_run(store, datetime(2025, 1, 14, 9, tzinfo=UTC), [("fail", "0180")], [], status="failed")
    add_run(store, datetime(2025, 1, 15, 9, tzinfo=UTC), [("busy", "0180")],
            [("r-busy", "hX", "0180", datetime(2025, 1, 10, tzinfo=UTC))], status=None)
    counts["requests_purged"] += 1
    counts["reviews"] += 1
    return counts


def demand_tables(store: Store) -> dict:
    return {(level, period, since, until): load_demand_counts(store, GEO, level, period, since, until)
            for level in LEVELS for period in PERIODS for since, until in WINDOWS[period]}


def supply_tables(store: Store) -> dict:
    return {(level, period): load_counts(store, GEO, level, period) for level in LEVELS for period in PERIODS}


def published(store: Store) -> dict:
    return {kind: load_published_demand_family(store, GEO, kind) for kind in ("week", "month")}


def expected_demand_frozen(store: Store) -> dict[str, tuple[str, ...]]:
    """Periods holding a counted buyers' ad sighting or a review dated before the cutoff."""
    moments = [r.observed_at for r in demand_store.iter_request_rows(store) if r.observed_at < CUTOFF.replace(tzinfo=None)]
    moments += [r.reviewed_at for r in demand_store.iter_review_rows(store, until=CUTOFF)]
    days = sorted({local_date(m) for m in moments})
    return {period: tuple(dict.fromkeys(period_label(day, period) for day in days)) for period in PERIODS}


def test_purge_freezes_demand_and_changes_no_demand_table(store: Store, store_url: str) -> None:
    counts = build_market(store)
    before = demand_tables(store)
    before_published = published(store)
    before_supply = supply_tables(store)
    expected = expected_demand_frozen(store)
    # The fixture exercises what it should: unplaced rows, reviews dated before the first crawl, a demand-only month.
    assert before[("kommun", "month", None, None)].value("2025-01", UNRESOLVED, "demand_ads") > 0
    assert before[("riket", "month", None, None)].rows[0].period < "2024-12"  # reviews only, before the first run
    assert all(row.period >= "2025-01" for row in before_supply[("riket", "month")].rows)

    result = retention.purge(store, GEO, RETENTION, now=NOW)

    assert result.cutoff == CUTOFF
    assert result.requests == counts["requests_purged"] and result.reviews == counts["reviews_purged"]
    assert result.demand_frozen == expected
    assert result.demand_frozen["month"][-3:] == ("2024-12", "2025-01", "2025-02")
    assert result.demand_frozen["month"][0] < "2024-12"
    assert result.frozen["month"] == ("2025-01", "2025-02")  # the supply side: its own periods only
    assert result.late == () and result.demand_late == ()
    # Every level and period kind holds all three measures of every frozen period.
    for level in LEVELS:
        for period in PERIODS:
            assert frozen_demand_labels(store, level, period) == set(expected[period])
            cells = list_count_aggregates(store, level, period, measures=DEMAND_MEASURES)
            assert {c.measure for c in cells} == set(DEMAND_MEASURES)
            regions = set(all_region_codes(GEO, level))
            for label in expected[period]:
                found = {(c.region_code, c.measure) for c in cells if c.period == label}
                assert {code for code, _ in found} - {UNRESOLVED} == regions
                assert len(found) == 3 * len({code for code, _ in found})
    cutoff = CUTOFF.replace(tzinfo=None)
    left_requests = list(demand_store.iter_request_rows(store, statuses=("complete", "partial", "suspect",
                                                                         "failed", "running")))
    assert all(r.observed_at >= cutoff or r.ad_token == token("busy") for r in left_requests)
    assert all(r.reviewed_at >= cutoff or r.review_token == token("r-busy")
               for r in demand_store.iter_review_rows(store))

    assert demand_tables(store) == before  # values and cell keys, every level, kind and window
    assert published(store) == before_published  # what every output shows
    assert supply_tables(store) == before_supply

    again = retention.purge(store, GEO, RETENTION, now=NOW)
    assert again.nothing_to_do and again.demand_frozen == {period: () for period in PERIODS}
    assert demand_tables(store) == before

    with open_store(store_url) as reopened:
        assert demand_tables(reopened) == before


def test_dry_run_changes_nothing(store: Store) -> None:
    counts = build_market(store)
    before = demand_tables(store)
    dry = retention.purge(store, GEO, RETENTION, now=NOW, dry_run=True)
    assert dry.requests == counts["requests_purged"] and dry.reviews == counts["reviews_purged"]
    assert dry.demand_frozen == expected_demand_frozen(store) and dry.aggregate_cells == 0
    assert all(frozen_demand_labels(store, "riket", period) == set() for period in PERIODS)
    assert demand_tables(store) == before


def test_a_purge_of_demand_alone_freezes_no_supply_period(store: Store) -> None:
    add_run(store, datetime(2024, 6, 5, 9, tzinfo=UTC), [("q1", "0180"), ("q2", "1480")],
            [("r1", "h1", "0180", datetime(2024, 6, 1, tzinfo=UTC))])
    add_run(store, datetime(2026, 3, 4, 9, tzinfo=UTC), [("q1", "0180")], [], ads=[("o1", "0180")])
    supply = supply_tables(store)
    result = retention.purge(store, GEO, RETENTION, now=NOW)
    assert not result.nothing_to_do and result.observations == 0 and (result.requests, result.reviews) == (2, 1)
    assert result.frozen == {period: () for period in PERIODS}
    assert result.demand_frozen["month"] == ("2024-06",)
    assert all(frozen_periods(store, period, measures=("active_ads",)) == set() for period in PERIODS)
    assert supply_tables(store) == supply
    riket = {row.period: row.values for row in load_demand_counts(store, GEO, "riket", "month").rows}
    assert riket["2024-06"] == {"demand_ads": 2, "reviews": 1, "unique_reviewers": 1}
    assert riket["2026-03"] == {"demand_ads": 1, "reviews": 0, "unique_reviewers": 0}


def test_late_buyers_ads_and_reviews_stay_out_of_a_frozen_period(store: Store) -> None:
    build_market(store)
    retention.purge(store, GEO, RETENTION, now=NOW)
    frozen = {period: load_demand_counts(store, GEO, "kommun", period) for period in PERIODS}
    # A back-fill into January 2025 (frozen), and a review of January 2025 first seen by a new run.
    add_run(store, datetime(2025, 1, 20, 9, tzinfo=UTC), [("late1", "0180")], [])
    add_run(store, datetime(2026, 3, 9, 9, tzinfo=UTC), [],
            [("r-late", "hL", "1480", datetime(2025, 1, 21, tzinfo=UTC))])
    late = {(e.period_kind, e.period): e.count for e in demand_store.late_demand(store, DEMAND_MEASURES)}
    assert late[("month", "2025-01")] == 2 and late[("year", "2025")] == 2
    after = {period: load_demand_counts(store, GEO, "kommun", period) for period in PERIODS}
    for period in ("week", "month", "quarter", "year"):
        label = period_label(date(2025, 1, 20), period)
        assert [r for r in after[period].rows if r.period == label] == [r for r in frozen[period].rows
                                                                        if r.period == label]
    # The next purge deletes them and reports nothing left.
    result = retention.purge(store, GEO, RETENTION, now=NOW)
    assert (result.requests, result.reviews) == (1, 1) and result.demand_late == ()
    assert {period: load_demand_counts(store, GEO, "kommun", period) for period in PERIODS} == after


def test_purge_command_reports_the_demand_side(tmp_path: Path) -> None:
    home = tmp_path / "home"
    url = f"sqlite:///{home.resolve() / 'lagesbild.db'}"
    now = clock.now()  # the moment `lagesbild purge` takes as now (LAGESBILD_NOW in the tests)
    old = now - timedelta(days=500)
    with open_store(url) as store:
        add_run(store, old, [("q1", "0180"), ("q2", None)], [("r1", "h1", "0180", old - timedelta(days=2))])
        add_run(store, now - timedelta(days=3), [("q3", "0180")], [])
        before = {(level, period): load_demand_counts(store, GEO, level, period)
                  for level in LEVELS for period in PERIODS}

    dry = run_cli("purge", "--dry-run", home=home)
    assert dry.returncode == 0, dry.stderr
    assert "Would delete 2 buyer ad sightings and 1 review event (the demand side)." in dry.stdout
    assert "Would freeze the demand counts of: week" in dry.stdout

    done = run_cli("purge", home=home)
    assert done.returncode == 0, done.stderr
    assert "Deleted 0 observations." in done.stdout and "Froze the demand counts of: week" in done.stdout
    assert "No new periods to freeze (counts)." in done.stdout
    with open_store(url) as store:
        assert [r.ad_token for r in demand_store.iter_request_rows(store)] == [token("q3")]
        for key, table in before.items():
            after = load_demand_counts(store, GEO, *key)
            # Cell keys are sums of floats; another process may add them in another order.
            assert [replace(row, cell_keys={}) for row in after.rows] == [replace(row, cell_keys={}) for row in table.rows]
            for old_row, new_row in zip(table.rows, after.rows):
                assert new_row.cell_keys == pytest.approx(old_row.cell_keys, abs=1e-12)

    nothing = run_cli("purge", home=home)
    assert nothing.returncode == 0 and nothing.stdout.strip().startswith("Nothing to purge")
