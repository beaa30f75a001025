"""Functions other stages call to record sites, runs and observations, and to read them back.

Every function takes either a `Store` (work is committed when it returns) or an open
`Session` (work joins the caller's transaction, which the caller commits).
Datetimes go in aware or naive-UTC and come back as naive UTC; time windows are
half-open: `since <= observed_at < until`.
"""
from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from parsers.records import CATEGORIES, ObservedAd
from store.db import Store
from store.errors import StoreError
from store.models import (
    CATEGORY_LEN,
    DISPLAY_NAME_LEN,
    FINISH_REASON_LEN,
    KOMMUN_CODE_LEN,
    LEASE_HOLDER_LEN,
    LEASE_NAME_LEN,
    LEVEL_LEN,
    MEASURE_LEN,
    METHOD_LEN,
    NOTE_LEN,
    PERIOD_KIND_LEN,
    PERIOD_LEN,
    PLACE_TEXT_LEN,
    REGION_CODE_LEN,
    SITE_NAME_LEN,
    SKETCH_LEN,
    TOKEN_LEN,
    UNRESOLVED_REASON_LEN,
    VERSION_LEN,
    CountAggregate,
    CrawlRun,
    Lease,
    Observation,
    Site,
    UnresolvedPlace,
    to_naive_utc,
    utcnow,
)

logger = logging.getLogger(__name__)

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

# Ad-feature booleans stored per observation (see parsers/features.py).
MAX_STORED_PRICE = 100_000  # SEK per hour; the parser already rejects anything above parsers.prices' maximum
AD_FEATURE_COLUMNS = ("obscured_phone", "stated_ethnicity", "youth_language", "trust_language", "stated_touring")

_INSERT_CHUNK = 5_000  # rows per executemany call
_STREAM_CHUNK = 5_000  # rows fetched at a time when streaming observations

StoreOrSession = Store | Session


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


class ObservationRow(NamedTuple):
    """One stored observation, as analysis reads it."""

    site: str
    ad_token: str
    profile_token: str | None
    phone_token: str | None
    kommun_code: str | None
    category: str
    observed_at: datetime


@dataclass(frozen=True)
class RunStatusCount:
    """How many runs of one site ended with one status, and the span they observed."""

    site: str
    status: str
    count: int
    first_observed_at: datetime
    last_observed_at: datetime


@contextmanager
def _session(target: StoreOrSession) -> Iterator[Session]:
    if isinstance(target, Session):
        yield target
    else:
        with target.session() as session:
            yield session


def _check_text(field: str, value: str | None, limit: int, *, required: bool = False) -> None:
    """Enforce column sizes on every backend; the message never repeats the value."""
    if value is None:
        if required:
            raise StoreError(f"{field} is required")
        return
    if not isinstance(value, str):
        raise StoreError(f"{field} must be text")
    if required and not value:
        raise StoreError(f"{field} must not be empty")
    if len(value) > limit:
        raise StoreError(f"{field} is longer than {limit} characters")


