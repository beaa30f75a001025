"""Store functions of the demand side (issue 9): buyers' ads and buyer review events.

Like the other store modules, every function takes a Store or an open Session. Only keyed tokens, kommun
codes and times are stored; review events are stored once per (site, review token), however many
crawls see the review.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import and_, delete, func, or_, select

from parsers.demand import ObservedRequest, ObservedReview
from store.errors import StoreError
from store.models import (
    KOMMUN_CODE_LEN,
    TOKEN_LEN,
    UNRESOLVED_REASON_LEN,
    CrawlRun,
    RequestObservation,
    ReviewEvent,
    Site,
    to_naive_utc,
)
from store.aggregates import LateObservations, frozen_period_spans
from store.runs import RUNNING, USABLE_STATUSES
from store.session import (
    StoreOrSession,
    check_text,
    insert_ignoring,
    observed_between,
    optional_utc,
    session_scope,
)


class RequestRow(NamedTuple):
    """One stored sighting of a buyer's ad, as analysis reads it."""

    site: str
    ad_token: str
    kommun_code: str | None
    observed_at: datetime


class ReviewRow(NamedTuple):
    """One stored review event, as analysis reads it (counted in the period of its own date)."""

    site: str
    review_token: str
    reviewer_token: str | None
    kommun_code: str | None
    reviewed_at: datetime


def _run_site(session, run_id: int) -> Site:
    run = session.get(CrawlRun, run_id)
    if run is None:
        raise StoreError(f"crawl run {run_id} does not exist")
    site = session.get(Site, run.site_id)
    assert site is not None and site.id is not None
    return site


def _check_place(kommun_code: str | None, reason: str | None) -> None:
    check_text("kommun_code", kommun_code, KOMMUN_CODE_LEN)
    check_text("unresolved_reason", reason, UNRESOLVED_REASON_LEN)


def _count(session, table, column, value) -> int:
    return session.exec(select(func.count()).select_from(table).where(column == value)).scalar_one()


def add_request_observations(target: StoreOrSession, run_id: int, requests: Iterable[ObservedRequest]) -> int:
    """Store a run's sightings of buyers' ads; return how many rows were new (repeats in a run are skipped)."""
    with session_scope(target) as session:
        site = _run_site(session, run_id)
        rows: dict[str, dict[str, Any]] = {}
        for item in requests:
            if item.site != site.name:
                raise StoreError(f"a buyer's ad of site {item.site!r} cannot go into run {run_id} of {site.name!r}")
            check_text("ad_token", item.ad_token, TOKEN_LEN, required=True)
            _check_place(item.kommun_code, item.unresolved_reason)
            rows.setdefault(item.ad_token, {
                "run_id": run_id, "site_id": site.id, "ad_token": item.ad_token, "kommun_code": item.kommun_code,
                "unresolved_reason": item.unresolved_reason, "observed_at": to_naive_utc(item.observed_at),
                "posted_at": optional_utc(item.posted_at),
            })
        if not rows:
            return 0
        before = _count(session, RequestObservation, RequestObservation.run_id, run_id)
        session.exec(insert_ignoring(session, RequestObservation.__table__, ["run_id", "ad_token"]),
                     params=list(rows.values()))
        return _count(session, RequestObservation, RequestObservation.run_id, run_id) - before


