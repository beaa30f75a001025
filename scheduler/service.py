"""The scheduler process: exactly one per database, in the foreground, stopped cleanly by SIGTERM or SIGINT.

One scheduler per database is enforced by the `scheduler` lease (store.leases): a row with the
holder and an expiry, renewed every lease_ttl_s / 3 seconds. A second scheduler refuses to start
while the lease is live; a lease whose holder died expires (or, on the same host, is taken over at
once). On shutdown, running crawl processes get SIGTERM (their runs end partial), then SIGKILL.
"""
from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobExecutionEvent,
)

from config.settings import Settings
from crawler.logredact import RedactingFilter
from scheduler import alerts, child
from scheduler.schedules import POLL_S, list_jobs, new_scheduler
from store import open_store
from store.errors import LeaseHeld
from store.leases import HeldLeases, LeaseInfo, get_lease, lease_is_live

logger = logging.getLogger(__name__)
LEASE_NAME = "scheduler"


class SchedulerRunning(Exception):
    """Another scheduler holds this database's lease."""


def scheduler_lease(store) -> LeaseInfo | None:
    """The live scheduler lease of this database, or None when no scheduler runs."""
    lease = get_lease(store, LEASE_NAME)
    return lease if lease is not None and lease_is_live(lease) else None


def scheduler_state(settings: Settings) -> str:
    """One line: which scheduler holds the lease, or how to start one."""
    with open_store(settings.resolved_database_url) as store:
        lease = scheduler_lease(store)
    if lease is None:
        return "No scheduler is running: start one with `lagesbild scheduler start`."
    return f"Scheduler running: {lease.holder} (since {lease.acquired_at:%Y-%m-%d %H:%M} UTC)."


def _on_event(settings: Settings):
    def listener(event: JobExecutionEvent) -> None:
        if event.code == EVENT_JOB_MAX_INSTANCES:
            logger.info("%s: skipped, the previous run has not finished", event.job_id)
        elif event.code == EVENT_JOB_MISSED:
            logger.warning("%s: missed its run at %s (beyond the misfire grace time)", event.job_id,
                           event.scheduled_run_time)
        elif event.code == EVENT_JOB_ERROR:
            reason = f"{type(event.exception).__name__}: {event.exception}"
            alerts.deliver(settings, alerts.Alert(
                "job_failed", f"lagesbild: schemalagt jobb {event.job_id} misslyckades", (reason[:300],)))
    return listener


def run_scheduler(settings: Settings, *, stop: threading.Event | None = None,
                  install_signals: bool = True, on_ready: Callable[[], None] | None = None) -> None:
    """Run the scheduler until `stop` is set (or SIGTERM/SIGINT arrives); refuse if another one runs."""
    stop = stop or threading.Event()
    store = open_store(settings.resolved_database_url)
    lost = threading.Event()

    def lease_lost(_name: str) -> None:
        lost.set()
        stop.set()

    lease = HeldLeases(store, [LEASE_NAME], ttl_s=settings.lease_ttl_s, on_lost=lease_lost)
    try:
        lease.acquire()
    except LeaseHeld as exc:
        store.close()
        raise SchedulerRunning(
            f"another scheduler is already running on this database ({exc.lease.holder}, "
            f"lease renewed until {exc.lease.expires_at:%Y-%m-%d %H:%M:%S} UTC); stop it first"
        ) from None
    scheduler = new_scheduler(settings)
    scheduler.add_listener(_on_event(settings), EVENT_JOB_ERROR | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)
    previous = {}
    if install_signals:
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, lambda *_: stop.set())
    try:
        child.allow_new_children()
        scheduler.start()
        jobs = list_jobs(scheduler)
        logger.info("scheduler started (%s); %d schedules: %s", lease.holder, len(jobs),
                    ", ".join(f"{job.id} next {job.next_run:%Y-%m-%d %H:%M}" if job.next_run else f"{job.id} paused"
                              for job in jobs) or "none yet (add one with lagesbild schedule add)")
        if on_ready is not None:
            on_ready()
        while not stop.wait(POLL_S):
            scheduler.wakeup()  # pick up schedules other processes added, paused or queued
    finally:
        logger.info("scheduler stopping: waiting for running jobs")
        if scheduler.running:
            scheduler.pause()  # no new jobs from here on
        child.stop_all()
        if scheduler.running:
            scheduler.shutdown(wait=True)
        lease.release()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        store.close()
        if lost.is_set():
            alerts.deliver(settings, alerts.Alert(
                "scheduler_stopped", "lagesbild: schemaläggaren stoppades: den förlorade sitt lås på databasen",
                ("en annan schemaläggare tog över låset; kontrollera att bara en körs",)))
        logger.info("scheduler stopped")


def run_scheduler_logging_to_stderr(settings: Settings) -> None:
    """run_scheduler with redacted log lines on stderr, as `lagesbild scheduler start` runs it."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    logging.getLogger("apscheduler").setLevel(max(logging.INFO, root.level))
    try:
        run_scheduler(settings)
    finally:
        root.removeHandler(handler)
