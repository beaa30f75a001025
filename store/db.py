"""Database engines, schema migrations (Alembic) and the Store handle other stages open."""
from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlmodel import Session

from store.errors import StoreError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
POSTGRES_DRIVER = "postgresql+psycopg"
_POSTGRES_ALIASES = {"postgresql", "postgres", POSTGRES_DRIVER}
_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",
    "PRAGMA synchronous=NORMAL",
)
# Alembic's op/context proxies are module globals, so one migration per process at a time.
_MIGRATION_THREAD_LOCK = threading.Lock()
# Alembic loggers that announce every step at INFO level.
_ALEMBIC_LOGGERS = ("alembic.runtime.migration", "alembic.runtime.plugins")


def normalise_url(url: str) -> URL:
    """Parse a database URL, mapping any PostgreSQL spelling to the psycopg 3 driver."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError("database URL is not valid; use sqlite:///path or postgresql://host/db") from None
    scheme = parsed.drivername
    if scheme == "sqlite" or scheme.startswith("sqlite+"):
        return parsed
    if scheme in _POSTGRES_ALIASES:
        return parsed.set(drivername=POSTGRES_DRIVER)
    raise StoreError(
        f"unsupported database URL scheme {scheme!r}; use sqlite:///path or postgresql://host/db"
    )


def _is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def _sqlite_file(url: URL) -> Path | None:
    """The database file of a SQLite URL, or None for an in-memory database."""
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _set_sqlite_pragmas(dbapi_connection, _connection_record) -> None:  # noqa: ANN001
    cursor = dbapi_connection.cursor()
    try:
        for pragma in _SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def make_engine(url: str) -> Engine:
    """Create an engine for a sqlite:// or postgresql:// URL (SQLite gets WAL and foreign keys)."""
    parsed = normalise_url(url)
    if not _is_sqlite(parsed):
        return create_engine(parsed, pool_pre_ping=True)
    path = _sqlite_file(parsed)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed)
    event.listen(engine, "connect", _set_sqlite_pragmas)
    return engine


def describe_url(url: str | URL) -> str:
    """The URL with any password hidden, for messages."""
    parsed = make_url(url) if isinstance(url, str) else url
    return parsed.render_as_string(hide_password=True)


@contextmanager
def _quiet_alembic(verbose: bool) -> Iterator[None]:
    """Hold Alembic's per-step INFO lines back unless the caller asked for them."""
    if verbose:
        yield
        return
    loggers = [logging.getLogger(name) for name in _ALEMBIC_LOGGERS]
    previous = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, previous):
            logger.setLevel(level)


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config pointing at the packaged migrations (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        # '%' must be doubled for the ini-style option parser.
        config.set_main_option(
            "sqlalchemy.url", normalise_url(url).render_as_string(hide_password=False).replace("%", "%%")
        )
    return config


def head_revision() -> str:
    """The newest migration revision shipped with this code."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships migrations
        raise StoreError("no database migrations found in the store package")
    return head


def _revision_of(engine: Engine, verbose: bool = False) -> str | None:
    with _quiet_alembic(verbose), engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def _check_upgradable(connection: Connection, current: str | None) -> None:
    """Refuse databases this code must not touch."""
    known = {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    if current is not None and current not in known:
        raise StoreError(
            f"database is at schema revision {current!r}, which this version of lagesbild "
            "does not know; use a newer lagesbild"
        )
    if current is None and inspect(connection).has_table("site"):
        raise StoreError(
            "database already has lagesbild tables but no schema revision; refusing to change it"
        )


def _upgrade(engine: Engine, verbose: bool = False) -> str:
    """Bring the database behind `engine` to the head revision; return that revision."""
    head = head_revision()
    if _revision_of(engine, verbose) == head:  # the usual case: no lock needed
        return head
    config = alembic_config()
    with _MIGRATION_THREAD_LOCK, _quiet_alembic(verbose), engine.begin() as connection:
        # Serialise processes migrating at the same time, then look again under the
        # lock: another process may have finished the work meanwhile.
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(4711020001)")
        else:  # SQLite: take the write lock now, which also makes the DDL transactional
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        current = MigrationContext.configure(connection).get_current_revision()
        if current == head:
            return head
        _check_upgradable(connection, current)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return head


def _connection_error(url: str, exc: OperationalError) -> StoreError:
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else "connection failed"
    return StoreError(f"cannot use database {describe_url(normalise_url(url))}: {reason}")


def upgrade_database(url: str, *, verbose: bool = False) -> str:
    """Run all pending migrations on the database at `url`; return the head revision."""
    engine = make_engine(url)
    try:
        return _upgrade(engine, verbose)
    except OperationalError as exc:
        raise _connection_error(url, exc) from None
    finally:
        engine.dispose()


def current_revision(url: str) -> str | None:
    """The schema revision the database at `url` is at (None when never migrated)."""
    engine = make_engine(url)
    try:
        return _revision_of(engine)
    except OperationalError as exc:
        raise _connection_error(url, exc) from None
    finally:
        engine.dispose()


class Store:
    """An open database: an engine plus sessions that commit on success and roll back on error."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def dialect(self) -> str:
        """'sqlite' or 'postgresql'."""
        return self.engine.dialect.name

    @property
    def url(self) -> URL:
        return self.engine.url

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose work is committed when the block ends without an exception."""
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def close(self) -> None:
        """Release pooled connections."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({describe_url(self.engine.url)})"


def open_store(url: str, *, verbose: bool = False) -> Store:
    """Open the database at `url`, creating or upgrading its schema first when needed.

    Migrations only ever add; existing data is never dropped or rewritten.
    """
    engine = make_engine(url)
    try:
        _upgrade(engine, verbose)
    except OperationalError as exc:
        engine.dispose()
        raise _connection_error(url, exc) from None
    except BaseException:
        engine.dispose()
        raise
    return Store(engine)