def _check_count(field: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise StoreError(f"{field} must be a whole number of at least 0")


def _optional_utc(value: datetime | None) -> datetime | None:
    return None if value is None else to_naive_utc(value)


def _ensure_site(session: Session, name: str, display_name: str) -> int:
    _check_text("site name", name, SITE_NAME_LEN, required=True)
    _check_text("site display name", display_name, DISPLAY_NAME_LEN, required=True)
    site = session.exec(select(Site).where(Site.name == name)).scalar_one_or_none()
    if site is None:
        # ON CONFLICT keeps two processes registering the same site from failing.
        table = Site.__table__
        values = {"name": name, "display_name": display_name, "created_at": utcnow()}
        session.exec(_insert_ignoring(session, table, ["name"]).values(values))
        site = session.exec(select(Site).where(Site.name == name)).scalar_one()
    if site.display_name != display_name:
        site.display_name = display_name
        session.add(site)
        session.flush()
    assert site.id is not None
    return site.id


def _insert_ignoring(session: Session, table: Any, conflict_columns: list[str]) -> Any:
    """INSERT … ON CONFLICT (columns) DO NOTHING for the session's dialect."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=conflict_columns)
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=conflict_columns)
    raise StoreError(f"unsupported database dialect {dialect!r}")


def ensure_site(target: StoreOrSession, name: str, display_name: str) -> int:
    """Return the id of site `name`, registering it (or updating its display name) as needed."""
    with _session(target) as session:
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
    _check_text("config_version", config_version, VERSION_LEN, required=True)
    _check_text("parser_version", parser_version, VERSION_LEN, required=True)
    started_at = utcnow()
    with _session(target) as session:
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
    with _session(target) as session:
        return session.exec(statement).rowcount


def _observation_values(ad: ObservedAd, run_id: int, site_id: int) -> dict[str, Any]:
    _check_text("ad_token", ad.ad_token, TOKEN_LEN, required=True)
    _check_text("profile_token", ad.profile_token, TOKEN_LEN)
    _check_text("phone_token", ad.phone_token, TOKEN_LEN)
    _check_text("kommun_code", ad.kommun_code, KOMMUN_CODE_LEN)
    _check_text("unresolved_reason", ad.unresolved_reason, UNRESOLVED_REASON_LEN)
    _check_text("category", ad.category, CATEGORY_LEN, required=True)
    if ad.category not in CATEGORIES:
        raise StoreError(f"category is not one of {', '.join(CATEGORIES)}")
    if not isinstance(ad.observed_at, datetime):
        raise StoreError("observed_at must be a datetime")
    if ad.posted_at is not None and not isinstance(ad.posted_at, datetime):
        raise StoreError("posted_at must be a datetime or None")
    _check_text("text_sketch", ad.text_sketch, SKETCH_LEN)
    _check_text("template_sketch", ad.template_sketch, SKETCH_LEN)
    _check_text("tour_kommun_code", ad.tour_kommun_code, KOMMUN_CODE_LEN)
    for name in AD_FEATURE_COLUMNS:
        if getattr(ad, name) not in (None, True, False):
            raise StoreError(f"{name} must be true, false or None")
    price = ad.price_per_hour
    if price is not None and (type(price) is not int or not 0 < price <= MAX_STORED_PRICE):
        raise StoreError(f"price_per_hour must be whole SEK from 1 to {MAX_STORED_PRICE}, or None")
    return {
        "run_id": run_id,
        "site_id": site_id,
        "ad_token": ad.ad_token,
        "profile_token": ad.profile_token,
        "phone_token": ad.phone_token,
        "kommun_code": ad.kommun_code,
        "unresolved_reason": ad.unresolved_reason,
        "category": ad.category,
        "observed_at": to_naive_utc(ad.observed_at),
        "posted_at": _optional_utc(ad.posted_at),
        "text_sketch": ad.text_sketch,
        "template_sketch": ad.template_sketch,
        **{name: getattr(ad, name) for name in AD_FEATURE_COLUMNS},
        "tour_kommun_code": ad.tour_kommun_code,
        "price_per_hour": price,
    }


def _count_run_observations(session: Session, run_id: int) -> int:
    statement = select(func.count()).select_from(Observation).where(Observation.run_id == run_id)
    return session.exec(statement).scalar_one()


def observed_between(statement, column, since: datetime | None, until: datetime | None):
    """`statement` limited to since <= column < until (either bound may be None)."""
    if since is not None:
        statement = statement.where(column >= to_naive_utc(since))
    if until is not None:
        statement = statement.where(column < to_naive_utc(until))
    return statement


def add_observations(target: StoreOrSession, run_id: int, observations: Iterable[ObservedAd]) -> int:
    """Store a run's observations in one transaction; return how many rows were new.

    An ad already stored for this run (or repeated within `observations`) is skipped.
    Every observation must belong to the run's site.
    """
    with _session(target) as session:
        run = session.get(CrawlRun, run_id)
        if run is None:
            raise StoreError(f"crawl run {run_id} does not exist")
        site = session.get(Site, run.site_id)
        assert site is not None and site.id is not None
        rows: list[dict[str, Any]] = []
        seen: set[str] = set()
        for ad in observations:
            if ad.site != site.name:
                raise StoreError(f"an observation of site {ad.site!r} cannot go into run {run_id} of site {site.name!r}")
            values = _observation_values(ad, run_id, site.id)
            if ad.ad_token in seen:
                continue
            seen.add(ad.ad_token)
            rows.append(values)
        if not rows:
            return 0
        # Counting before and after is exact on every driver; executemany rowcounts are not.
        before = _count_run_observations(session, run_id)
        statement = _insert_ignoring(session, Observation.__table__, ["run_id", "ad_token"])
        chunks = iter(rows)
        while chunk := list(islice(chunks, _INSERT_CHUNK)):
            session.exec(statement, params=chunk)
        return _count_run_observations(session, run_id) - before


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
        _check_count(field, value)
    _check_text("finish_reason", finish_reason, FINISH_REASON_LEN)
    _check_text("note", note, NOTE_LEN)
    rates = None if fill_rates is None else _fill_rates_json(fill_rates)
    with _session(target) as session:
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


def _run_summary(run: CrawlRun, site_name: str) -> RunSummary:
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
    with _session(target) as session:
        found = session.exec(statement).one_or_none()
        return None if found is None else _run_summary(found[0], found[1])


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
    with _session(target) as session:
        return [_run_summary(run, name) for run, name in session.exec(statement).all()]


def iter_observation_rows(
    target: StoreOrSession,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    statuses: Iterable[str] = USABLE_STATUSES,
    finished_by: datetime | None = None,
) -> Iterator[ObservationRow]:
    """Stream observations of runs with the given statuses, in storage order.

    Rows are fetched in chunks, so millions of rows never sit in memory at once.
    The database connection stays open until the iterator is exhausted or closed.
    `finished_by` keeps only runs that finished at or before that moment.
    """
    wanted = tuple(statuses)
    statement = (
        select(
            Site.name,
            Observation.ad_token,
            Observation.profile_token,
            Observation.phone_token,
            Observation.kommun_code,
            Observation.category,
            Observation.observed_at,
        )
        .join(CrawlRun, CrawlRun.id == Observation.run_id)
        .join(Site, Site.id == Observation.site_id)
        .where(CrawlRun.status.in_(wanted))
        .order_by(Observation.id)
        .execution_options(yield_per=_STREAM_CHUNK)
    )
    statement = observed_between(statement, Observation.observed_at, since, until)
    if finished_by is not None:
        statement = statement.where(CrawlRun.finished_at <= to_naive_utc(finished_by))
    with _session(target) as session:
        for row in session.exec(statement):
            yield ObservationRow(*row)


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
    with _session(target) as session:
        return [
            RunStatusCount(
                site=name,
                status=status,
                count=count,
                first_observed_at=_as_datetime(first),
                last_observed_at=_as_datetime(last),
            )
            for name, status, count, first, last in session.exec(statement).all()
        ]


def _as_datetime(value: datetime | str) -> datetime:
    """SQLite returns min()/max() of a datetime column as text; parse it back."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def database_size_bytes(target: StoreOrSession) -> int:
    """Bytes the database occupies: the SQLite file plus its -wal file, or pg_database_size."""
    with _session(target) as session:
        bind = session.get_bind()
        if bind.dialect.name == "postgresql":
            return int(session.exec(select(func.pg_database_size(func.current_database()))).scalar_one())
        database = bind.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return 0
    path = Path(database)
    return sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists())


