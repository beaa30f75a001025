"""SQLModel tables of the store: sites, crawl runs and anonymised observations.

All datetimes are stored as naive UTC. Aware datetimes are converted to UTC on
the way in (by the `UtcDateTime` column type); naive datetimes are taken to be
UTC already. Values read back are naive UTC.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

# Column sizes; the store modules check them too (store.session.check_text), because SQLite does not.
SITE_NAME_LEN = 40
DISPLAY_NAME_LEN = 100
STATUS_LEN = 16
FINISH_REASON_LEN = 64
VERSION_LEN = 64
NOTE_LEN = 200
TOKEN_LEN = 64
KOMMUN_CODE_LEN = 4
UNRESOLVED_REASON_LEN = 16
CATEGORY_LEN = 8
SKETCH_LEN = 88  # a base64url MinHash sketch (parsers.sketches.SKETCH_LEN)


def to_naive_utc(value: datetime) -> datetime:
    """Return `value` as a naive UTC datetime (naive input is assumed to be UTC)."""
    if value.tzinfo is not None and value.utcoffset() is not None:
        return value.astimezone(timezone.utc).replace(tzinfo=None)
    return value.replace(tzinfo=None)


def utcnow() -> datetime:
    """The current time as naive UTC."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class UtcDateTime(TypeDecorator[datetime]):
    """A plain DATETIME / TIMESTAMP WITHOUT TIME ZONE that converts aware values to naive UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        return None if value is None else to_naive_utc(value)


class Site(SQLModel, table=True):
    """A crawled site, named as in its site config."""

    __tablename__ = "site"
    __table_args__ = (UniqueConstraint("name", name="uq_site_name"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=SITE_NAME_LEN)
    display_name: str = Field(max_length=DISPLAY_NAME_LEN)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class CrawlRun(SQLModel, table=True):
    """One crawl of one site, with its outcome and counters."""

    __tablename__ = "crawl_run"
    __table_args__ = (Index("ix_crawl_run_site_started", "site_id", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(sa_column_args=[ForeignKey("site.id", name="fk_crawl_run_site")])
    status: str = Field(max_length=STATUS_LEN)
    started_at: datetime = Field(sa_type=UtcDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # Timestamp stamped on the run's observations: normally started_at, earlier for a back-fill.
    observed_at: datetime = Field(sa_type=UtcDateTime)
    pages: int = Field(default=0)
    items: int = Field(default=0)
    errors: int = Field(default=0)
    parse_failures: int = Field(default=0)
    listing_pages: int = Field(default=0)
    finish_reason: str | None = Field(default=None, max_length=FINISH_REASON_LEN)
    key_period: str | None = Field(default=None, max_length=16)  # the study period whose key made the tokens
    config_version: str = Field(max_length=VERSION_LEN)
    parser_version: str = Field(max_length=VERSION_LEN)
    note: str | None = Field(default=None, max_length=NOTE_LEN)  # operational remark, never PII
    # Detail pages fetched; with parse_failures they give the parse failure rate.
    detail_pages: int = Field(default=0)
    # JSON object {field: share of parsed detail pages where the field was found}, e.g. {"phone": 0.97}.
    fill_rates: str | None = Field(default=None, sa_type=Text)
    # JSON list of the health checks the run failed ([] = healthy); NULL until checked.
    health: str | None = Field(default=None, sa_type=Text)
    # The status the crawl itself decided, kept when a failed health check makes the run 'suspect'.
    crawl_status: str | None = Field(default=None, max_length=STATUS_LEN)


class Observation(SQLModel, table=True):
    """One sighting of one ad in one run, holding only keyed tokens and coarse facts."""

    __tablename__ = "observation"
    __table_args__ = (
        UniqueConstraint("run_id", "ad_token", name="uq_observation_run_ad"),
        Index("ix_observation_observed_at", "observed_at"),
        Index("ix_observation_kommun_code", "kommun_code"),
    )

    # BIGINT on PostgreSQL; SQLite only auto-increments an INTEGER primary key.
    id: int | None = Field(
        default=None,
        primary_key=True,
        sa_type=BigInteger().with_variant(Integer(), "sqlite"),
    )
    run_id: int = Field(sa_column_args=[ForeignKey("crawl_run.id", name="fk_observation_run")])
    site_id: int = Field(sa_column_args=[ForeignKey("site.id", name="fk_observation_site")])
    ad_token: str = Field(max_length=TOKEN_LEN)
    profile_token: str | None = Field(default=None, max_length=TOKEN_LEN)
    phone_token: str | None = Field(default=None, max_length=TOKEN_LEN)
    kommun_code: str | None = Field(default=None, max_length=KOMMUN_CODE_LEN)
    unresolved_reason: str | None = Field(default=None, max_length=UNRESOLVED_REASON_LEN)
    category: str = Field(max_length=CATEGORY_LEN)
    observed_at: datetime = Field(sa_type=UtcDateTime)
    posted_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # Of the ad's wording only keyed MinHash sketches (parsers/sketches.py) and feature booleans are kept;
    # a feature is NULL when the ad had no wording to read. tour_kommun_code: a stated tour destination.
    text_sketch: str | None = Field(default=None, max_length=SKETCH_LEN)
    template_sketch: str | None = Field(default=None, max_length=SKETCH_LEN)
    obscured_phone: bool | None = Field(default=None)
    stated_ethnicity: bool | None = Field(default=None)
    youth_language: bool | None = Field(default=None)
    trust_language: bool | None = Field(default=None)
    stated_touring: bool | None = Field(default=None)
    tour_kommun_code: str | None = Field(default=None, max_length=KOMMUN_CODE_LEN)
    # The ad's stated price per hour in whole SEK (parsers/prices.py), where the site gives prices; never text.
    price_per_hour: int | None = Field(default=None)


PLACE_TEXT_LEN = 80


class UnresolvedPlace(SQLModel, table=True):
    """How often a place text could not be resolved, per site: aggregated strings only, never per ad."""

    __tablename__ = "unresolved_place"
    __table_args__ = (UniqueConstraint("site_id", "text", "reason", name="uq_unresolved_place"),)

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(sa_column_args=[ForeignKey("site.id", name="fk_unresolved_place_site")])
    text: str = Field(max_length=PLACE_TEXT_LEN)
    reason: str = Field(max_length=UNRESOLVED_REASON_LEN)
    count: int = Field(default=0)
    first_seen: datetime = Field(sa_type=UtcDateTime)
    last_seen: datetime = Field(sa_type=UtcDateTime)


LEVEL_LEN = 16
PERIOD_KIND_LEN = 8
PERIOD_LEN = 16
REGION_CODE_LEN = 16
MEASURE_LEN = 32
METHOD_LEN = 64


class CountAggregate(SQLModel, table=True):
    """One frozen exact count (and its cell key) of one region, period and measure, kept after a purge."""

    __tablename__ = "count_aggregate"
    __table_args__ = (
        UniqueConstraint("level", "period_kind", "period", "region_code", "measure", name="uq_count_aggregate"),
    )

    id: int | None = Field(default=None, primary_key=True)
    level: str = Field(max_length=LEVEL_LEN)
    period_kind: str = Field(max_length=PERIOD_KIND_LEN)
    period: str = Field(max_length=PERIOD_LEN)  # the period's label, e.g. '2026-W47' or '2026-11'
    period_start: datetime = Field(sa_type=UtcDateTime)  # the period as UTC instants [start, end)
    period_end: datetime = Field(sa_type=UtcDateTime)
    region_code: str = Field(max_length=REGION_CODE_LEN)
    measure: str = Field(max_length=MEASURE_LEN)
    value: int
    cell_key: float
    computed_at: datetime = Field(sa_type=UtcDateTime)  # counts runs that had finished by this moment
    method: str = Field(max_length=METHOD_LEN)


LEASE_NAME_LEN = 64
LEASE_HOLDER_LEN = 128


class Lease(SQLModel, table=True):
    """A named lock held by one process until it expires: one scheduler per database, one crawl per site.

    The holder renews `expires_at` while it lives; a lease past its expiry (or held by a
    process on this host that no longer exists) may be taken over.
    """

    __tablename__ = "lease"

    name: str = Field(primary_key=True, max_length=LEASE_NAME_LEN)  # 'scheduler' or 'crawl:<site>'
    holder: str = Field(max_length=LEASE_HOLDER_LEN)  # '<host>:<pid>:<nonce>'
    acquired_at: datetime = Field(sa_type=UtcDateTime)
    expires_at: datetime = Field(sa_type=UtcDateTime)


USERNAME_LEN = 64
PASSWORD_HASH_LEN = 255
ROLE_LEN = 16
AUDIT_ACTION_LEN = 32
AUDIT_CHANNEL_LEN = 16
AUDIT_DETAIL_LEN = 400


class AppUser(SQLModel, table=True):
    """A staff account of the dashboard and API: a login name, an argon2 password hash and one role."""

    __tablename__ = "app_user"
    __table_args__ = (UniqueConstraint("username", name="uq_app_user_username"),)

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=USERNAME_LEN)
    password_hash: str = Field(max_length=PASSWORD_HASH_LEN)
    role: str = Field(max_length=ROLE_LEN)  # 'analyst', 'coordinator' or 'export'
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class AuditEvent(SQLModel, table=True):
    """Who took which published table out of lagesbild, and when (exports, downloads, reports)."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_at", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UtcDateTime)
    username: str = Field(max_length=USERNAME_LEN)
    role: str = Field(max_length=ROLE_LEN)
    channel: str = Field(max_length=AUDIT_CHANNEL_LEN)  # 'web', 'api' or 'cli'
    action: str = Field(max_length=AUDIT_ACTION_LEN)  # 'export', 'download' or 'report'
    detail: str = Field(max_length=AUDIT_DETAIL_LEN)  # format, level, period, region: never a count


