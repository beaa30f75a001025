"""SQLModel tables of the store: sites, crawl runs and anonymised observations.

All datetimes are stored as naive UTC. Aware datetimes are converted to UTC on
the way in (by the `UtcDateTime` column type); naive datetimes are taken to be
UTC already. Values read back are naive UTC.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, UniqueConstraint
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

# Column sizes; the repository checks them too, because SQLite does not.
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
