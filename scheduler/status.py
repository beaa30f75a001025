"""The state of an installation on one screen: database, scheduler, sites with their last runs and schedules,
study-period keys and retention (`lagesbild status`)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from analysis import retention
from analysis.periods import local_date
from config.settings import Settings
from config.sites import load_sites
from crawler.keys import KeyRing
from scheduler import schedules
from scheduler.service import scheduler_lease
from store import open_store
from store.aggregates import frozen_periods
from store.db import describe_url
from store.observations import database_size_bytes, observation_span
from store.runs import last_run_per_site


@dataclass(frozen=True)
class SiteStatus:
    name: str
    site: Any | None  # its config, None when runs exist but the config is gone
    last_run: Any | None  # RunSummary
    job: Any | None  # the schedule that crawls it

    @property
    def health(self) -> str:
        """'ok', 'N failed check(s)', 'not checked', or '—' without a finished run."""
        run = self.last_run
        if run is None or (run.health is None and run.status == "running"):
            return "—"
        if run.health is None:
            return "not checked"
        return f"{len(run.health)} failed check(s)" if run.health else "ok"


@dataclass(frozen=True)
class SystemStatus:
    database: str
    size_bytes: int
    observations: int
    lease: Any | None
    sites: list[SiteStatus]
    upcoming: list  # the next scheduled jobs
    key_period: Any | None  # the active study period
    key_policy: str
    key_periods: int
    key_dir: Any
    retention_days: int
    first_day: date | None
    last_day: date | None
    purge_cutoff: date
    frozen_months: int

    @property
    def purge_due(self) -> bool:
        return self.first_day is not None and self.first_day < self.purge_cutoff


def system_status(settings: Settings, now: datetime) -> SystemStatus:
    sites = load_sites(settings.sites_dir)
    with open_store(settings.resolved_database_url) as store:
        last_runs = last_run_per_site(store)
        size = database_size_bytes(store)
        first, last, observations = observation_span(store)
        frozen = frozen_periods(store, "month")
        lease = scheduler_lease(store)
    with schedules.schedule_book(settings) as book:
        jobs = schedules.list_jobs(book)
    by_id = {job.id: job for job in jobs}
    ring = KeyRing(settings.resolved_key_dir, settings.key_period)
    return SystemStatus(
        database=describe_url(settings.resolved_database_url), size_bytes=size, observations=observations,
        lease=lease,
        sites=[SiteStatus(name, sites.get(name), last_runs.get(name),
                          by_id.get(f"crawl:{name}") or by_id.get(schedules.CRAWL_ALL))
               for name in sorted(set(sites) | set(last_runs))],
        upcoming=[job for job in jobs if job.next_run is not None][:5],
        key_period=ring.active(), key_policy=settings.key_period, key_periods=len(ring.periods()),
        key_dir=ring.directory, retention_days=settings.retention_days,
        first_day=local_date(first) if first else None, last_day=local_date(last) if last else None,
        purge_cutoff=local_date(retention.purge_cutoff(now, settings.retention_days)), frozen_months=len(frozen),
    )
