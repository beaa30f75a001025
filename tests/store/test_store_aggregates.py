"""Frozen count aggregates and purging observations, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from store import Store, StoreError, open_store
from store.models import utcnow
from store.aggregates import (
    AggregateCell,
    LateObservations,
    add_count_aggregates,
    count_purgeable_observations,
    frozen_periods,
    late_observations,
    list_count_aggregates,
    purge_observations,
    purgeable_observation_times,
)
from store.observations import add_observations, iter_observation_rows
from store.runs import finish_run, start_run

JAN = (datetime(2025, 1, 1), datetime(2025, 2, 1))
FEB = (datetime(2025, 2, 1), datetime(2025, 3, 1))
# Awkward cell keys: their decimal forms are long, so any rounding on the way would show.
KEYS = [0.1 + 0.2 - 0.3 + 0.5, 0.7853981633974483, 1 / 3, 0.9999999999999999, 0.0]


def cell(period: str, bounds: tuple[datetime, datetime], region: str, measure: str, value: int,
         key: float, level: str = "kommun", kind: str = "month") -> AggregateCell:
    return AggregateCell(level, kind, period, bounds[0], bounds[1], region, measure, value, key)


def add_run(store: Store, make_ad, ads: list[tuple[str, datetime]], status: str | None = "complete") -> int:
    run_id = start_run(store, "alpha", "Alpha", "cfg1", "p1", observed_at=ads[0][1])
    add_observations(store, run_id, [make_ad(token, observed_at=moment) for token, moment in ads])
    if status is not None:
        finish_run(store, run_id, status, pages=1, items=len(ads), errors=0, parse_failures=0,
                   listing_pages=1, finish_reason="finished")
    return run_id


def test_aggregates_round_trip_exactly(store: Store) -> None:
    cells = [cell("2025-01", JAN, f"01{n:02d}", "unique_profiles", n, key) for n, key in enumerate(KEYS)]
    assert add_count_aggregates(store, cells, computed_at=utcnow(), method="m1") == len(cells)
    stored = list_count_aggregates(store, "kommun", "month")
    assert sorted(stored) == sorted(cells)
    assert [c.cell_key for c in sorted(stored)] == [c.cell_key for c in sorted(cells)]  # bit for bit
    assert frozen_periods(store, "month") == {"2025-01"}
    assert frozen_periods(store, "month", "riket") == set()
    assert frozen_periods(store, "week") == set()


def test_a_stored_aggregate_never_changes(store: Store) -> None:
    first = cell("2025-01", JAN, "0180", "active_ads", 7, 0.25)
    add_count_aggregates(store, [first], computed_at=utcnow(), method="m1")
    again = first._replace(value=99, cell_key=0.5)
    other = cell("2025-02", FEB, "0180", "active_ads", 3, 0.5)
    assert add_count_aggregates(store, [again, other], computed_at=utcnow(), method="m1") == 1
    assert {c.period: c.value for c in list_count_aggregates(store, "kommun", "month")} == {"2025-01": 7, "2025-02": 3}


def test_aggregates_by_window_overlap(store: Store) -> None:
    add_count_aggregates(store, [cell("2025-01", JAN, "SE", "active_ads", 1, 0.1, "riket"),
                                 cell("2025-02", FEB, "SE", "active_ads", 2, 0.2, "riket")],
                         computed_at=utcnow(), method="m1")

    def periods(since=None, until=None) -> list[str]:
        return [c.period for c in list_count_aggregates(store, "riket", "month", since=since, until=until)]

    assert periods() == ["2025-01", "2025-02"]
    assert periods(since=datetime(2025, 1, 31), until=datetime(2025, 2, 1)) == ["2025-01"]
    assert periods(since=datetime(2025, 2, 1)) == ["2025-02"]  # the window is half-open
    assert periods(until=datetime(2025, 2, 1)) == ["2025-01"]
    assert periods(since=datetime(2025, 3, 1)) == []


def test_bad_aggregates_are_refused(store: Store) -> None:
    with pytest.raises(StoreError, match="cell_key"):
        add_count_aggregates(store, [cell("2025-01", JAN, "0180", "active_ads", 1, 1.0)], computed_at=utcnow(), method="m")
    with pytest.raises(StoreError, match="value"):
        add_count_aggregates(store, [cell("2025-01", JAN, "0180", "active_ads", -1, 0.1)], computed_at=utcnow(), method="m")
    with pytest.raises(StoreError, match="region_code"):
        add_count_aggregates(store, [cell("2025-01", JAN, "x" * 17, "active_ads", 1, 0.1)], computed_at=utcnow(), method="m")
    with pytest.raises(StoreError, match="start before"):
        add_count_aggregates(store, [cell("2025-01", (JAN[1], JAN[0]), "0180", "active_ads", 1, 0.1)],
                             computed_at=utcnow(), method="m")
    assert list_count_aggregates(store, "kommun", "month") == []


def test_purge_deletes_old_rows_of_ended_runs_only(store: Store, make_ad) -> None:
    old, new = datetime(2025, 1, 10), datetime(2025, 3, 10)
    add_run(store, make_ad, [("a1", old), ("a2", old), ("a3", new)])
    add_run(store, make_ad, [("f1", old)], status="failed")
    add_run(store, make_ad, [("r1", old)], status=None)  # still running
    snapshot = utcnow()
    cutoff = datetime(2025, 2, 1)
    assert purgeable_observation_times(store, cutoff, finished_by=snapshot) == [old]  # counted ones only
    assert count_purgeable_observations(store, cutoff, finished_by=snapshot) == 3
    assert purge_observations(store, cutoff, finished_by=snapshot) == 3
    left = {row.ad_token for row in iter_observation_rows(store, statuses=("complete", "failed", "running"))}
    assert left == {"a3", "r1"}
    assert count_purgeable_observations(store, cutoff, finished_by=snapshot) == 0


def test_runs_finished_after_the_snapshot_wait(store: Store, make_ad) -> None:
    snapshot = utcnow() - timedelta(seconds=5)
    add_run(store, make_ad, [("a1", datetime(2025, 1, 10))])
    assert count_purgeable_observations(store, datetime(2025, 2, 1), finished_by=snapshot) == 0
    assert purge_observations(store, datetime(2025, 2, 1), finished_by=snapshot) == 0
    assert [row.ad_token for row in iter_observation_rows(store, finished_by=snapshot)] == []
    assert [row.ad_token for row in iter_observation_rows(store)] == ["a1"]


def test_late_observations_are_reported_per_frozen_period(store: Store, make_ad) -> None:
    add_run(store, make_ad, [("a1", datetime(2025, 1, 10))])
    add_count_aggregates(store, [cell("2025-01", JAN, "SE", "active_ads", 1, 0.1, "riket"),
                                 cell("2025-01", JAN, "0180", "active_ads", 1, 0.1)],
                         computed_at=utcnow(), method="m1")
    assert late_observations(store) == []
    add_run(store, make_ad, [("b1", datetime(2025, 1, 20)), ("b2", datetime(2025, 1, 21)), ("b3", datetime(2025, 2, 2))])
    add_run(store, make_ad, [("c1", datetime(2025, 1, 20))], status=None)  # running: not counted, not late
    assert late_observations(store) == [LateObservations("month", "2025-01", 2)]


def test_aggregates_survive_reopening(store_url: str) -> None:
    with open_store(store_url) as first:
        add_count_aggregates(first, [cell("2025-01", JAN, "0180", "active_ads", 4, 1 / 3)],
                             computed_at=utcnow(), method="m1")
    with open_store(store_url) as second:
        [stored] = list_count_aggregates(second, "kommun", "month")
    assert stored == cell("2025-01", JAN, "0180", "active_ads", 4, 1 / 3)
