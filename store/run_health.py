"""Run health and history: the failed checks stored on a finished run, and the reads that judge runs.

scheduler.health compares a run with the site's recent history (site_history) and stores the
verdict (record_health); the supervisor reads the runs started since a moment, and coverage
reports the runs per site and status.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from store.errors import StoreError
from store.models import CrawlRun, Site, to_naive_utc
from store.runs import RUNNING, SUSPECT, RunSummary, run_summary
from store.session import StoreOrSession, as_datetime, session_scope

_HEALTH_JSON_LEN = 4_000


@dataclass(frozen=True)
class RunStatusCount:
    """How many runs of one site ended with one status, and the span they observed."""

    site: str
    status: str
    count: int
    first_observed_at: datetime
    last_observed_at: datetime


def record_health(target: StoreOrSession, run_id: int, failed_checks: list[dict[str, Any]]) -> str:
    """Store the health checks a finished run failed ([] = healthy); return the run's status afterwards.

    A complete or partial run that failed a check becomes 'suspect' (its own status is kept in
    crawl_status); a failed run stays failed. Checks hold only names, numbers and field names.
    """
    text = json.dumps(list(failed_checks), sort_keys=True)
    if len(text) > _HEALTH_JSON_LEN:
        raise StoreError(f"health checks take more than {_HEALTH_JSON_LEN} characters")
    with session_scope(target) as session:
        run = session.get(CrawlRun, run_id)
        if run is None:
            raise StoreError(f"crawl run {run_id} does not exist")
        if run.status == RUNNING:
            raise StoreError(f"crawl run {run_id} is still running")
        run.health = text
        if failed_checks and run.status in ("complete", "partial"):
            run.crawl_status = run.status
            run.status = SUSPECT
        session.add(run)
        session.flush()
        return run.status


def site_history(
    target: StoreOrSession,
    site: str,
    *,
    before_run_id: int | None = None,
    statuses: Iterable[str] = ("complete", "partial"),
    last: int = 10,
) -> list[RunSummary]:
    """The site's newest `last` runs with one of `statuses` (before run `before_run_id`), newest first."""
    if last < 1:
        raise StoreError("the number of runs must be at least 1")
    statement = (
        select(CrawlRun, Site.name)
        .join(Site, Site.id == CrawlRun.site_id)
        .where(Site.name == site, CrawlRun.status.in_(tuple(statuses)))
        .order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc())
        .limit(last)
    )
    if before_run_id is not None:
        statement = statement.where(CrawlRun.id < before_run_id)
    with session_scope(target) as session:
        return [run_summary(run, name) for run, name in session.exec(statement).all()]


def runs_started_since(target: StoreOrSession, site: str, since: datetime) -> list[RunSummary]:
    """The site's runs started at or after `since`, oldest first."""
    statement = (
        select(CrawlRun, Site.name)
        .join(Site, Site.id == CrawlRun.site_id)
        .where(Site.name == site, CrawlRun.started_at >= to_naive_utc(since))
        .order_by(CrawlRun.started_at, CrawlRun.id)
    )
    with session_scope(target) as session:
        return [run_summary(run, name) for run, name in session.exec(statement).all()]


def run_status_by_site(
    target: StoreOrSession, since: datetime | None = None, until: datetime | None = None
) -> list[RunStatusCount]:
    """Runs per site and status (by the runs' observed_at), for coverage reports."""
    statement = (
        select(
            Site.name,
            CrawlRun.status,
            func.count(CrawlRun.id),
            func.min(CrawlRun.observed_at),
            func.max(CrawlRun.observed_at),
        )
        .join(Site, Site.id == CrawlRun.site_id)
        .group_by(Site.name, CrawlRun.status)
        .order_by(Site.name, CrawlRun.status)
    )
    if since is not None:
        statement = statement.where(CrawlRun.observed_at >= to_naive_utc(since))
    if until is not None:
        statement = statement.where(CrawlRun.observed_at < to_naive_utc(until))
    with session_scope(target) as session:
        return [
            RunStatusCount(
                site=name,
                status=status,
                count=count,
                first_observed_at=as_datetime(first),
                last_observed_at=as_datetime(last),
            )
            for name, status, count, first, last in session.exec(statement).all()
        ]
