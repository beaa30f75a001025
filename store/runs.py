"""Sites and crawl runs: register a site, start, finish and fail runs, and read them back.

A run is `running` until the crawl ends with one of FINISHED_STATUSES; a health check may later
make a complete or partial run `suspect` (store.run_health).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlmodel import Session

from store.errors import StoreError
from store.models import (
    DISPLAY_NAME_LEN,
    FINISH_REASON_LEN,
    NOTE_LEN,
    SITE_NAME_LEN,
    VERSION_LEN,
    CrawlRun,
    Site,
    to_naive_utc,
    utcnow,
)
from store.session import StoreOrSession, check_count, check_text, insert_ignoring, session_scope

RUNNING = "running"
# Statuses a crawl may finish with.
FINISHED_STATUSES = ("complete", "partial", "failed")
# A complete or partial run that failed a health check afterwards (see scheduler.health).
SUSPECT = "suspect"
RUN_STATUSES = (RUNNING, *FINISHED_STATUSES, SUSPECT)
# Runs whose observations count by default: the crawl ended and its data is usable. A suspect run
# is counted: its sightings are real (tokens are distinct, so nothing is counted twice) and leaving
# it out would turn a false alarm into a real dip; analysis flags its period as a data artefact.
USABLE_STATUSES = ("complete", "partial", SUSPECT)
ABANDONED_NOTE = "abandoned: process ended before the run finished"

_FIELD_NAME_LEN = 32  # longest field name in a run's fill rates


@dataclass(frozen=True)
class RunSummary:
    """One crawl run with its site's name."""

    site: str
    id: int
    site_id: int
    status: str
    started_at: datetime
    finished_at: datetime | None
    observed_at: datetime
    pages: int
    items: int
    errors: int
    parse_failures: int
    listing_pages: int
    finish_reason: str | None
    config_version: str
    parser_version: str
    note: str | None
    key_period: str | None = None
    detail_pages: int = 0
    fill_rates: dict[str, float] | None = None  # field -> share of parsed detail pages that had it
    health: tuple[dict[str, Any], ...] | None = None  # failed health checks; None = not checked
    crawl_status: str | None = None  # the crawl's own status when health checks made the run suspect

    @property
    def duration_s(self) -> float | None:
        return None if self.finished_at is None else (self.finished_at - self.started_at).total_seconds()


def _ensure_site(session: Session, name: str, display_name: str) -> int:
    check_text("site name", name, SITE_NAME_LEN, required=True)
    check_text("site display name", display_name, DISPLAY_NAME_LEN, required=True)
    site = session.exec(select(Site).where(Site.name == name)).scalar_one_or_none()
    if site is None:
        # ON CONFLICT keeps two processes registering the same site from failing.
        table = Site.__table__
        values = {"name": name, "display_name": display_name, "created_at": utcnow()}
        session.exec(insert_ignoring(session, table, ["name"]).values(values))
        site = session.exec(select(Site).where(Site.name == name)).scalar_one()
    if site.display_name != display_name:
        site.display_name = display_name
        session.add(site)
        session.flush()
    assert site.id is not None
    return site.id


def ensure_site(target: StoreOrSession, name: str, display_name: str) -> int:
    """Return the id of site `name`, registering it (or updating its display name) as needed."""
    with session_scope(target) as session:
        return _ensure_site(session, name, display_name)


def start_run(
    target: StoreOrSession,
    site_name: str,
    display_name: str,
    config_version: str,
    parser_version: str,
    observed_at: datetime | None = None,
    key_period: str | None = None,
) -> int:
    """Create a `running` run for a site and return its id.

    `observed_at` defaults to the start time; a back-fill passes an earlier moment.
    `key_period` names the study period whose key makes the run's tokens.
    """
    check_text("config_version", config_version, VERSION_LEN, required=True)
    check_text("parser_version", parser_version, VERSION_LEN, required=True)
    started_at = utcnow()
    with session_scope(target) as session:
        site_id = _ensure_site(session, site_name, display_name)
        run = CrawlRun(
            site_id=site_id,
            status=RUNNING,
            started_at=started_at,
            observed_at=started_at if observed_at is None else to_naive_utc(observed_at),
            config_version=config_version,
            parser_version=parser_version,
            key_period=key_period,
        )
        session.add(run)
        session.flush()
        assert run.id is not None
        return run.id


def mark_abandoned_runs(target: StoreOrSession, site_name: str) -> int:
    """Mark the site's runs still `running` as `failed` (their process died); return how many.

    Call this only while no crawl of the site is in progress. `finished_at` stays empty,
    because when the process ended is unknown.
    """
    site_ids = select(Site.id).where(Site.name == site_name).scalar_subquery()
    statement = (
        update(CrawlRun)
        .where(CrawlRun.site_id == site_ids, CrawlRun.status == RUNNING)
        .values(status="failed", note=ABANDONED_NOTE)
        .execution_options(synchronize_session=False)
    )
    with session_scope(target) as session:
        return session.exec(statement).rowcount


def _fill_rates_json(fill_rates: dict[str, float]) -> str:
    for field, rate in fill_rates.items():
        check_text("fill rate field", field, _FIELD_NAME_LEN, required=True)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0.0 <= rate <= 1.0:
            raise StoreError("a fill rate must be a number from 0 to 1")
    return json.dumps({field: round(float(rate), 4) for field, rate in sorted(fill_rates.items())})


