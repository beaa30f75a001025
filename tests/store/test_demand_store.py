"""Buyers' ads and review events in the store (issue 9), on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from analysis.demand import load_demand_counts
from analysis.retention import purge
from config.geo import load_geography
from parsers.demand import ObservedRequest, ObservedReview
from store import demand as demand_store
from store.runs import finish_run, start_run
from store.errors import StoreError

NOW = datetime(2026, 11, 18, 2, 0, tzinfo=timezone.utc)


def run(store, site="nattsida", status="complete", observed_at=NOW) -> int:
    run_id = start_run(store, site, site.title(), "cfg", "p1", observed_at=observed_at)
    if status != "running":
        finish_run(store, run_id, status, pages=1, items=1, errors=0, parse_failures=0,
                              listing_pages=1, finish_reason="finished")
    return run_id


def request(token: str, kommun: str | None = "0180", site="nattsida", at=NOW) -> ObservedRequest:
    return ObservedRequest(site, token * 64 if len(token) == 1 else token, kommun, None if kommun else "none", at, None)


def review(token: str, reviewer: str | None, kommun: str | None = "2480", at=NOW - timedelta(days=3),
           site="nattsida", seen=NOW) -> ObservedReview:
    return ObservedReview(site, token * 64, reviewer * 64 if reviewer else None, None, kommun,
                          None if kommun else "none", at, seen)


def test_request_sightings_are_stored_once_per_run_and_read_back(store):
    first, second = run(store), run(store, observed_at=NOW + timedelta(days=7))
    assert demand_store.add_request_observations(store, first, [request("a"), request("a"), request("b", None)]) == 2
    assert demand_store.add_request_observations(store, first, [request("a")]) == 0
    assert demand_store.add_request_observations(store, second, [request("a", at=NOW + timedelta(days=7))]) == 1
    rows = list(demand_store.iter_request_rows(store))
    assert sorted((r.ad_token[0], r.kommun_code) for r in rows) == [("a", "0180"), ("a", "0180"), ("b", None)]
    assert [r.ad_token[0] for r in demand_store.iter_request_rows(store, run_id=second)] == ["a"]
    with pytest.raises(StoreError):
        demand_store.add_request_observations(store, first, [request("c", site="stjarnsida")])
    with pytest.raises(StoreError):
        demand_store.add_request_observations(store, first, [request("x" * 65)])


def test_failed_runs_do_not_count(store):
    failed = run(store, status="failed")
    demand_store.add_request_observations(store, failed, [request("a")])
    assert list(demand_store.iter_request_rows(store)) == []


def test_a_review_seen_by_several_crawls_is_one_event_dated_by_itself(store):
    first, second = run(store), run(store, observed_at=NOW + timedelta(days=7))
    assert demand_store.add_review_events(store, first, [review("1", "h"), review("2", "h"), review("3", None, None)]) == 3
    assert demand_store.add_review_events(store, second, [review("1", "h", seen=NOW + timedelta(days=7)),
                                                         review("4", "k", seen=NOW + timedelta(days=7))]) == 1
    rows = list(demand_store.iter_review_rows(store))
    assert len(rows) == 4 and {r.review_token[0] for r in rows} == {"1", "2", "3", "4"}
    dated = {r.review_token[0]: r.reviewed_at for r in rows}
    assert dated["1"] == (NOW - timedelta(days=3)).replace(tzinfo=None)  # its own date, naive UTC
    window = list(demand_store.iter_review_rows(store, since=NOW - timedelta(days=4), until=NOW - timedelta(days=2)))
    assert len(window) == 4
    assert list(demand_store.iter_review_rows(store, since=NOW)) == []


def test_counts_of_the_three_measures(store):
    geography = load_geography()
    first = run(store)
    demand_store.add_request_observations(store, first, [request("a"), request("b"), request("c", "1480")])
    demand_store.add_review_events(store, first, [review("1", "h"), review("2", "h"), review("3", "k", "0180")])
    table = load_demand_counts(store, geography, "riket", "month")
    (row,) = table.rows
    assert row.values == {"demand_ads": 3, "reviews": 3, "unique_reviewers": 2}
    by_region = {r.region_code: r.values for r in load_demand_counts(store, geography, "lan", "month").rows}
    assert by_region["01"] == {"demand_ads": 2, "reviews": 1, "unique_reviewers": 1}
    assert by_region["24"] == {"demand_ads": 0, "reviews": 2, "unique_reviewers": 1}


def test_retention_purges_old_buyers_ads_and_reviews(store):
    geography = load_geography()
    old = run(store, observed_at=NOW - timedelta(days=500))
    recent = run(store)
    running = run(store, status="running", observed_at=NOW - timedelta(days=500))
    demand_store.add_request_observations(store, old, [request("a", at=NOW - timedelta(days=500))])
    demand_store.add_request_observations(store, running, [request("b", at=NOW - timedelta(days=500))])
    demand_store.add_request_observations(store, recent, [request("c")])
    demand_store.add_review_events(store, old, [review("1", "h", at=NOW - timedelta(days=503),
                                                       seen=NOW - timedelta(days=500))])
    demand_store.add_review_events(store, recent, [review("2", "h")])
    purge(store, geography, 395, now=NOW)
    assert [r.ad_token[0] for r in demand_store.iter_request_rows(store, statuses=("complete", "running"))] == ["b", "c"]
    assert [r.review_token[0] for r in demand_store.iter_review_rows(store)] == ["2"]
