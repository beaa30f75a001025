"""Fixtures for store tests: a fresh database URL per test on SQLite and on PostgreSQL."""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from parsers.records import ObservedAd
from store import Store, open_store
from support import POSTGRES_ADMIN_URL, postgres_database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database: a SQLite file in tmp_path, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'lagesbild.db'}"
        return
    if os.environ.get("LAGESBILD_SKIP_POSTGRES") == "1":
        pytest.skip("PostgreSQL tests skipped because LAGESBILD_SKIP_POSTGRES=1")
    yield from postgres_database(POSTGRES_ADMIN_URL)


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