@dataclass(frozen=True)
class UnresolvedPlaceCount:
    """One place text that could not be resolved, summed over sites."""

    text: str
    reason: str
    count: int
    sites: tuple[str, ...]
    last_seen: datetime


def add_unresolved_places(
    target: StoreOrSession, site_name: str, counts: dict[tuple[str, str], int], seen_at: datetime
) -> None:
    """Add to the running counts of (text, reason) pairs for a site; texts must already be sanitised."""
    if not counts:
        return
    seen = to_naive_utc(seen_at)
    rows = []
    for (text, reason), count in counts.items():
        _check_text("text", text, PLACE_TEXT_LEN, required=True)
        _check_text("reason", reason, UNRESOLVED_REASON_LEN, required=True)
        _check_count("count", count)
        rows.append({"text": text, "reason": reason, "count": count, "first_seen": seen, "last_seen": seen})
    with _session(target) as session:
        site_id = session.exec(select(Site.id).where(Site.name == site_name)).scalar_one_or_none()
        if site_id is None:
            raise StoreError(f"site {site_name!r} does not exist")
        for row in rows:
            row["site_id"] = site_id
        dialect = session.get_bind().dialect.name
        insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[dialect](UnresolvedPlace.__table__)
        table = UnresolvedPlace.__table__
        statement = insert.on_conflict_do_update(
            index_elements=["site_id", "text", "reason"],
            set_={"count": table.c.count + insert.excluded.count, "last_seen": insert.excluded.last_seen},
        )
        session.exec(statement, params=rows)