def add_review_events(target: StoreOrSession, run_id: int, reviews: Iterable[ObservedReview]) -> int:
    """Store review events not stored before for the run's site; return how many were new."""
    with session_scope(target) as session:
        site = _run_site(session, run_id)
        rows: dict[str, dict[str, Any]] = {}
        for item in reviews:
            if item.site != site.name:
                raise StoreError(f"a review of site {item.site!r} cannot go into run {run_id} of {site.name!r}")
            for name in ("review_token", "reviewer_token", "profile_token"):
                check_text(name, getattr(item, name), TOKEN_LEN, required=name == "review_token")
            _check_place(item.kommun_code, item.unresolved_reason)
            rows.setdefault(item.review_token, {
                "site_id": site.id, "run_id": run_id, "review_token": item.review_token,
                "reviewer_token": item.reviewer_token, "profile_token": item.profile_token,
                "kommun_code": item.kommun_code, "unresolved_reason": item.unresolved_reason,
                "reviewed_at": optional_utc(item.reviewed_at), "observed_at": to_naive_utc(item.observed_at),
            })
        if not rows:
            return 0
        before = _count(session, ReviewEvent, ReviewEvent.site_id, site.id)
        session.exec(insert_ignoring(session, ReviewEvent.__table__, ["site_id", "review_token"]),
                     params=list(rows.values()))
        return _count(session, ReviewEvent, ReviewEvent.site_id, site.id) - before


def _finished_runs(finished_by: datetime | None) -> Any:
    """Ids of runs that are not running (and, with `finished_by`, had finished or were abandoned by then)."""
    statement = select(CrawlRun.id).where(CrawlRun.status != RUNNING)
    if finished_by is not None:
        statement = statement.where(or_(CrawlRun.finished_at.is_(None),
                                        CrawlRun.finished_at <= to_naive_utc(finished_by)))
    return statement


def iter_request_rows(target: StoreOrSession, *, since: datetime | None = None, until: datetime | None = None,
                      statuses: Iterable[str] = USABLE_STATUSES, run_id: int | None = None,
                      finished_by: datetime | None = None) -> Iterator[RequestRow]:
    """Sightings of buyers' ads from runs with the given statuses (or of one run), `since <= observed_at < until`;
    with `finished_by`, only of runs that had finished by then (what a purge freezes)."""
    statement = (
        select(Site.name, RequestObservation.ad_token, RequestObservation.kommun_code, RequestObservation.observed_at)
        .join(CrawlRun, CrawlRun.id == RequestObservation.run_id)
        .join(Site, Site.id == RequestObservation.site_id)
        .order_by(RequestObservation.id)
    )
    if run_id is not None:
        statement = statement.where(RequestObservation.run_id == run_id)
    else:
        statement = statement.where(CrawlRun.status.in_(tuple(statuses)))
    if finished_by is not None:
        statement = statement.where(RequestObservation.run_id.in_(_finished_runs(finished_by)))
    statement = observed_between(statement, RequestObservation.observed_at, since, until)
    with session_scope(target) as session:
        for row in session.exec(statement):
            yield RequestRow(*row)


def _review_date() -> Any:
    """The moment a review is counted at: its own date, or when first seen if it has none."""
    return func.coalesce(ReviewEvent.reviewed_at, ReviewEvent.observed_at)


def iter_review_rows(target: StoreOrSession, *, since: datetime | None = None,
                     until: datetime | None = None) -> Iterator[ReviewRow]:
    """Review events by their own date (`since <= reviewed_at < until`; undated ones by when first seen)."""
    when = _review_date()
    statement = (
        select(Site.name, ReviewEvent.review_token, ReviewEvent.reviewer_token, ReviewEvent.kommun_code, when)
        .join(Site, Site.id == ReviewEvent.site_id)
        .order_by(ReviewEvent.id)
    )
    if since is not None:
        statement = statement.where(when >= to_naive_utc(since))
    if until is not None:
        statement = statement.where(when < to_naive_utc(until))
    with session_scope(target) as session:
        for row in session.exec(statement):
            yield ReviewRow(*row)


# --- retention ---------------------------------------------------------------------


def _purgeable_requests(before: datetime, finished_by: datetime | None) -> Any:
    return and_(RequestObservation.observed_at < to_naive_utc(before),
                RequestObservation.run_id.in_(_finished_runs(finished_by)))


def _purgeable_reviews(before: datetime, finished_by: datetime | None) -> Any:
    return and_(_review_date() < to_naive_utc(before), ReviewEvent.run_id.in_(_finished_runs(finished_by)))


