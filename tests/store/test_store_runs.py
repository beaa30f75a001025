"""Sites and runs (store.runs): register, start, finish, fail and list runs, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text

from store import Store, StoreError
from store.models import Observation, Site
from store.observations import add_observations
from store.run_health import runs_started_since
from store.runs import (
    ABANDONED_NOTE,
    RUNNING,
    ensure_site,
    fail_running_runs,
    finish_run,
    get_run,
    last_run_per_site,
    list_runs,
    mark_abandoned_runs,
    start_run,
)

UTC = timezone.utc
COUNTERS = {"pages": 3, "items": 2, "errors": 0, "parse_failures": 0, "listing_pages": 1}
FINISH_COUNTERS = {"pages": 10, "items": 8, "errors": 0, "parse_failures": 0, "listing_pages": 2}


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
    finish_run(store, run_id, status, **{**FINISH_COUNTERS, **counters}, finish_reason="finished")
    return run_id


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


def test_session_target_joins_callers_transaction(store: Store, make_ad) -> None:
    with store.session() as session:
        run_id = new_run(session)  # type: ignore[arg-type]
        add_observations(session, run_id, [make_ad(tok(1))])
        session.rollback()
    assert list_runs(store) == []
    assert observation_count(store) == 0


def test_fill_rates_and_detail_pages_round_trip(store: Store) -> None:
    run_id = start_run(store, "alpha", "Alpha", "cfg", "p1")
    finish_run(store, run_id, "complete", **FINISH_COUNTERS, finish_reason="finished", detail_pages=9,
               fill_rates={"phone": 0.875, "location": 1, "posted": 0.0})
    run = get_run(store, run_id)
    assert run.detail_pages == 9
    assert run.fill_rates == {"location": 1.0, "phone": 0.875, "posted": 0.0}
    assert run.health is None and run.crawl_status is None
    assert run.duration_s is not None and run.duration_s >= 0


@pytest.mark.parametrize("rates", [{"phone": 1.5}, {"phone": -0.1}, {"phone": "full"}, {"": 0.5}])
def test_bad_fill_rates_are_refused(store: Store, rates) -> None:
    run_id = start_run(store, "alpha", "Alpha", "cfg", "p1")
    with pytest.raises(StoreError):
        finish_run(store, run_id, "complete", **FINISH_COUNTERS, finish_reason="finished", fill_rates=rates)
    assert get_run(store, run_id).status == RUNNING


def test_supervisor_fails_the_runs_a_killed_process_left_running(store: Store) -> None:
    before = datetime.now(timezone.utc) - timedelta(seconds=1)
    old = start_run(store, "alpha", "Alpha", "cfg", "p1")  # an older run of another process
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE crawl_run SET started_at = :t WHERE id = :id"),
                           {"t": datetime(2020, 1, 1), "id": old})
    orphan = start_run(store, "alpha", "Alpha", "cfg", "p1")
    done = finished_run(store)
    other = start_run(store, "beta", "Beta", "cfg", "p1")
    assert fail_running_runs(store, "alpha", before, "crawl process ended by SIGKILL") == [orphan]
    run = get_run(store, orphan)
    assert (run.status, run.note) == ("failed", "crawl process ended by SIGKILL") and run.finished_at is not None
    assert get_run(store, old).status == RUNNING and get_run(store, other).status == RUNNING
    assert [r.id for r in runs_started_since(store, "alpha", before)] == [orphan, done]
    assert {name: run.id for name, run in last_run_per_site(store).items()} == {"alpha": done, "beta": other}