def top_unresolved_places(target: StoreOrSession, top: int = 50) -> list[UnresolvedPlaceCount]:
    """The most frequent unresolved place texts over all sites, most frequent first."""
    if top < 1:
        raise StoreError("the number of places to list must be at least 1")
    statement = (
        select(UnresolvedPlace.text, UnresolvedPlace.reason, UnresolvedPlace.count, Site.name,
               UnresolvedPlace.last_seen)
        .join(Site, Site.id == UnresolvedPlace.site_id)
    )
    totals: dict[tuple[str, str], list] = {}
    with _session(target) as session:
        for text, reason, count, site, last_seen in session.exec(statement).all():
            entry = totals.setdefault((text, reason), [0, set(), last_seen])
            entry[0] += count
            entry[1].add(site)
            entry[2] = max(entry[2], last_seen)
    ranked = sorted(totals.items(), key=lambda item: (-item[1][0], item[0]))
    return [
        UnresolvedPlaceCount(text, reason, count, tuple(sorted(sites)), last_seen)
        for (text, reason), (count, sites, last_seen) in ranked[:top]
    ]


# --- frozen counts and retention ---------------------------------------------


class AggregateCell(NamedTuple):
    """One frozen exact count of one region, period and measure, with its cell key."""

    level: str
    period_kind: str
    period: str
    period_start: datetime  # the period as naive UTC instants [start, end)
    period_end: datetime
    region_code: str
    measure: str
    value: int
    cell_key: float


@dataclass(frozen=True)
class LateObservations:
    """Counted observations inside a frozen period from runs that finished after it was frozen."""

    period_kind: str
    period: str
    count: int


def _aggregate_values(cell: AggregateCell, computed_at: datetime, method: str) -> dict[str, Any]:
    _check_text("level", cell.level, LEVEL_LEN, required=True)
    _check_text("period_kind", cell.period_kind, PERIOD_KIND_LEN, required=True)
    _check_text("period", cell.period, PERIOD_LEN, required=True)
    _check_text("region_code", cell.region_code, REGION_CODE_LEN, required=True)
    _check_text("measure", cell.measure, MEASURE_LEN, required=True)
    _check_count("value", cell.value)
    if not isinstance(cell.cell_key, float) or not 0.0 <= cell.cell_key < 1.0:
        raise StoreError("cell_key must be a number from 0 up to (not including) 1")
    if to_naive_utc(cell.period_start) >= to_naive_utc(cell.period_end):
        raise StoreError("a period must start before it ends")
    return {
        **cell._asdict(),
        "period_start": to_naive_utc(cell.period_start),
        "period_end": to_naive_utc(cell.period_end),
        "computed_at": computed_at,
        "method": method,
    }


def _count_aggregates(session: Session) -> int:
    return session.exec(select(func.count()).select_from(CountAggregate)).scalar_one()


def add_count_aggregates(
    target: StoreOrSession, cells: Iterable[AggregateCell], *, computed_at: datetime, method: str
) -> int:
    """Store frozen counts and return how many were new; a cell already stored is kept unchanged."""
    _check_text("method", method, METHOD_LEN, required=True)
    computed = to_naive_utc(computed_at)
    rows = [_aggregate_values(cell, computed, method) for cell in cells]
    if not rows:
        return 0
    key = ["level", "period_kind", "period", "region_code", "measure"]
    with _session(target) as session:
        before = _count_aggregates(session)
        statement = _insert_ignoring(session, CountAggregate.__table__, key)
        chunks = iter(rows)
        while chunk := list(islice(chunks, _INSERT_CHUNK)):
            session.exec(statement, params=chunk)
        return _count_aggregates(session) - before


