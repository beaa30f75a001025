"""Leases: one scheduler per database and one crawl per site, held by renewing a row with an expiry.

A lease names its holder '<host>:<pid>:<nonce>'; an expired lease, or one whose holder process
on this host has ended, is taken over.
"""
from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from store.db import Store
from store.errors import LeaseHeld, StoreError
from store.models import LEASE_HOLDER_LEN, LEASE_NAME_LEN, Lease, utcnow
from store.session import StoreOrSession, check_text, insert_ignoring, session_scope

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LeaseInfo:
    """Who holds a lease and until when (naive UTC)."""

    name: str
    holder: str
    acquired_at: datetime
    expires_at: datetime

    @property
    def host(self) -> str:
        return self.holder.split(":", 1)[0]

    @property
    def pid(self) -> int | None:
        parts = self.holder.split(":")
        return int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else None

    def expired(self, now: datetime | None = None) -> bool:
        return self.expires_at < (now or utcnow())


def lease_holder_id(pid: int | None = None) -> str:
    """A holder name for this process: '<host>:<pid>:<nonce>'."""
    return f"{socket.gethostname()[:80]}:{os.getpid() if pid is None else pid}:{secrets.token_hex(4)}"


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _holder_is_dead(lease: LeaseInfo) -> bool:
    """True when the holder is a process on this host that no longer exists (it cannot renew)."""
    pid = lease.pid
    return lease.host == socket.gethostname()[:80] and pid is not None and not _process_alive(pid)


def lease_is_live(lease: LeaseInfo) -> bool:
    """Held: not expired, and not held by a process on this host that has ended."""
    return not lease.expired() and not _holder_is_dead(lease)


def _lease_info(row: Lease) -> LeaseInfo:
    return LeaseInfo(row.name, row.holder, row.acquired_at, row.expires_at)


def get_lease(target: StoreOrSession, name: str) -> LeaseInfo | None:
    """The lease `name`, expired or not, or None."""
    with session_scope(target) as session:
        row = session.get(Lease, name)
        return None if row is None else _lease_info(row)


def list_leases(target: StoreOrSession, prefix: str = "") -> list[LeaseInfo]:
    """Every lease whose name starts with `prefix`, by name."""
    statement = select(Lease).where(Lease.name.startswith(prefix, autoescape=True)).order_by(Lease.name)
    with session_scope(target) as session:
        return [_lease_info(row) for row in session.exec(statement).scalars()]


def acquire_lease(target: StoreOrSession, name: str, holder: str, ttl_s: float) -> LeaseInfo:
    """Take (or renew) the lease `name` for `ttl_s` seconds, or raise LeaseHeld.

    An expired lease, or one whose holder process on this host is gone, is taken over.
    Atomic on SQLite and PostgreSQL: concurrent callers cannot both succeed.
    """
    check_text("lease name", name, LEASE_NAME_LEN, required=True)
    check_text("lease holder", holder, LEASE_HOLDER_LEN, required=True)
    if ttl_s <= 0:
        raise StoreError("a lease must last more than 0 seconds")
    with session_scope(target) as session:
        now = utcnow()
        expires = now + timedelta(seconds=ttl_s)
        values = {"name": name, "holder": holder, "acquired_at": now, "expires_at": expires}
        session.exec(insert_ignoring(session, Lease.__table__, ["name"]).values(values))
        table = Lease.__table__
        session.exec(  # our own lease: renew it
            update(table).where(table.c.name == name, table.c.holder == holder).values(expires_at=expires)
        )
        session.exec(  # an expired lease: take it over
            update(table)
            .where(table.c.name == name, table.c.holder != holder, table.c.expires_at < now)
            .values(holder=holder, acquired_at=now, expires_at=expires)
        )
        current = _lease_info(session.exec(select(Lease).where(Lease.name == name)).scalar_one())
        session.expire_all()
        if current.holder != holder and _holder_is_dead(current):
            logger.info("taking over lease %s from %s, whose process has ended", name, current.holder)
            session.exec(
                update(table)
                .where(table.c.name == name, table.c.holder == current.holder)
                .values(holder=holder, acquired_at=now, expires_at=expires)
            )
            current = _lease_info(session.exec(select(Lease).where(Lease.name == name)).scalar_one())
            session.expire_all()
    if current.holder != holder:
        raise LeaseHeld(f"{name} is held by {current.holder} since {current.acquired_at:%Y-%m-%d %H:%M:%S} UTC "
                        f"(renewed until {current.expires_at:%H:%M:%S} UTC)", current)
    return current


