"""Small shared helpers for the tests (importable because pytest puts tests/ on sys.path)."""
from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from datetime import datetime
from typing import NamedTuple

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool


# PTS ranges reserved for fiction, as national numbers without the trunk 0 (kept independent of the sandbox code).
FICTION_RANGES = [
    (701740605, 701740699),
    (846500400, 846500499),
    (313900600, 313900699),
    (406280400, 406280499),
    (980319200, 980319299),
]


class Obs(NamedTuple):
    """An observation row as analysis reads it, for synthetic inputs."""

    ad_token: str
    profile_token: str | None
    phone_token: str | None
    kommun_code: str | None
    observed_at: datetime


# The moment tests take to be now (LAGESBILD_NOW, read by config.clock): a Wednesday afternoon, mid-month,
# mid-quarter, away from any week, month or year end.
TEST_NOW = "2026-11-18T12:00:00Z"


def cli_env(home, **settings: str) -> dict[str, str]:
    """The environment for a `lagesbild` subprocess: this one minus any LAGESBILD_* (but the frozen
    LAGESBILD_NOW), plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAGESBILD_") or k == "LAGESBILD_NOW"}
    env["LAGESBILD_HOME"] = str(home)
    env["COLUMNS"] = "200"
    env.update({f"LAGESBILD_{name.upper()}": value for name, value in settings.items()})
    return env


def init_keys(home, **settings: str) -> None:
    """`lagesbild keys init`, as a user does once before crawling."""
    result = run_cli("keys", "init", home=home, **settings)
    assert result.returncode == 0, result.stderr


def run_cli(*args: str, home, timeout: float = 300, **settings: str):
    """Run `lagesbild ARGS` in a child process (Twisted's reactor runs once per process)."""
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "lagesbild.cli", *args],
        env=cli_env(home, **settings), capture_output=True, text=True, timeout=timeout,
    )


# A maintenance database on the local server; each test gets its own database beside it.
POSTGRES_ADMIN_URL = os.environ.get(
    "LAGESBILD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def postgres_database(admin_url: str) -> Iterator[str]:
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
