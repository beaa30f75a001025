"""Schema creation, migrations and engine settings on SQLite and PostgreSQL."""
from __future__ import annotations

import logging
import subprocess
import sys
import time
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import store.models  # noqa: F401  (registers the tables)
from store import StoreError, open_store
from store.db import alembic_config, current_revision, head_revision, make_engine, normalise_url, upgrade_database
from store.leases import acquire_lease
from store.run_health import site_history
from store.runs import ensure_site, list_runs, start_run

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_open_store_creates_tables_at_head(store_url: str) -> None:
    assert current_revision(store_url) is None
    with open_store(store_url) as opened:
        tables = set(inspect(opened.engine).get_table_names())
    assert {"site", "crawl_run", "observation", "alembic_version"} <= tables
    assert current_revision(store_url) == head_revision()


def test_open_store_twice_keeps_data(store_url: str) -> None:
    with open_store(store_url) as first:
        run_id = start_run(first, "alpha", "Alpha", "cfg1", "p1")
    with open_store(store_url) as second:
        runs = list_runs(second)
    assert [run.id for run in runs] == [run_id]
    assert upgrade_database(store_url) == head_revision()
    assert current_revision(store_url) == head_revision()


def test_models_match_migration(store_url: str) -> None:
    with open_store(store_url) as opened, opened.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_migration_logging_is_quiet_by_default(store_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    upgrade_database(store_url)
    assert not [r for r in caplog.records if r.name.startswith("alembic") and r.levelno < logging.WARNING]


def test_unknown_revision_is_refused(store_url: str) -> None:
    with open_store(store_url) as opened, opened.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(StoreError, match="9999"):
        open_store(store_url)


def test_tables_without_revision_are_left_alone(store_url: str) -> None:
    with open_store(store_url) as opened:
        ensure_site(opened, "alpha", "Alpha")
        with opened.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE alembic_version")
    with pytest.raises(StoreError, match="no schema revision"):
        open_store(store_url)


def test_sqlite_engine_settings(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "lagesbild.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
            assert pragma("journal_mode") == "wal"
            assert pragma("foreign_keys") == 1
            assert pragma("busy_timeout") == 5000
            assert pragma("synchronous") == 1  # NORMAL
    finally:
        engine.dispose()
    assert path.parent.is_dir()


def test_wal_is_on_after_open_store(tmp_path: Path) -> None:
    path = tmp_path / "lagesbild.db"
    with open_store(f"sqlite:///{path}") as opened, opened.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    assert Path(f"{path}-wal").exists() or path.exists()


@pytest.mark.parametrize(
    "url",
    ["postgresql://u@h/db", "postgres://u@h/db", "postgresql+psycopg://u@h/db"],
)
def test_postgres_urls_use_psycopg(url: str) -> None:
    assert normalise_url(url).drivername == "postgresql+psycopg"


@pytest.mark.parametrize("url", ["mysql://u@h/db", "oracle://u:secret@h/db", "not a url"])
def test_unknown_scheme_is_a_store_error(url: str) -> None:
    with pytest.raises(StoreError) as caught:
        make_engine(url)
    message = str(caught.value)
    assert "\n" not in message and "secret" not in message


def test_unreachable_postgres_is_a_store_error() -> None:
    with pytest.raises(StoreError) as caught:
        open_store("postgresql://nobody:secret@127.0.0.1:1/nothing")
    message = str(caught.value)
    assert "\n" not in message and "secret" not in message


# Each child imports the store, reports ready, waits for "go", then opens the database.
_CHILD = """
import sys, time
from pathlib import Path
from store import open_store
ready, go, url = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
ready.touch()
while not go.exists():
    time.sleep(0.01)
open_store(url).close()
"""


@pytest.mark.timeout(120)
def test_concurrent_first_opens_all_succeed(store_url: str, tmp_path: Path) -> None:
    go = tmp_path / "go"
    children = []
    for number in range(4):
        ready = tmp_path / f"ready-{number}"
        command = [sys.executable, "-c", _CHILD, str(ready), str(go), store_url]
        children.append((ready, subprocess.Popen(command, cwd=REPO_ROOT, stderr=subprocess.PIPE, text=True)))
    deadline = time.monotonic() + 60
    while not all(ready.exists() for ready, _ in children) and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()
    for _, child in children:
        _, stderr = child.communicate(timeout=60)
        assert child.returncode == 0, stderr.strip().splitlines()[-1:]
    assert current_revision(store_url) == head_revision()


def test_migration_0005_keeps_existing_runs(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0004")
        connection.exec_driver_sql("INSERT INTO site (id, name, display_name, created_at) "
                                   "VALUES (1, 'alpha', 'Alpha', '2026-01-01 00:00:00')")
        connection.exec_driver_sql(
            "INSERT INTO crawl_run (site_id, status, started_at, observed_at, pages, items, errors, parse_failures, "
            "listing_pages, config_version, parser_version) VALUES (1, 'complete', '2026-01-01 00:00:00', "
            "'2026-01-01 00:00:00', 3, 2, 0, 0, 1, 'c', 'p')")
    engine.dispose()
    with open_store(url) as store:
        [run] = site_history(store, "alpha")
        assert (run.status, run.items, run.detail_pages, run.fill_rates, run.health) == ("complete", 2, 0, None, None)
        assert acquire_lease(store, "scheduler", "me:1:x", 30).holder == "me:1:x"