def frozen_periods(target: StoreOrSession, period_kind: str, level: str | None = None, *,
                   measures: Iterable[str] | None = None) -> set[str]:
    """Labels of the periods of one kind that have frozen counts (at `level`, or at any level; of
    `measures`, or of any measure — the supply and demand sides are frozen separately)."""
    statement = select(CountAggregate.period).distinct().where(CountAggregate.period_kind == period_kind)
    if level is not None:
        statement = statement.where(CountAggregate.level == level)
    if measures is not None:
        statement = statement.where(CountAggregate.measure.in_(tuple(measures)))
    with _session(target) as session:
        return set(session.exec(statement).scalars().all())


def list_count_aggregates(
    target: StoreOrSession,
    level: str,
    period_kind: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    measures: Iterable[str] | None = None,
) -> list[AggregateCell]:
    """Frozen counts at one level and period kind (of `measures`, or all), of the periods that overlap [since, until)."""
    columns = [getattr(CountAggregate, name) for name in AggregateCell._fields]
    statement = (
        select(*columns)
        .where(CountAggregate.level == level, CountAggregate.period_kind == period_kind)
        .order_by(CountAggregate.period, CountAggregate.region_code, CountAggregate.measure)
    )
    if measures is not None:
        statement = statement.where(CountAggregate.measure.in_(tuple(measures)))
    if since is not None:
        statement = statement.where(CountAggregate.period_end > to_naive_utc(since))
    if until is not None:
        statement = statement.where(CountAggregate.period_start < to_naive_utc(until))
    with _session(target) as session:
        return [AggregateCell(*row) for row in session.exec(statement).all()]


def _purgeable_runs(finished_by: datetime) -> Any:
    """Ids of runs whose observations may be purged: not running, and finished (or abandoned) by then."""
    return select(CrawlRun.id).where(
        CrawlRun.status != RUNNING,
        or_(CrawlRun.finished_at.is_(None), CrawlRun.finished_at <= to_naive_utc(finished_by)),
    )


def purgeable_observation_times(
    target: StoreOrSession,
    before: datetime,
    *,
    finished_by: datetime,
    statuses: Iterable[str] = USABLE_STATUSES,
) -> list[datetime]:
    """Distinct observed_at values of the observations a purge would delete that count (runs in `statuses`)."""
    statement = (
        select(Observation.observed_at)
        .distinct()
        .join(CrawlRun, CrawlRun.id == Observation.run_id)
        .where(
            Observation.observed_at < to_naive_utc(before),
            Observation.run_id.in_(_purgeable_runs(finished_by)),
            CrawlRun.status.in_(tuple(statuses)),
        )
        .order_by(Observation.observed_at)
    )
    with _session(target) as session:
        return list(session.exec(statement).scalars().all())


def count_purgeable_observations(target: StoreOrSession, before: datetime, *, finished_by: datetime) -> int:
    """How many observations `purge_observations` would delete (any status except running)."""
    statement = (
        select(func.count())
        .select_from(Observation)
        .where(Observation.observed_at < to_naive_utc(before), Observation.run_id.in_(_purgeable_runs(finished_by)))
    )
    with _session(target) as session:
        return session.exec(statement).scalar_one()


def purge_observations(target: StoreOrSession, before: datetime, *, finished_by: datetime) -> int:
    """Delete observations older than `before` of runs that had ended by `finished_by`; return how many.

    Observations of runs still running are never deleted; runs and unresolved-place
    aggregates stay. Callers freeze the counts of the affected periods first.
    """
    statement = (
        delete(Observation)
        .where(Observation.observed_at < to_naive_utc(before), Observation.run_id.in_(_purgeable_runs(finished_by)))
        .execution_options(synchronize_session=False)
    )
    with _session(target) as session:
        return session.exec(statement).rowcount