class PurgeableDemand(NamedTuple):
    """What a purge of the demand tables would delete, and the moments of the counted rows among them."""

    requests: int
    reviews: int
    moments: tuple[datetime, ...]  # naive UTC: when each counted row is counted (sighting, review date)

    @property
    def total(self) -> int:
        return self.requests + self.reviews


def purgeable_demand(target: StoreOrSession, before: datetime, *, finished_by: datetime | None = None,
                     statuses: Iterable[str] = USABLE_STATUSES) -> PurgeableDemand:
    """Rows `purge_demand` would delete, and the distinct moments of those that are counted (sightings of
    runs in `statuses`, every review), so that their periods can be frozen first."""
    with session_scope(target) as session:
        requests = session.exec(select(func.count()).select_from(RequestObservation)
                                .where(_purgeable_requests(before, finished_by))).scalar_one()
        reviews = session.exec(select(func.count()).select_from(ReviewEvent)
                               .where(_purgeable_reviews(before, finished_by))).scalar_one()
        moments = set(session.exec(
            select(RequestObservation.observed_at).distinct()
            .join(CrawlRun, CrawlRun.id == RequestObservation.run_id)
            .where(_purgeable_requests(before, finished_by), CrawlRun.status.in_(tuple(statuses)))).scalars().all())
        moments |= set(session.exec(select(_review_date()).distinct()
                                    .where(_purgeable_reviews(before, finished_by))).scalars().all())
    return PurgeableDemand(requests, reviews, tuple(sorted(moments)))


def purge_demand(target: StoreOrSession, before: datetime, *,
                 finished_by: datetime | None = None) -> tuple[int, int]:
    """Delete buyers' ad sightings and review events older than `before` (retention); return both counts.

    A sighting goes when it was made before `before`; a review event when the moment it is counted at
    (its own date, else when first seen) is before `before`. Rows of runs still running (or, with
    `finished_by`, finished after it) are kept. Callers freeze the affected periods first
    (analysis.retention.purge).
    """
    with session_scope(target) as session:
        requests = session.exec(
            delete(RequestObservation).where(_purgeable_requests(before, finished_by))
            .execution_options(synchronize_session=False)).rowcount
        reviews = session.exec(
            delete(ReviewEvent).where(_purgeable_reviews(before, finished_by))
            .execution_options(synchronize_session=False)).rowcount
    return requests, reviews


def late_demand(target: StoreOrSession, measures: Iterable[str]) -> list[LateObservations]:
    """Per period frozen for the demand `measures`: rows that reached it after it was frozen — sightings of
    counted runs that finished later, and reviews first stored by a run that started later."""
    periods = frozen_period_spans(measures)
    inside = (lambda moment: and_(moment >= periods.c.period_start, moment < periods.c.period_end))
    late: dict[tuple[str, str], int] = {}
    with session_scope(target) as session:
        requests = (
            select(periods.c.period_kind, periods.c.period, func.count(RequestObservation.id))
            .select_from(RequestObservation)
            .join(CrawlRun, CrawlRun.id == RequestObservation.run_id)
            .join(periods, inside(RequestObservation.observed_at))
            .where(CrawlRun.status.in_(USABLE_STATUSES), CrawlRun.finished_at > periods.c.computed_at)
            .group_by(periods.c.period_kind, periods.c.period)
        )
        reviews = (
            select(periods.c.period_kind, periods.c.period, func.count(ReviewEvent.id))
            .select_from(ReviewEvent)
            .join(CrawlRun, CrawlRun.id == ReviewEvent.run_id)
            .join(periods, inside(_review_date()))
            .where(CrawlRun.started_at > periods.c.computed_at)
            .group_by(periods.c.period_kind, periods.c.period)
        )
        for statement in (requests, reviews):
            for kind, period, count in session.exec(statement).all():
                late[(kind, period)] = late.get((kind, period), 0) + count
    return [LateObservations(kind, period, count) for (kind, period), count in sorted(late.items())]
