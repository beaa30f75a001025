"""Store functions of the demand side (issue 9): buyers' ads and buyer review events.

Like store.repository, every function takes a Store or an open Session. Only keyed tokens, kommun
codes and times are stored; review events are stored once per (site, review token), however many
crawls see the review.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import delete, func, or_, select

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
from store.repository import USABLE_STATUSES, StoreOrSession, _check_text, _insert_ignoring, _optional_utc, _session


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
    _check_text("kommun_code", kommun_code, KOMMUN_CODE_LEN)
    _check_text("unresolved_reason", reason, UNRESOLVED_REASON_LEN)


def _count(session, table, column, value) -> int:
    return session.exec(select(func.count()).select_from(table).where(column == value)).scalar_one()


def add_request_observations(target: StoreOrSession, run_id: int, requests: Iterable[ObservedRequest]) -> int:
    """Store a run's sightings of buyers' ads; return how many rows were new (repeats in a run are skipped)."""
    with _session(target) as session:
        site = _run_site(session, run_id)
        rows: dict[str, dict[str, Any]] = {}
        for item in requests:
            if item.site != site.name:
                raise StoreError(f"a buyer's ad of site {item.site!r} cannot go into run {run_id} of {site.name!r}")
            _check_text("ad_token", item.ad_token, TOKEN_LEN, required=True)
            _check_place(item.kommun_code, item.unresolved_reason)
            rows.setdefault(item.ad_token, {
                "run_id": run_id, "site_id": site.id, "ad_token": item.ad_token, "kommun_code": item.kommun_code,
                "unresolved_reason": item.unresolved_reason, "observed_at": to_naive_utc(item.observed_at),
                "posted_at": _optional_utc(item.posted_at),
            })
        if not rows:
            return 0
        before = _count(session, RequestObservation, RequestObservation.run_id, run_id)
        session.exec(_insert_ignoring(session, RequestObservation.__table__, ["run_id", "ad_token"]),
                     params=list(rows.values()))
        return _count(session, RequestObservation, RequestObservation.run_id, run_id) - before


def add_review_events(target: StoreOrSession, run_id: int, reviews: Iterable[ObservedReview]) -> int:
    """Store review events not stored before for the run's site; return how many were new."""
    with _session(target) as session:
        site = _run_site(session, run_id)
        rows: dict[str, dict[str, Any]] = {}
        for item in reviews:
            if item.site != site.name:
                raise StoreError(f"a review of site {item.site!r} cannot go into run {run_id} of {site.name!r}")
            for name in ("review_token", "reviewer_token", "profile_token"):
                _check_text(name, getattr(item, name), TOKEN_LEN, required=name == "review_token")
            _check_place(item.kommun_code, item.unresolved_reason)
            rows.setdefault(item.review_token, {
                "site_id": site.id, "run_id": run_id, "review_token": item.review_token,
                "reviewer_token": item.reviewer_token, "profile_token": item.profile_token,
                "kommun_code": item.kommun_code, "unresolved_reason": item.unresolved_reason,
                "reviewed_at": _optional_utc(item.reviewed_at), "observed_at": to_naive_utc(item.observed_at),
            })
        if not rows:
            return 0
        before = _count(session, ReviewEvent, ReviewEvent.site_id, site.id)
        session.exec(_insert_ignoring(session, ReviewEvent.__table__, ["site_id", "review_token"]),
                     params=list(rows.values()))
        return _count(session, ReviewEvent, ReviewEvent.site_id, site.id) - before


def iter_request_rows(target: StoreOrSession, *, since: datetime | None = None, until: datetime | None = None,
                      statuses: Iterable[str] = USABLE_STATUSES, run_id: int | None = None) -> Iterator[RequestRow]:
    """Sightings of buyers' ads from runs with the given statuses (or of one run), `since <= observed_at < until`."""
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
    if since is not None:
        statement = statement.where(RequestObservation.observed_at >= to_naive_utc(since))
    if until is not None:
        statement = statement.where(RequestObservation.observed_at < to_naive_utc(until))
    with _session(target) as session:
        for row in session.exec(statement):
            yield RequestRow(*row)


def iter_review_rows(target: StoreOrSession, *, since: datetime | None = None,
                     until: datetime | None = None) -> Iterator[ReviewRow]:
    """Review events by their own date (`since <= reviewed_at < until`; undated ones by when first seen)."""
    when = func.coalesce(ReviewEvent.reviewed_at, ReviewEvent.observed_at)
    statement = (
        select(Site.name, ReviewEvent.review_token, ReviewEvent.reviewer_token, ReviewEvent.kommun_code, when)
        .join(Site, Site.id == ReviewEvent.site_id)
        .order_by(ReviewEvent.id)
    )
    if since is not None:
        statement = statement.where(when >= to_naive_utc(since))
    if until is not None:
        statement = statement.where(when < to_naive_utc(until))
    with _session(target) as session:
        for row in session.exec(statement):
            yield ReviewRow(*row)


def purge_demand(target: StoreOrSession, before: datetime) -> tuple[int, int]:
    """Delete buyers' ad sightings and review events older than `before` (retention); return both counts.

    A review event goes when either its own date or the crawl that first saw it is older than `before`.
    Rows of runs still running are kept.
    """
    cutoff = to_naive_utc(before)
    finished = select(CrawlRun.id).where(CrawlRun.status != "running")
    with _session(target) as session:
        requests = session.exec(
            delete(RequestObservation)
            .where(RequestObservation.observed_at < cutoff, RequestObservation.run_id.in_(finished))
            .execution_options(synchronize_session=False)).rowcount
        reviews = session.exec(
            delete(ReviewEvent)
            .where(or_(ReviewEvent.observed_at < cutoff, ReviewEvent.reviewed_at < cutoff),
                   ReviewEvent.run_id.in_(finished))
            .execution_options(synchronize_session=False)).rowcount
    return requests, reviews