def frozen_period_spans(measures: Iterable[str] | None = None) -> Any:
    """A subquery of the frozen periods (of `measures`, or any): kind, label, [start, end) and when frozen."""
    statement = select(
        CountAggregate.period_kind,
        CountAggregate.period,
        func.min(CountAggregate.period_start).label("period_start"),
        func.min(CountAggregate.period_end).label("period_end"),
        func.min(CountAggregate.computed_at).label("computed_at"),
    )
    if measures is not None:
        statement = statement.where(CountAggregate.measure.in_(tuple(measures)))
    return statement.group_by(CountAggregate.period_kind, CountAggregate.period).subquery()


def late_observations(target: StoreOrSession, *, measures: Iterable[str] | None = None) -> list[LateObservations]:
    """Per frozen period (of `measures`, or any): counted observations of runs that finished after it was frozen."""
    periods = frozen_period_spans(measures)
    statement = (
        select(periods.c.period_kind, periods.c.period, func.count(Observation.id))
        .select_from(Observation)
        .join(CrawlRun, CrawlRun.id == Observation.run_id)
        .join(
            periods,
            and_(Observation.observed_at >= periods.c.period_start, Observation.observed_at < periods.c.period_end),
        )
        .where(CrawlRun.status.in_(USABLE_STATUSES), CrawlRun.finished_at > periods.c.computed_at)
        .group_by(periods.c.period_kind, periods.c.period)
        .order_by(periods.c.period_kind, periods.c.period)
    )
    with _session(target) as session:
        return [LateObservations(kind, period, count) for kind, period, count in session.exec(statement).all()]


# --- run health -----------------------------------------------------------------

_FIELD_NAME_LEN = 32
_HEALTH_JSON_LEN = 4_000


def _fill_rates_json(fill_rates: dict[str, float]) -> str:
    for field, rate in fill_rates.items():
        _check_text("fill rate field", field, _FIELD_NAME_LEN, required=True)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0.0 <= rate <= 1.0:
            raise StoreError("a fill rate must be a number from 0 to 1")
    return json.dumps({field: round(float(rate), 4) for field, rate in sorted(fill_rates.items())})


def record_health(target: StoreOrSession, run_id: int, failed_checks: list[dict[str, Any]]) -> str:
    """Store the health checks a finished run failed ([] = healthy); return the run's status afterwards.

    A complete or partial run that failed a check becomes 'suspect' (its own status is kept in
    crawl_status); a failed run stays failed. Checks hold only names, numbers and field names.
    """
    text = json.dumps(list(failed_checks), sort_keys=True)
    if len(text) > _HEALTH_JSON_LEN:
        raise StoreError(f"health checks take more than {_HEALTH_JSON_LEN} characters")
    with _session(target) as session:
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
    with _session(target) as session:
        return [_run_summary(run, name) for run, name in session.exec(statement).all()]


def runs_started_since(target: StoreOrSession, site: str, since: datetime) -> list[RunSummary]:
    """The site's runs started at or after `since`, oldest first."""
    statement = (
        select(CrawlRun, Site.name)
        .join(Site, Site.id == CrawlRun.site_id)
        .where(Site.name == site, CrawlRun.started_at >= to_naive_utc(since))
        .order_by(CrawlRun.started_at, CrawlRun.id)
    )
    with _session(target) as session:
        return [_run_summary(run, name) for run, name in session.exec(statement).all()]


def fail_running_runs(target: StoreOrSession, site: str, since: datetime, note: str) -> list[int]:
    """Mark the site's runs started since `since` and still `running` as failed, with `note`; return their ids.

    For a supervisor that saw the crawl process end (killed, timed out, crashed): it knows when.
    """
    _check_text("note", note, NOTE_LEN, required=True)
    site_ids = select(Site.id).where(Site.name == site).scalar_subquery()
    with _session(target) as session:
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
    with _session(target) as session:
        return {name: _run_summary(run, name) for run, name in session.exec(statement).all()}


def observation_span(target: StoreOrSession) -> tuple[datetime | None, datetime | None, int]:
    """The oldest and newest observed_at of stored observations, and how many there are."""
    statement = select(func.min(Observation.observed_at), func.max(Observation.observed_at), func.count())
    with _session(target) as session:
        first, last, count = session.exec(statement).one()
    return (None if first is None else _as_datetime(first), None if last is None else _as_datetime(last), count)


