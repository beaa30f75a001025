"""Run health and history (store.run_health): suspect runs, site history, runs per status, on both backends."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from store import Store, StoreError
from store.observations import add_observations, iter_observation_rows
from store.run_health import record_health, run_status_by_site, site_history
from store.runs import (
    USABLE_STATUSES,
    finish_run,
    get_run,
    start_run,
)

UTC = timezone.utc
COUNTERS = {"pages": 10, "items": 8, "errors": 0, "parse_failures": 0, "listing_pages": 2}


def tok(number: int) -> str:
    return f"{number:064x}"


def finished_run(store: Store, site: str = "alpha", status: str = "complete", **counters) -> int:
    run_id = start_run(store, site, site.title(), "cfg", "p1")
    finish_run(store, run_id, status, **{**COUNTERS, **counters}, finish_reason="finished")
    return run_id


def new_run(store: Store, site: str = "alpha", **kwargs: object) -> int:
    return start_run(store, site, site.title(), "cfg-1", "parser-1", **kwargs)  # type: ignore[arg-type]


def test_failed_health_check_makes_a_run_suspect_and_it_still_counts(store: Store, make_ad) -> None:
    run_id = finished_run(store, status="partial")
    add_observations(store, run_id, [make_ad(tok(1)), make_ad(tok(2))])
    assert record_health(store, run_id, [{"check": "items", "value": 2, "baseline": 8.0}]) == "suspect"
    run = get_run(store, run_id)
    assert (run.status, run.crawl_status) == ("suspect", "partial")
    assert run.health == ({"baseline": 8.0, "check": "items", "value": 2},)
    assert "suspect" in USABLE_STATUSES
    assert {row.ad_token for row in iter_observation_rows(store)} == {tok(1), tok(2)}


def test_healthy_and_failed_runs_keep_their_status(store: Store) -> None:
    healthy = finished_run(store)
    assert record_health(store, healthy, []) == "complete"
    assert get_run(store, healthy).health == ()
    failed = finished_run(store, status="failed", items=0)
    assert record_health(store, failed, [{"check": "finish_reason", "value": None}]) == "failed"
    assert get_run(store, failed).crawl_status is None
    running = start_run(store, "alpha", "Alpha", "cfg", "p1")
    with pytest.raises(StoreError, match="still running"):
        record_health(store, running, [])


def test_site_history_is_the_sites_earlier_usable_runs_newest_first(store: Store) -> None:
    first = finished_run(store, items=5)
    finished_run(store, site="beta")
    failed = finished_run(store, status="failed", items=0)
    suspect = finished_run(store, items=1)
    record_health(store, suspect, [{"check": "items"}])
    second = finished_run(store, status="partial", items=6)
    current = finished_run(store, items=7)
    history = site_history(store, "alpha", before_run_id=current)
    assert [run.id for run in history] == [second, first]
    assert failed not in [run.id for run in site_history(store, "alpha")]
    assert [run.id for run in site_history(store, "alpha", last=1)] == [current]


def test_run_status_by_site(store: Store) -> None:
    early = datetime(2025, 1, 1, tzinfo=UTC)
    late = datetime(2025, 2, 1, tzinfo=UTC)
    for observed_at, status in ((early, "complete"), (late, "complete"), (late, "failed")):
        run_id = new_run(store, observed_at=observed_at)
        finish_run(store, run_id, status, finish_reason="finished", **COUNTERS)
    new_run(store, site="beta", observed_at=late)
    summary = {(row.site, row.status): row for row in run_status_by_site(store)}
    assert set(summary) == {("alpha", "complete"), ("alpha", "failed"), ("beta", "running")}
    complete = summary[("alpha", "complete")]
    assert complete.count == 2
    assert (complete.first_observed_at, complete.last_observed_at) == (datetime(2025, 1, 1), datetime(2025, 2, 1))
    windowed = run_status_by_site(store, since=datetime(2025, 1, 15, tzinfo=UTC))
    assert {(row.site, row.status, row.count) for row in windowed} == {
        ("alpha", "complete", 1), ("alpha", "failed", 1), ("beta", "running", 1),
    }
