"""What scheduled jobs do. The job store refers to these functions by name: keep the names stable.

- crawl_site / crawl_all: each site in its own child process (scheduler.child), then the supervisor
  fails runs the child left `running`, frees its crawl lock, health-checks and alerts on every run
  the child did not get to check itself, and finally refreshes the published tables (aggregate);
- aggregate: the protected current tables, level × month, in the export folder (post-crawl aggregation);
- weekly_export: a dated, protected kommun × month CSV in the export folder;
- purge: the retention purge (analysis.retention), as `lagesbild purge` does it.
"""
from __future__ import annotations

import logging
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from analysis import retention
from analysis.counts import LEVELS
from analysis.periods import local_date, period_label
from analysis.queries import load_published_family
from config import clock
from config.settings import Settings, load_settings, load_settings_geography
from config.sites import SiteConfig, load_sites
from scheduler import alerts, child
from store import open_store
from store.leases import (
    crawl_lock_name,
    get_lease,
    lease_is_live,
    release_leases_of_process,
)
from store.run_health import runs_started_since
from store.runs import RUNNING, USABLE_STATUSES, RunSummary, fail_running_runs
from web.files import write_protected_file

logger = logging.getLogger(__name__)
_aggregate_lock = threading.Lock()


@dataclass(frozen=True)
class CrawlReport:
    """What one supervised crawl of one site came to."""

    site: str
    skipped: str | None = None  # why no crawl process was started
    process: child.ChildResult | None = None
    runs: tuple[RunSummary, ...] = ()

    @property
    def usable(self) -> bool:
        return any(run.status in USABLE_STATUSES for run in self.runs)


def crawl_site(site: str) -> list[CrawlReport]:
    """Job: crawl one site in a child process."""
    return crawl_sites([site])


def crawl_all() -> list[CrawlReport]:
    """Job: crawl every configured site, each in its own child process, at the same time."""
    return crawl_sites(None)


def crawl_sites(names: list[str] | None) -> list[CrawlReport]:
    settings = load_settings()
    configured = load_sites(settings.sites_dir)
    if names is None:
        sites = list(configured.values())
    else:
        missing = [name for name in names if name not in configured]
        if missing:
            alerts.deliver(settings, alerts.Alert(
                "job_failed", f"lagesbild: schemalagd genomsökning av okänd sajt {', '.join(missing)}",
                (f"sajten finns inte i {settings.sites_dir}; ta bort schemat med lagesbild schedule remove",),
                site=missing[0]))
        sites = [configured[name] for name in names if name in configured]
    store = open_store(settings.resolved_database_url)
    try:
        with ThreadPoolExecutor(max_workers=max(len(sites), 1), thread_name_prefix="crawl") as pool:
            reports = list(pool.map(lambda site: supervise_crawl(site, settings, store), sites))
        if any(report.usable for report in reports):
            aggregate_published(settings, store)
        return reports
    finally:
        store.close()


def supervise_crawl(site: SiteConfig, settings: Settings, store) -> CrawlReport:
    """Run one site's crawl process and settle what it leaves behind."""
    lock = get_lease(store, crawl_lock_name(site.name))
    if lock is not None and lease_is_live(lock):
        reason = f"{site.name} is already being crawled by {lock.holder}"
        logger.info("skipped: %s", reason)
        return CrawlReport(site.name, skipped=reason)
    result = child.run_crawl_process(site, settings)
    freed = release_leases_of_process(store, socket.gethostname()[:80], result.pid)
    if result.abnormal:
        failed = fail_running_runs(store, site.name, result.started_at, result.describe())
        if failed or not result.shutdown:
            logger.error("%s: %s; runs marked failed: %s", site.name, result.describe(), failed or "none")
    elif freed:
        logger.warning("%s: the crawl process left its lock behind: %s", site.name, ", ".join(freed))
    runs = runs_started_since(store, site.name, result.started_at)
    unchecked = [run.id for run in runs if run.health is None and run.status != RUNNING]
    alerts.review_and_alert(store, settings, unchecked)  # the child checks its own runs unless it was killed
    if not runs and result.shutdown:
        logger.info("%s: crawl process stopped before its run started (scheduler shutting down)", site.name)
    elif not runs and result.returncode != 0:
        alerts.deliver(settings, alerts.Alert(
            "crawl_process_failed", f"lagesbild: genomsökningen av {site.name} kunde inte starta",
            tuple(line for line in (result.describe(), result.last_error) if line), site=site.name))
    runs = runs_started_since(store, site.name, result.started_at)
    return CrawlReport(site.name, process=result, runs=tuple(runs))


def aggregate_published(settings: Settings, store) -> list[Path]:
    """Refresh `<level>-manad.csv` in the export folder: every level, protected together (post-crawl)."""
    with _aggregate_lock:
        geography = load_settings_geography(settings)
        family = load_published_family(store, geography, "month", settings=settings)
        written = []
        for level in LEVELS:
            path = settings.export_dir / f"{level}-manad.csv"
            write_protected_file(family[(level, "month")], geography, store, path)
            written.append(path)
        logger.info("published tables refreshed in %s", settings.export_dir)
        return written


def aggregate() -> list[Path]:
    """Job: refresh the published level × month tables."""
    settings = load_settings()
    with open_store(settings.resolved_database_url) as store:
        return aggregate_published(settings, store)


def weekly_export(now: datetime | None = None) -> Path:
    """Job: write the protected kommun × month table to exports/kommun-manad-<ISO week>.csv."""
    settings = load_settings()
    week = period_label(local_date(now or clock.now()), "week")
    path = settings.export_dir / f"kommun-manad-{week}.csv"
    with open_store(settings.resolved_database_url) as store:
        geography = load_settings_geography(settings)
        family = load_published_family(store, geography, "month", settings=settings)
        rows = write_protected_file(family[("kommun", "month")], geography, store, path)
    logger.info("weekly export: %d rows in %s", rows, path)
    return path


def purge() -> retention.PurgeResult:
    """Job: the retention purge (freeze the counts of old periods, then delete their observations)."""
    settings = load_settings()
    with open_store(settings.resolved_database_url) as store:
        result = retention.purge(store, load_settings_geography(settings), settings.retention_days)
    logger.info("retention purge: %s", " ".join(result.summary()))
    return result
