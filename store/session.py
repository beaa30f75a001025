"""Helpers every store module shares: the Store-or-Session target, value checks and query pieces.

Every store function takes either a `Store` (work is committed when it returns) or an open
`Session` (work joins the caller's transaction, which the caller commits).
Datetimes go in aware or naive-UTC and come back as naive UTC; time windows are
half-open: `since <= observed_at < until`.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from store.db import Store
from store.errors import StoreError
from store.models import to_naive_utc

INSERT_CHUNK = 5_000  # rows per executemany call
STREAM_CHUNK = 5_000  # rows fetched at a time when streaming observations

StoreOrSession = Store | Session


@contextmanager
def session_scope(target: StoreOrSession) -> Iterator[Session]:
    """The caller's open session, or a new one of the Store that commits when the block ends."""
    if isinstance(target, Session):
        yield target
    else:
        with target.session() as session:
            yield session


def check_text(field: str, value: str | None, limit: int, *, required: bool = False) -> None:
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


def check_count(field: str, value: int) -> None:
    """Refuse anything but a whole number >= 0 (bool included)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise StoreError(f"{field} must be a whole number of at least 0")


def optional_utc(value: datetime | None) -> datetime | None:
    """`value` as naive UTC, or None."""
    return None if value is None else to_naive_utc(value)


def as_datetime(value: datetime | str) -> datetime:
    """SQLite returns min()/max() of a datetime column as text; parse it back."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def insert_ignoring(session: Session, table: Any, conflict_columns: list[str]) -> Any:
    """INSERT … ON CONFLICT (columns) DO NOTHING for the session's dialect."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=conflict_columns)
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=conflict_columns)
    raise StoreError(f"unsupported database dialect {dialect!r}")


def observed_between(statement, column, since: datetime | None, until: datetime | None):
    """`statement` limited to since <= column < until (either bound may be None)."""
    if since is not None:
        statement = statement.where(column >= to_naive_utc(since))
    if until is not None:
        statement = statement.where(column < to_naive_utc(until))
    return statement
