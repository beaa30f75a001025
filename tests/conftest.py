"""Shared fixtures: a fresh database on SQLite and on the local PostgreSQL, for every test that asks."""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from store import Store, open_store
from support import POSTGRES_ADMIN_URL, TEST_NOW, postgres_database

# The product's "now" (config.clock) is a fixed, unremarkable moment in every test and in the `lagesbild`
# processes the tests start, so results do not move with the calendar. Set LAGESBILD_NOW before pytest to
# run the suite at another moment; tests about dates pin their own (monkeypatch.setenv or time-machine).
os.environ.setdefault("LAGESBILD_NOW", TEST_NOW)


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
