"""Run health (fill rates, suspect runs), supervisor helpers and leases, on SQLite and PostgreSQL."""
from __future__ import annotations

import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest
from alembic import command
from sqlalchemy import text

from store import Store, StoreError, open_store
from store.db import alembic_config, make_engine
from store.models import Lease
from store.leases import (
    LeaseHeld,
    acquire_lease,
    get_lease,
    lease_holder_id,
    lease_is_live,
    list_leases,
    lock_sites,
    release_lease,
    release_leases_of_process,
    renew_lease,
)
from store.observations import add_observations, iter_observation_rows, observation_span
from store.run_health import record_health, runs_started_since, site_history
from store.runs import RUNNING, USABLE_STATUSES, fail_running_runs, finish_run, get_run, last_run_per_site, start_run

COUNTERS = {"pages": 10, "items": 8, "errors": 0, "parse_failures": 0, "listing_pages": 2}


def tok(number: int) -> str:
    return f"{number:064x}"


def finished_run(store: Store, site: str = "alpha", status: str = "complete", **counters) -> int:
    run_id = start_run(store, site, site.title(), "cfg", "p1")
    finish_run(store, run_id, status, **{**COUNTERS, **counters}, finish_reason="finished")
    return run_id


def test_fill_rates_and_detail_pages_round_trip(store: Store) -> None:
    run_id = start_run(store, "alpha", "Alpha", "cfg", "p1")
    finish_run(store, run_id, "complete", **COUNTERS, finish_reason="finished", detail_pages=9,
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
        finish_run(store, run_id, "complete", **COUNTERS, finish_reason="finished", fill_rates=rates)
    assert get_run(store, run_id).status == RUNNING


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


def test_observation_span(store: Store, make_ad) -> None:
    assert observation_span(store) == (None, None, 0)
    run_id = finished_run(store)
    early = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)
    add_observations(store, run_id, [make_ad(tok(1), observed_at=early),
                                     make_ad(tok(2), observed_at=early + timedelta(days=3))])
    assert observation_span(store) == (datetime(2025, 3, 1, 12), datetime(2025, 3, 4, 12), 2)


# --- leases ---------------------------------------------------------------------------


def test_a_lease_has_one_holder_until_it_expires(store: Store) -> None:
    first, second = lease_holder_id(), lease_holder_id()
    assert first != second
    taken = acquire_lease(store, "scheduler", first, ttl_s=30)
    assert taken.holder == first and lease_is_live(taken)
    assert acquire_lease(store, "scheduler", first, ttl_s=30).acquired_at == taken.acquired_at  # renewal
    with pytest.raises(LeaseHeld) as caught:
        acquire_lease(store, "scheduler", second, ttl_s=30)
    assert caught.value.lease.holder == first and "\n" not in str(caught.value)
    assert renew_lease(store, "scheduler", first, ttl_s=30) and not renew_lease(store, "scheduler", second, 30)
    assert not release_lease(store, "scheduler", second)
    assert release_lease(store, "scheduler", first)
    assert get_lease(store, "scheduler") is None
    assert acquire_lease(store, "scheduler", second, ttl_s=30).holder == second


def test_an_expired_lease_is_taken_over(store: Store) -> None:
    dead = "elsewhere:12345:abcd"  # another host: only expiry frees it
    acquire_lease(store, "crawl:alpha", dead, ttl_s=30)
    with pytest.raises(LeaseHeld):
        acquire_lease(store, "crawl:alpha", "me:1:x", ttl_s=30)
    with store.session() as session:
        lease = session.get(Lease, "crawl:alpha")
        lease.expires_at = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(seconds=1)
        session.add(lease)
    assert not lease_is_live(get_lease(store, "crawl:alpha"))
    assert acquire_lease(store, "crawl:alpha", "me:1:x", ttl_s=30).holder == "me:1:x"
    assert not renew_lease(store, "crawl:alpha", dead, ttl_s=30)


def test_a_lease_of_an_ended_process_on_this_host_is_taken_over_at_once(store: Store) -> None:
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    holder = lease_holder_id(pid=int(ended.stdout))
    acquire_lease(store, "crawl:alpha", holder, ttl_s=3600)
    assert not lease_is_live(get_lease(store, "crawl:alpha"))
    mine = lease_holder_id()
    assert acquire_lease(store, "crawl:alpha", mine, ttl_s=30).holder == mine


def test_release_leases_of_a_process(store: Store) -> None:
    child = lease_holder_id(pid=424242)
    host = child.split(":")[0]
    acquire_lease(store, "crawl:alpha", child, 30)
    acquire_lease(store, "crawl:beta", child, 30)
    acquire_lease(store, "crawl:gamma", lease_holder_id(pid=4242420), 30)
    assert sorted(release_leases_of_process(store, host, 424242)) == ["crawl:alpha", "crawl:beta"]
    assert [lease.name for lease in list_leases(store, "crawl:")] == ["crawl:gamma"]


def test_site_locks_are_renewed_and_refuse_a_second_crawl(store_url: str) -> None:
    with open_store(store_url) as first, open_store(store_url) as second:
        locks = lock_sites(first, ["alpha", "beta"], ttl_s=1.0)
        try:
            before = get_lease(first, "crawl:beta").expires_at
            with pytest.raises(LeaseHeld, match="alpha is being crawled by another process"):
                lock_sites(second, ["gamma", "alpha"], ttl_s=1.0)
            assert get_lease(second, "crawl:gamma") is None  # all or nothing
            time.sleep(1.5)  # past the first expiry: renewed meanwhile
            after = get_lease(first, "crawl:beta")
            assert after.expires_at > before and lease_is_live(after)
        finally:
            locks.release()
        assert list_leases(first, "crawl:") == []
        lock_sites(second, ["alpha"]).release()


def test_lease_names_and_holders_are_checked(store: Store) -> None:
    with pytest.raises(StoreError):
        acquire_lease(store, "x" * 65, "me:1:x", 30)
    with pytest.raises(StoreError):
        acquire_lease(store, "scheduler", "", 30)
    with pytest.raises(StoreError):
        acquire_lease(store, "scheduler", "me:1:x", 0)


def test_migration_0005_keeps_existing_runs(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0004")
        connection.exec_driver_sql("INSERT INTO site (id, name, display_name, created_at) "
                                   "VALUES (1, 'alpha', 'Alpha', '2026-01-01 00:00:00')")
        connection.exec_driver_sql(
            "INSERT INTO crawl_run (site_id, status, started_at, observed_at, pages, items, errors, parse_failures, "
            "listing_pages, config_version, parser_version) VALUES (1, 'complete', '2026-01-01 00:00:00', "
            "'2026-01-01 00:00:00', 3, 2, 0, 0, 1, 'c', 'p')")
    engine.dispose()
    with open_store(url) as store:
        [run] = site_history(store, "alpha")
        assert (run.status, run.items, run.detail_pages, run.fill_rates, run.health) == ("complete", 2, 0, None, None)
        assert acquire_lease(store, "scheduler", "me:1:x", 30).holder == "me:1:x"
