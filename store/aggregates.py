"""Frozen counts and retention: exact counts stored per period before old observations are purged.

Also the observations a purge would delete, and the late observations that arrived in a frozen
period from runs that finished after it was frozen.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any, NamedTuple

from sqlalchemy import and_, delete, func, or_, select
from sqlmodel import Session

from store.errors import StoreError
from store.models import (
    LEVEL_LEN,
    MEASURE_LEN,
    METHOD_LEN,
    PERIOD_KIND_LEN,
    PERIOD_LEN,
    REGION_CODE_LEN,
    CountAggregate,
    CrawlRun,
    Observation,
    to_naive_utc,
)
from store.runs import RUNNING, USABLE_STATUSES
from store.session import INSERT_CHUNK, StoreOrSession, check_count, check_text, insert_ignoring, session_scope


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
    check_text("level", cell.level, LEVEL_LEN, required=True)
    check_text("period_kind", cell.period_kind, PERIOD_KIND_LEN, required=True)
    check_text("period", cell.period, PERIOD_LEN, required=True)
    check_text("region_code", cell.region_code, REGION_CODE_LEN, required=True)
    check_text("measure", cell.measure, MEASURE_LEN, required=True)
    check_count("value", cell.value)
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
    check_text("method", method, METHOD_LEN, required=True)
    computed = to_naive_utc(computed_at)
    rows = [_aggregate_values(cell, computed, method) for cell in cells]
    if not rows:
        return 0
    key = ["level", "period_kind", "period", "region_code", "measure"]
    with session_scope(target) as session:
        before = _count_aggregates(session)
        statement = insert_ignoring(session, CountAggregate.__table__, key)
        chunks = iter(rows)
        while chunk := list(islice(chunks, INSERT_CHUNK)):
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
    with session_scope(target) as session:
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
    with session_scope(target) as session:
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
    with session_scope(target) as session:
        return list(session.exec(statement).scalars().all())


def count_purgeable_observations(target: StoreOrSession, before: datetime, *, finished_by: datetime) -> int:
    """How many observations `purge_observations` would delete (any status except running)."""
    statement = (
        select(func.count())
        .select_from(Observation)
        .where(Observation.observed_at < to_naive_utc(before), Observation.run_id.in_(_purgeable_runs(finished_by)))
    )
    with session_scope(target) as session:
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
    with session_scope(target) as session:
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
    with session_scope(target) as session:
        return [LateObservations(kind, period, count) for kind, period, count in session.exec(statement).all()]
