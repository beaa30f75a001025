"""Observations: store a run's anonymised ad sightings and stream them back for analysis.

Also the size of the database and the span of stored observations, for status reports.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlmodel import Session

from parsers.records import CATEGORIES, ObservedAd
from store.errors import StoreError
from store.models import (
    CATEGORY_LEN,
    KOMMUN_CODE_LEN,
    SKETCH_LEN,
    TOKEN_LEN,
    UNRESOLVED_REASON_LEN,
    CrawlRun,
    Observation,
    Site,
    to_naive_utc,
)
from store.runs import USABLE_STATUSES
from store.session import (
    INSERT_CHUNK,
    STREAM_CHUNK,
    StoreOrSession,
    as_datetime,
    check_text,
    insert_ignoring,
    observed_between,
    optional_utc,
    session_scope,
)

MAX_STORED_PRICE = 100_000  # SEK per hour; the parser already rejects anything above parsers.prices' maximum
# Ad-feature booleans stored per observation (see parsers/features.py).
AD_FEATURE_COLUMNS = ("obscured_phone", "stated_ethnicity", "youth_language", "trust_language", "stated_touring")


class ObservationRow(NamedTuple):
    """One stored observation, as analysis reads it."""

    site: str
    ad_token: str
    profile_token: str | None
    phone_token: str | None
    kommun_code: str | None
    category: str
    observed_at: datetime


def _observation_values(ad: ObservedAd, run_id: int, site_id: int) -> dict[str, Any]:
    check_text("ad_token", ad.ad_token, TOKEN_LEN, required=True)
    check_text("profile_token", ad.profile_token, TOKEN_LEN)
    check_text("phone_token", ad.phone_token, TOKEN_LEN)
    check_text("kommun_code", ad.kommun_code, KOMMUN_CODE_LEN)
    check_text("unresolved_reason", ad.unresolved_reason, UNRESOLVED_REASON_LEN)
    check_text("category", ad.category, CATEGORY_LEN, required=True)
    if ad.category not in CATEGORIES:
        raise StoreError(f"category is not one of {', '.join(CATEGORIES)}")
    if not isinstance(ad.observed_at, datetime):
        raise StoreError("observed_at must be a datetime")
    if ad.posted_at is not None and not isinstance(ad.posted_at, datetime):
        raise StoreError("posted_at must be a datetime or None")
    check_text("text_sketch", ad.text_sketch, SKETCH_LEN)
    check_text("template_sketch", ad.template_sketch, SKETCH_LEN)
    check_text("tour_kommun_code", ad.tour_kommun_code, KOMMUN_CODE_LEN)
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
        "posted_at": optional_utc(ad.posted_at),
        "text_sketch": ad.text_sketch,
        "template_sketch": ad.template_sketch,
        **{name: getattr(ad, name) for name in AD_FEATURE_COLUMNS},
        "tour_kommun_code": ad.tour_kommun_code,
        "price_per_hour": price,
    }


def _count_run_observations(session: Session, run_id: int) -> int:
    statement = select(func.count()).select_from(Observation).where(Observation.run_id == run_id)
    return session.exec(statement).scalar_one()


def add_observations(target: StoreOrSession, run_id: int, observations: Iterable[ObservedAd]) -> int:
    """Store a run's observations in one transaction; return how many rows were new.

    An ad already stored for this run (or repeated within `observations`) is skipped.
    Every observation must belong to the run's site.
    """
    with session_scope(target) as session:
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
        statement = insert_ignoring(session, Observation.__table__, ["run_id", "ad_token"])
        chunks = iter(rows)
        while chunk := list(islice(chunks, INSERT_CHUNK)):
            session.exec(statement, params=chunk)
        return _count_run_observations(session, run_id) - before


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
        .execution_options(yield_per=STREAM_CHUNK)
    )
    statement = observed_between(statement, Observation.observed_at, since, until)
    if finished_by is not None:
        statement = statement.where(CrawlRun.finished_at <= to_naive_utc(finished_by))
    with session_scope(target) as session:
        for row in session.exec(statement):
            yield ObservationRow(*row)


def observation_span(target: StoreOrSession) -> tuple[datetime | None, datetime | None, int]:
    """The oldest and newest observed_at of stored observations, and how many there are."""
    statement = select(func.min(Observation.observed_at), func.max(Observation.observed_at), func.count())
    with session_scope(target) as session:
        first, last, count = session.exec(statement).one()
    return (None if first is None else as_datetime(first), None if last is None else as_datetime(last), count)


def database_size_bytes(target: StoreOrSession) -> int:
    """Bytes the database occupies: the SQLite file plus its -wal file, or pg_database_size."""
    with session_scope(target) as session:
        bind = session.get_bind()
        if bind.dialect.name == "postgresql":
            return int(session.exec(select(func.pg_database_size(func.current_database()))).scalar_one())
        database = bind.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return 0
    path = Path(database)
    return sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists())
