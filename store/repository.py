"""Functions other stages call to record sites, runs and observations, and to read them back.

Every function takes either a `Store` (work is committed when it returns) or an open
`Session` (work joins the caller's transaction, which the caller commits).
Datetimes go in aware or naive-UTC and come back as naive UTC; time windows are
half-open: `since <= observed_at < until`.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
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
    LEVEL_LEN,
    MEASURE_LEN,
    METHOD_LEN,
    NOTE_LEN,
    PERIOD_KIND_LEN,
    PERIOD_LEN,
    PLACE_TEXT_LEN,
    REGION_CODE_LEN,
    SITE_NAME_LEN,
    TOKEN_LEN,
    UNRESOLVED_REASON_LEN,
    VERSION_LEN,
    CountAggregate,
    CrawlRun,
    Observation,
    Site,
    UnresolvedPlace,
    to_naive_utc,
    utcnow,
)

RUNNING = "running"
# Statuses a run may finish with ("suspect" is planned but not yet accepted).
FINISHED_STATUSES = ("complete", "partial", "failed")
RUN_STATUSES = (RUNNING, *FINISHED_STATUSES)
# Runs whose observations count by default: the crawl ended and its data is usable.
USABLE_STATUSES = ("complete", "partial")
ABANDONED_NOTE = "abandoned: process ended before the run finished"

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
    }


def _count_run_observations(session: Session, run_id: int) -> int:
    statement = select(func.count()).select_from(Observation).where(Observation.run_id == run_id)
    return session.exec(statement).scalar_one()


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
) -> None:
    """Record how a run ended: its final status, counters and reason."""
    if status not in FINISHED_STATUSES:
        raise StoreError(f"run status must be one of {', '.join(FINISHED_STATUSES)}, not {status!r}")
    counters = {
        "pages": pages,
        "items": items,
        "errors": errors,
        "parse_failures": parse_failures,
        "listing_pages": listing_pages,
    }
    for field, value in counters.items():
        _check_count(field, value)
    _check_text("finish_reason", finish_reason, FINISH_REASON_LEN)
    _check_text("note", note, NOTE_LEN)
    with _session(target) as session:
        run = session.get(CrawlRun, run_id)
        if run is None:
            raise StoreError(f"crawl run {run_id} does not exist")
        run.status = status
        run.finished_at = utcnow()
        run.finish_reason = finish_reason
        run.note = note
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
    if since is not None:
        statement = statement.where(Observation.observed_at >= to_naive_utc(since))
    if until is not None:
        statement = statement.where(Observation.observed_at < to_naive_utc(until))
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


def frozen_periods(target: StoreOrSession, period_kind: str, level: str | None = None) -> set[str]:
    """Labels of the periods of one kind that have frozen counts (at `level`, or at any level)."""
    statement = select(CountAggregate.period).distinct().where(CountAggregate.period_kind == period_kind)
    if level is not None:
        statement = statement.where(CountAggregate.level == level)
    with _session(target) as session:
        return set(session.exec(statement).scalars().all())


def list_count_aggregates(
    target: StoreOrSession,
    level: str,
    period_kind: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[AggregateCell]:
    """Frozen counts at one level and period kind, of the periods that overlap [since, until)."""
    columns = [getattr(CountAggregate, name) for name in AggregateCell._fields]
    statement = (
        select(*columns)
        .where(CountAggregate.level == level, CountAggregate.period_kind == period_kind)
        .order_by(CountAggregate.period, CountAggregate.region_code, CountAggregate.measure)
    )
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


def late_observations(target: StoreOrSession) -> list[LateObservations]:
    """Per frozen period: counted observations of runs that finished after the period was frozen."""
    periods = (
        select(
            CountAggregate.period_kind,
            CountAggregate.period,
            func.min(CountAggregate.period_start).label("period_start"),
            func.min(CountAggregate.period_end).label("period_end"),
            func.min(CountAggregate.computed_at).label("computed_at"),
        )
        .group_by(CountAggregate.period_kind, CountAggregate.period)
        .subquery()
    )
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