# --- leases: one scheduler per database, one crawl per site ------------------------


class LeaseHeld(StoreError):
    """The lease is held by another live process."""

    def __init__(self, message: str, lease: LeaseInfo) -> None:
        super().__init__(message)
        self.lease = lease


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
    with _session(target) as session:
        row = session.get(Lease, name)
        return None if row is None else _lease_info(row)


def list_leases(target: StoreOrSession, prefix: str = "") -> list[LeaseInfo]:
    """Every lease whose name starts with `prefix`, by name."""
    statement = select(Lease).where(Lease.name.startswith(prefix, autoescape=True)).order_by(Lease.name)
    with _session(target) as session:
        return [_lease_info(row) for row in session.exec(statement).scalars()]


def acquire_lease(target: StoreOrSession, name: str, holder: str, ttl_s: float) -> LeaseInfo:
    """Take (or renew) the lease `name` for `ttl_s` seconds, or raise LeaseHeld.

    An expired lease, or one whose holder process on this host is gone, is taken over.
    Atomic on SQLite and PostgreSQL: concurrent callers cannot both succeed.
    """
    _check_text("lease name", name, LEASE_NAME_LEN, required=True)
    _check_text("lease holder", holder, LEASE_HOLDER_LEN, required=True)
    if ttl_s <= 0:
        raise StoreError("a lease must last more than 0 seconds")
    with _session(target) as session:
        now = utcnow()
        expires = now + timedelta(seconds=ttl_s)
        values = {"name": name, "holder": holder, "acquired_at": now, "expires_at": expires}
        session.exec(_insert_ignoring(session, Lease.__table__, ["name"]).values(values))
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
    with _session(target) as session:
        return session.exec(statement).rowcount == 1


def release_lease(target: StoreOrSession, name: str, holder: str) -> bool:
    """Give our lease back; False when it was not ours (any more)."""
    table = Lease.__table__
    with _session(target) as session:
        return session.exec(delete(table).where(table.c.name == name, table.c.holder == holder)).rowcount == 1


def release_leases_of_process(target: StoreOrSession, host: str, pid: int) -> list[str]:
    """Drop every lease held by process `pid` on `host` (a supervisor whose child died); return their names."""
    table = Lease.__table__
    prefix = f"{host}:{pid}:"
    with _session(target) as session:
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


# --- signals: what analysis needs to deduplicate adverts and find organisation and mobility ---------

class SignalRow(NamedTuple):
    """One stored observation with its wording sketches and ad features (issue 6 signals)."""

    site: str
    ad_token: str
    profile_token: str | None
    phone_token: str | None
    kommun_code: str | None
    observed_at: datetime
    text_sketch: str | None
    template_sketch: str | None
    obscured_phone: bool | None
    stated_ethnicity: bool | None
    youth_language: bool | None
    trust_language: bool | None
    stated_touring: bool | None
    tour_kommun_code: str | None


def iter_signal_rows(
    target: StoreOrSession,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    statuses: Iterable[str] = USABLE_STATUSES,
) -> Iterator[SignalRow]:
    """Stream observations of usable runs with their sketches and features, oldest sighting first."""
    statement = (
        select(
            Site.name, Observation.ad_token, Observation.profile_token, Observation.phone_token,
            Observation.kommun_code, Observation.observed_at, Observation.text_sketch,
            Observation.template_sketch, *(getattr(Observation, name) for name in AD_FEATURE_COLUMNS),
            Observation.tour_kommun_code,
        )
        .join(CrawlRun, CrawlRun.id == Observation.run_id)
        .join(Site, Site.id == Observation.site_id)
        .where(CrawlRun.status.in_(tuple(statuses)))
        .order_by(Observation.observed_at, Observation.id)
        .execution_options(yield_per=_STREAM_CHUNK)
    )
    statement = observed_between(statement, Observation.observed_at, since, until)
    with _session(target) as session:
        for row in session.exec(statement):
            yield SignalRow(*row)