def finish_run(
    target: StoreOrSession,
    run_id: int,
    status: str,
    *,
    pages: int,
    items: int,
    errors: int,
    parse_failures: int,
    listing_pages: int,
    finish_reason: str | None,
    note: str | None = None,
    detail_pages: int = 0,
    fill_rates: dict[str, float] | None = None,
) -> None:
    """Record how a run ended: its final status, counters, reason and per-field fill rates (0..1)."""
    if status not in FINISHED_STATUSES:
        raise StoreError(f"run status must be one of {', '.join(FINISHED_STATUSES)}, not {status!r}")
    counters = {
        "pages": pages,
        "items": items,
        "errors": errors,
        "parse_failures": parse_failures,
        "listing_pages": listing_pages,
        "detail_pages": detail_pages,
    }
    for field, value in counters.items():
        check_count(field, value)
    check_text("finish_reason", finish_reason, FINISH_REASON_LEN)
    check_text("note", note, NOTE_LEN)
    rates = None if fill_rates is None else _fill_rates_json(fill_rates)
    with session_scope(target) as session:
        run = session.get(CrawlRun, run_id)
        if run is None:
            raise StoreError(f"crawl run {run_id} does not exist")
        run.status = status
        run.finished_at = utcnow()
        run.finish_reason = finish_reason
        run.note = note
        run.fill_rates = rates
        for field, value in counters.items():
            setattr(run, field, value)
        session.add(run)
        session.flush()


def fail_running_runs(target: StoreOrSession, site: str, since: datetime, note: str) -> list[int]:
    """Mark the site's runs started since `since` and still `running` as failed, with `note`; return their ids.

    For a supervisor that saw the crawl process end (killed, timed out, crashed): it knows when.
    """
    check_text("note", note, NOTE_LEN, required=True)
    site_ids = select(Site.id).where(Site.name == site).scalar_subquery()
    with session_scope(target) as session:
        ids = list(session.exec(
            select(CrawlRun.id).where(
                CrawlRun.site_id == site_ids, CrawlRun.status == RUNNING, CrawlRun.started_at >= to_naive_utc(since)
            )
        ).scalars())
        if ids:
            session.exec(
                update(CrawlRun)
                .where(CrawlRun.id.in_(ids), CrawlRun.status == RUNNING)
                .values(status="failed", note=note, finished_at=utcnow())
                .execution_options(synchronize_session=False)
            )
        return ids


def run_summary(run: CrawlRun, site_name: str) -> RunSummary:
    """A stored run as a RunSummary, with its site's name."""
    assert run.id is not None
    return RunSummary(
        site=site_name,
        id=run.id,
        site_id=run.site_id,
        status=run.status,
        started_at=run.started_at,
        finished_at=run.finished_at,
        observed_at=run.observed_at,
        pages=run.pages,
        items=run.items,
        errors=run.errors,
        parse_failures=run.parse_failures,
        listing_pages=run.listing_pages,
        finish_reason=run.finish_reason,
        config_version=run.config_version,
        parser_version=run.parser_version,
        note=run.note,
        key_period=run.key_period,
        detail_pages=run.detail_pages,
        fill_rates=None if run.fill_rates is None else json.loads(run.fill_rates),
        health=None if run.health is None else tuple(json.loads(run.health)),
        crawl_status=run.crawl_status,
    )


def get_run(target: StoreOrSession, run_id: int) -> RunSummary | None:
    """One run by id, or None."""
    statement = select(CrawlRun, Site.name).join(Site, Site.id == CrawlRun.site_id).where(CrawlRun.id == run_id)
    with session_scope(target) as session:
        found = session.exec(statement).one_or_none()
        return None if found is None else run_summary(found[0], found[1])


def list_runs(target: StoreOrSession, site: str | None = None, last: int | None = 20) -> list[RunSummary]:
    """The newest `last` runs (all when None), optionally of one site, newest first."""
    statement = (
        select(CrawlRun, Site.name)
        .join(Site, Site.id == CrawlRun.site_id)
        .order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc())
    )
    if site is not None:
        statement = statement.where(Site.name == site)
    if last is not None:
        if last < 1:
            raise StoreError("the number of runs to list must be at least 1")
        statement = statement.limit(last)
    with session_scope(target) as session:
        return [run_summary(run, name) for run, name in session.exec(statement).all()]


def last_run_per_site(target: StoreOrSession) -> dict[str, RunSummary]:
    """Each site's newest run, by site name."""
    newest = (
        select(CrawlRun.site_id, func.max(CrawlRun.id).label("run_id")).group_by(CrawlRun.site_id).subquery()
    )
    statement = (
        select(CrawlRun, Site.name)
        .join(newest, newest.c.run_id == CrawlRun.id)
        .join(Site, Site.id == CrawlRun.site_id)
        .order_by(Site.name)
    )
    with session_scope(target) as session:
        return {name: run_summary(run, name) for run, name in session.exec(statement).all()}


def runs_per_key_period(target: StoreOrSession) -> dict[str | None, int]:
    """How many crawl runs each study-period key tokenised (None: runs from before key periods)."""
    statement = select(CrawlRun.key_period, func.count()).group_by(CrawlRun.key_period)
    with session_scope(target) as session:
        return dict(session.exec(statement).all())
