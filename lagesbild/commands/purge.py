"""`lagesbild purge`: freeze the counts of old periods, then delete observations past the retention time."""
from __future__ import annotations

import click
from rich.console import Console

from analysis import retention
from config.settings import load_settings, load_settings_geography
from store import open_store

console = Console(highlight=False, soft_wrap=True)


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="Only show what would be frozen and deleted.")
def purge_command(dry_run: bool) -> None:
    """Delete observations, buyers' ads and reviews older than LAGESBILD_RETENTION_DAYS, keeping frozen counts.

    The exact counts of every period holding such rows are stored first (supply and demand
    measures), so no published table changes. Example: lagesbild purge --dry-run
    """
    settings = load_settings()
    store = open_store(settings.resolved_database_url)
    try:
        result = retention.purge(store, load_settings_geography(settings), settings.retention_days, dry_run=dry_run)
    finally:
        store.close()
    for line in result.summary():
        console.print(line)
