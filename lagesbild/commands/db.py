"""`lagesbild db upgrade`: bring the database schema up to date."""
from __future__ import annotations

import click

from config.settings import load_settings
from lagesbild.options import console
from store.db import describe_url, upgrade_database


@click.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema up to date (also done automatically on first use).  Example: lagesbild db upgrade"""
    settings = load_settings()
    revision = upgrade_database(settings.resolved_database_url)
    console.print(f"Database {describe_url(settings.resolved_database_url)} is at revision {revision}")
