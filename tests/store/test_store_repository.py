"""Repository behaviour: sites, runs, observations and reading them back, on both backends."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from store import Store, StoreError
from store.models import CrawlRun, Observation, Site
from store.observations import ObservationRow, add_observations, database_size_bytes, iter_observation_rows
from store.run_health import run_status_by_site
from store.runs import ABANDONED_NOTE, ensure_site, finish_run, get_run, list_runs, mark_abandoned_runs, start_run

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


def test_ensure_site_is_idempotent_and_updates_display_name(store: Store) -> None:
    first = ensure_site(store, "alpha", "Alpha")
    assert ensure_site(store, "alpha", "Alpha") == first
    assert ensure_site(store, "alpha", "Alpha Escorts") == first
    assert ensure_site(store, "beta", "Beta") != first
    with store.session() as session:
        site = session.get(Site, first)
        assert site is not None and site.display_name == "Alpha Escorts"


def test_start_run_defaults(store: Store) -> None:
    run_id = new_run(store)
    run = get_run(store, run_id)
    assert run is not None
    assert run.site == "alpha" and run.status == "running"
    assert run.observed_at == run.started_at and run.finished_at is None
    assert run.started_at.tzinfo is None
    assert abs(run.started_at - datetime.now(UTC).replace(tzinfo=None)) < timedelta(minutes=1)
    assert (run.pages, run.items, run.errors, run.parse_failures, run.listing_pages) == (0, 0, 0, 0, 0)
    assert (run.config_version, run.parser_version) == ("cfg-1", "parser-1")


def test_start_run_backfill_observed_at_is_stored_as_utc(store: Store) -> None:
    stockholm = datetime(2024, 7, 1, 14, 30, tzinfo=ZoneInfo("Europe/Stockholm"))
    run = get_run(store, new_run(store, observed_at=stockholm))
    assert run is not None and run.observed_at == datetime(2024, 7, 1, 12, 30)


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


def test_mark_abandoned_runs(store: Store) -> None:
    crashed, done = new_run(store), new_run(store)
    finish_run(store, done, "complete", finish_reason="finished", **COUNTERS)
    other_site = new_run(store, site="beta")
    assert mark_abandoned_runs(store, "alpha") == 1
    assert mark_abandoned_runs(store, "alpha") == 0
    assert mark_abandoned_runs(store, "unknown") == 0
    abandoned = get_run(store, crashed)
    assert abandoned is not None and abandoned.status == "failed" and abandoned.note == ABANDONED_NOTE
    assert get_run(store, done).status == "complete"  # type: ignore[union-attr]
    assert get_run(store, other_site).status == "running"  # type: ignore[union-attr]


def test_finish_run_records_outcome_and_validates(store: Store) -> None:
    run_id = new_run(store)
    with pytest.raises(StoreError, match="status"):
        finish_run(store, run_id, "running", finish_reason=None, **COUNTERS)
    with pytest.raises(StoreError, match="pages"):
        finish_run(store, run_id, "complete", finish_reason=None, **{**COUNTERS, "pages": -1})
    with pytest.raises(StoreError, match="does not exist"):
        finish_run(store, run_id + 100, "complete", finish_reason=None, **COUNTERS)
    finish_run(store, run_id, "partial", finish_reason="closespider_timeout", note="timed out", **COUNTERS)
    run = get_run(store, run_id)
    assert run is not None and run.status == "partial" and run.finished_at is not None
    assert (run.pages, run.items, run.listing_pages, run.finish_reason, run.note) == (
        3, 2, 1, "closespider_timeout", "timed out",
    )


def test_list_runs_newest_first_and_by_site(store: Store) -> None:
    ids = [new_run(store), new_run(store, site="beta"), new_run(store)]
    assert [run.id for run in list_runs(store)] == ids[::-1]
    assert [run.id for run in list_runs(store, site="alpha")] == [ids[2], ids[0]]
    assert [run.id for run in list_runs(store, last=1)] == [ids[2]]
    assert list_runs(store, site="nobody") == []


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


def test_database_size_bytes(store: Store) -> None:
    assert database_size_bytes(store) > 0


def test_session_target_joins_callers_transaction(store: Store, make_ad) -> None:
    with store.session() as session:
        run_id = new_run(session)  # type: ignore[arg-type]
        add_observations(session, run_id, [make_ad(tok(1))])
        session.rollback()
    assert list_runs(store) == []
    assert observation_count(store) == 0


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
