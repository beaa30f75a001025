"""Observations (store.observations): storing, deduplicating and streaming them back, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from store import Store, StoreError
from store.models import CrawlRun, Observation
from store.observations import (
    ObservationRow,
    add_observations,
    database_size_bytes,
    iter_observation_rows,
    observation_span,
)
from store.runs import (
    finish_run,
    start_run,
)

UTC = timezone.utc
COUNTERS = {"pages": 3, "items": 2, "errors": 0, "parse_failures": 0, "listing_pages": 1}


def tok(number: int) -> str:
    """A 64-character hex stand-in for an HMAC token."""
    return f"{number:064x}"


def new_run(store: Store, site: str = "alpha", **kwargs: object) -> int:
    return start_run(store, site, site.title(), "cfg-1", "parser-1", **kwargs)  # type: ignore[arg-type]


def observation_count(store: Store) -> int:
    with store.session() as session:
        return session.exec(select(func.count()).select_from(Observation)).scalar_one()


def finished_run(store: Store, site: str = "alpha", status: str = "complete", **counters) -> int:
    run_id = start_run(store, site, site.title(), "cfg", "p1")
    finish_run(store, run_id, status, **{**COUNTERS, **counters}, finish_reason="finished")
    return run_id


def test_duplicates_within_a_batch_are_stored_once(store: Store, make_ad) -> None:
    run_id = new_run(store)
    ads = [make_ad(tok(1)), make_ad(tok(2)), make_ad(tok(1), kommun_code="1480")]
    assert add_observations(store, run_id, ads) == 2
    assert observation_count(store) == 2
    # The first sighting wins.
    assert {row.kommun_code for row in iter_observation_rows(store, statuses=["running"])} == {"0180"}


def test_duplicates_across_batches_are_ignored(store: Store, make_ad) -> None:
    run_id = new_run(store)
    assert add_observations(store, run_id, [make_ad(tok(1)), make_ad(tok(2))]) == 2
    assert add_observations(store, run_id, [make_ad(tok(2)), make_ad(tok(3))]) == 1
    assert add_observations(store, run_id, [make_ad(tok(3))]) == 0
    assert add_observations(store, run_id, []) == 0
    assert observation_count(store) == 3


def test_different_runs_may_store_the_same_ad(store: Store, make_ad) -> None:
    first, second = new_run(store), new_run(store)
    assert add_observations(store, first, [make_ad(tok(7))]) == 1
    assert add_observations(store, second, [make_ad(tok(7))]) == 1
    assert observation_count(store) == 2


def test_add_observations_rejects_bad_input_without_echoing_it(store: Store, make_ad) -> None:
    run_id = new_run(store)
    with pytest.raises(StoreError, match="does not exist"):
        add_observations(store, run_id + 100, [make_ad(tok(1))])
    with pytest.raises(StoreError, match="site"):
        add_observations(store, run_id, [make_ad(tok(1), site="beta")])
    plaintext = "+46701740605 Anna Storgatan 1" * 3  # a PTS fiction number
    with pytest.raises(StoreError) as caught:
        add_observations(store, run_id, [make_ad(tok(2)), make_ad(plaintext)])
    assert "ad_token" in str(caught.value) and plaintext not in str(caught.value)
    with pytest.raises(StoreError, match="kommun_code"):
        add_observations(store, run_id, [make_ad(tok(3), kommun_code="Stockholm")])
    with pytest.raises(StoreError, match="category"):
        add_observations(store, run_id, [make_ad(tok(4), category="VIP")])
    # A rejected batch stores nothing at all.
    assert observation_count(store) == 0


def test_aware_datetimes_round_trip_as_utc(store: Store, make_ad) -> None:
    run_id = new_run(store)
    stockholm = ZoneInfo("Europe/Stockholm")
    ad = make_ad(
        tok(1),
        observed_at=datetime(2025, 1, 15, 9, 0, tzinfo=stockholm),
        posted_at=datetime(2025, 6, 15, 9, 0, tzinfo=stockholm),
    )
    add_observations(store, run_id, [ad])
    with store.session() as session:
        stored = session.exec(select(Observation)).scalar_one()
    assert stored.observed_at == datetime(2025, 1, 15, 8, 0)
    assert stored.posted_at == datetime(2025, 6, 15, 7, 0)
    assert stored.observed_at.tzinfo is None


def test_iter_observation_rows_filters_by_run_status(store: Store, make_ad) -> None:
    runs = {status: new_run(store) for status in ("complete", "partial", "failed", "running")}
    for number, (status, run_id) in enumerate(runs.items()):
        add_observations(store, run_id, [make_ad(tok(number))])
        if status != "running":
            finish_run(store, run_id, status, finish_reason="finished", **COUNTERS)
    default = list(iter_observation_rows(store))
    assert sorted(row.ad_token for row in default) == [tok(0), tok(1)]
    assert all(isinstance(row, ObservationRow) and row.site == "alpha" for row in default)
    failed = list(iter_observation_rows(store, statuses=("failed",)))
    assert [row.ad_token for row in failed] == [tok(2)]
    everything = list(iter_observation_rows(store, statuses=("complete", "partial", "failed", "running")))
    assert len(everything) == 4


def test_iter_observation_rows_filters_by_time_window(store: Store, make_ad) -> None:
    run_id = new_run(store)
    days = [datetime(2025, 3, day, 12, 0, tzinfo=UTC) for day in (1, 2, 3, 4)]
    add_observations(store, run_id, [make_ad(tok(i), observed_at=day) for i, day in enumerate(days)])
    finish_run(store, run_id, "complete", finish_reason="finished", **COUNTERS)
    window = list(iter_observation_rows(store, since=days[1], until=days[3]))
    assert [row.ad_token for row in window] == [tok(1), tok(2)]
    assert [row.observed_at for row in window] == [d.replace(tzinfo=None) for d in days[1:3]]
    # An aware bound in another zone means the same instant.
    since_cet = datetime(2025, 3, 3, 13, 0, tzinfo=ZoneInfo("Europe/Stockholm"))
    assert [row.ad_token for row in iter_observation_rows(store, since=since_cet)] == [tok(2), tok(3)]


def test_iter_observation_rows_can_stop_early(store: Store, make_ad) -> None:
    run_id = new_run(store)
    add_observations(store, run_id, [make_ad(tok(i)) for i in range(50)])
    finish_run(store, run_id, "complete", finish_reason="finished", **COUNTERS)
    rows = iter_observation_rows(store)
    assert next(rows).ad_token == tok(0)
    rows.close()
    # The store remains usable after an abandoned stream.
    assert add_observations(store, new_run(store), [make_ad(tok(1))]) == 1


def test_database_size_bytes(store: Store) -> None:
    assert database_size_bytes(store) > 0


def test_bulk_insert_of_twenty_thousand(store: Store, make_ad) -> None:
    run_id = new_run(store)
    base = datetime(2025, 3, 1, tzinfo=UTC)
    ads = [
        make_ad(
            tok(i),
            profile_token=tok(i // 3 + 10**6),
            phone_token=tok(i // 5 + 10**7) if i % 2 else None,
            kommun_code=None if i % 11 == 0 else f"{i % 3000:04d}",
            unresolved_reason="no_location" if i % 11 == 0 else None,
            observed_at=base + timedelta(seconds=i),
        )
        for i in range(20_000)
    ]
    assert add_observations(store, run_id, ads) == 20_000
    assert add_observations(store, run_id, ads[:100]) == 0
    finish_run(store, run_id, "complete", finish_reason="finished", **COUNTERS)
    assert sum(1 for _ in iter_observation_rows(store)) == 20_000
    with store.session() as session:
        counted = session.exec(
            select(func.count()).select_from(Observation).join(CrawlRun).where(CrawlRun.id == run_id)
        ).scalar_one()
    assert counted == 20_000


def test_observation_span(store: Store, make_ad) -> None:
    assert observation_span(store) == (None, None, 0)
    run_id = finished_run(store)
    early = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)
    add_observations(store, run_id, [make_ad(tok(1), observed_at=early),
                                     make_ad(tok(2), observed_at=early + timedelta(days=3))])
    assert observation_span(store) == (datetime(2025, 3, 1, 12), datetime(2025, 3, 4, 12), 2)