class RequestObservation(SQLModel, table=True):
    """One sighting of one buyer's ad (efterfrågan) in one run: its keyed ad token and kommun, no wording (issue 9)."""

    __tablename__ = "request_observation"
    __table_args__ = (
        UniqueConstraint("run_id", "ad_token", name="uq_request_observation_run_ad"),
        Index("ix_request_observation_observed_at", "observed_at"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger().with_variant(Integer(), "sqlite"))
    run_id: int = Field(sa_column_args=[ForeignKey("crawl_run.id", name="fk_request_observation_run")])
    site_id: int = Field(sa_column_args=[ForeignKey("site.id", name="fk_request_observation_site")])
    ad_token: str = Field(max_length=TOKEN_LEN)
    kommun_code: str | None = Field(default=None, max_length=KOMMUN_CODE_LEN)
    unresolved_reason: str | None = Field(default=None, max_length=UNRESOLVED_REASON_LEN)
    observed_at: datetime = Field(sa_type=UtcDateTime)
    posted_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class ReviewEvent(SQLModel, table=True):
    """One buyer review, stored once however many crawls see it: keyed tokens, the reviewed profile's kommun
    and the review's own date. Never the reviewer's name, handle or link, nor the text (issue 9)."""

    __tablename__ = "review_event"
    __table_args__ = (
        UniqueConstraint("site_id", "review_token", name="uq_review_event_site_review"),
        Index("ix_review_event_reviewed_at", "reviewed_at"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger().with_variant(Integer(), "sqlite"))
    site_id: int = Field(sa_column_args=[ForeignKey("site.id", name="fk_review_event_site")])
    run_id: int = Field(sa_column_args=[ForeignKey("crawl_run.id", name="fk_review_event_run")])  # first seen in
    review_token: str = Field(max_length=TOKEN_LEN)
    reviewer_token: str | None = Field(default=None, max_length=TOKEN_LEN)  # only to count distinct reviewers
    profile_token: str | None = Field(default=None, max_length=TOKEN_LEN)  # the reviewed profile
    kommun_code: str | None = Field(default=None, max_length=KOMMUN_CODE_LEN)
    unresolved_reason: str | None = Field(default=None, max_length=UNRESOLVED_REASON_LEN)
    reviewed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)  # the review's own date
    observed_at: datetime = Field(sa_type=UtcDateTime)  # when a crawl first saw it
