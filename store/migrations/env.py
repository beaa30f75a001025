"""Alembic environment for the store: runs migrations on a given connection or URL."""
from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import String
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

import store.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from store.models import UtcDateTime

config = context.config
target_metadata = SQLModel.metadata


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Render the models' custom column types as plain SQLAlchemy types in new migrations."""
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime()"
    if type_ == "type" and isinstance(obj, AutoString | String) and getattr(obj, "length", None):
        return f"sa.String(length={obj.length})"
    return False


def _configure(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        render_item=render_item,
        compare_type=True,
    )


def run_migrations_offline() -> None:
    """Emit SQL for the configured URL instead of running it."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run on the caller's connection (config.attributes["connection"]) or on sqlalchemy.url."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    from store.db import make_engine  # the same pragmas and URL rules as the app

    from store.errors import StoreError

    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise StoreError("no database given to the migrations (set sqlalchemy.url)")
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            _configure(connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