def renew_lease(target: StoreOrSession, name: str, holder: str, ttl_s: float) -> bool:
    """Extend our lease by `ttl_s` seconds from now; False when it is no longer ours."""
    table = Lease.__table__
    statement = (
        update(table)
        .where(table.c.name == name, table.c.holder == holder)
        .values(expires_at=utcnow() + timedelta(seconds=ttl_s))
    )
    with session_scope(target) as session:
        return session.exec(statement).rowcount == 1


def release_lease(target: StoreOrSession, name: str, holder: str) -> bool:
    """Give our lease back; False when it was not ours (any more)."""
    table = Lease.__table__
    with session_scope(target) as session:
        return session.exec(delete(table).where(table.c.name == name, table.c.holder == holder)).rowcount == 1


def release_leases_of_process(target: StoreOrSession, host: str, pid: int) -> list[str]:
    """Drop every lease held by process `pid` on `host` (a supervisor whose child died); return their names."""
    table = Lease.__table__
    prefix = f"{host}:{pid}:"
    with session_scope(target) as session:
        names = list(session.exec(select(table.c.name).where(table.c.holder.startswith(prefix, autoescape=True)))
                     .scalars())
        if names:
            session.exec(delete(table).where(table.c.holder.startswith(prefix, autoescape=True)))
        return names


class HeldLeases:
    """Leases taken together and renewed by a daemon thread until released.

    `on_lost(name)` is called (from the renewing thread) when a lease could not be renewed.
    """

    def __init__(self, store: Store, names: Iterable[str], *, ttl_s: float = 60.0,
                 holder: str | None = None, on_lost=None) -> None:
        self.store = store
        self.names = sorted(set(names))
        self.ttl_s = ttl_s
        self.holder = holder or lease_holder_id()
        self.on_lost = on_lost
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._held: list[str] = []

    def acquire(self) -> HeldLeases:
        try:
            for name in self.names:
                acquire_lease(self.store, name, self.holder, self.ttl_s)
                self._held.append(name)
        except BaseException:
            self.release()
            raise
        self._thread = threading.Thread(target=self._renew, name="lagesbild-lease", daemon=True)
        self._thread.start()
        return self

    def _renew(self) -> None:
        interval = max(self.ttl_s / 3, 0.2)
        while not self._stop.wait(interval):
            for name in list(self._held):
                try:
                    ok = renew_lease(self.store, name, self.holder, self.ttl_s)
                except Exception as exc:  # the database is briefly unreachable: try again next time
                    logger.warning("could not renew lease %s: %s", name, exc)
                    continue
                if not ok:
                    logger.error("lease %s was lost (taken over by another process)", name)
                    self._held.remove(name)
                    if self.on_lost is not None:
                        self.on_lost(name)

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        for name in reversed(self._held):
            try:
                release_lease(self.store, name, self.holder)
            except Exception as exc:  # it expires by itself
                logger.warning("could not release lease %s: %s", name, exc)
        self._held.clear()

    def __enter__(self) -> HeldLeases:
        return self.acquire()

    def __exit__(self, *_exc: object) -> None:
        self.release()


def crawl_lock_name(site: str) -> str:
    """The lease that keeps two crawls of one site from running at once."""
    return f"crawl:{site}"


def lock_sites(store: Store, sites: Iterable[str], *, ttl_s: float = 60.0) -> HeldLeases:
    """Hold the crawl locks of `sites` (released by .release()); raise LeaseHeld when one is busy."""
    names = [crawl_lock_name(site) for site in sites]
    try:
        return HeldLeases(store, names, ttl_s=ttl_s).acquire()
    except LeaseHeld as exc:
        site = exc.lease.name.removeprefix("crawl:")
        raise LeaseHeld(f"{site} is being crawled by another process ({exc.lease.holder}, since "
                        f"{exc.lease.acquired_at:%Y-%m-%d %H:%M} UTC); try again when it has finished",
                        exc.lease) from None
