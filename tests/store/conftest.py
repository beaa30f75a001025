"""Fixtures for store tests: a fresh database URL per test on SQLite and on PostgreSQL."""
from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from parsers.records import ObservedAd
from store import Store, open_store

# A maintenance database on the local server; each test gets its own database beside it.
POSTGRES_ADMIN_URL = os.environ.get(
    "LAGESBILD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_database(admin_url: str) -> Iterator[str]:
    """Create a throw-away database, yield its URL, then drop it."""
    name = f"lagesbild_t_{secrets.token_hex(6)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        problem = None
    except OperationalError as exc:
        problem = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
    if problem is not None:
        pytest.fail(
            f"PostgreSQL at {admin.url.render_as_string(hide_password=True)} is unreachable ({problem}); "
            "start it or set LAGESBILD_SKIP_POSTGRES=1",
            pytrace=False,
        )
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database: a SQLite file in tmp_path, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'lagesbild.db'}"
        return
    if os.environ.get("LAGESBILD_SKIP_POSTGRES") == "1":
        pytest.skip("PostgreSQL tests skipped because LAGESBILD_SKIP_POSTGRES=1")
    yield from _postgres_database(POSTGRES_ADMIN_URL)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """An opened (migrated) store on the test database."""
    opened = open_store(store_url)
    try:
        yield opened
    finally:
        opened.close()


MakeAd = Callable[..., ObservedAd]


@pytest.fixture
def make_ad() -> MakeAd:
    """Build an ObservedAd with token-like defaults; override any field by keyword."""

    def build(ad_token: str, **fields: object) -> ObservedAd:
        values: dict[str, object] = {
            "site": "alpha",
            "ad_token": ad_token,
            "profile_token": None,
            "phone_token": None,
            "kommun_code": "0180",
            "unresolved_reason": None,
            "category": "Kvinna",
            "observed_at": datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc),
            "posted_at": None,
        }
        values.update(fields)
        return ObservedAd(**values)  # type: ignore[arg-type]

    return build

