"""Leases (store.leases): one holder per lease, expiry, take-over and site locks, on SQLite and PostgreSQL."""
from __future__ import annotations

import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest

from store import Store, StoreError, open_store
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
