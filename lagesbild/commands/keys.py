"""`lagesbild keys …`: study-period keys — create, inspect, rotate and crypto-shred."""
from __future__ import annotations

import click
from rich.table import Table

from config import clock
from config.settings import load_settings
from crawler.keys import KeyRing
from lagesbild.options import console
from store import open_store, runs


def _ring() -> KeyRing:
    settings = load_settings()
    return KeyRing(settings.resolved_key_dir, settings.key_period)


@click.group("keys")
def keys_group() -> None:
    """Study-period keys (one HMAC master key per period, in files outside the database)."""


@keys_group.command("init")
def keys_init() -> None:
    """Create the first study period and its key.  Example: lagesbild keys init"""
    ring = _ring()
    period = ring.init(clock.now())
    console.print(f"Study period {period.id} started; key in {ring.key_path(period.id)} (mode 0600). Back it up "
                  "separately from the database.")


@keys_group.command("status")
def keys_status() -> None:
    """List the study periods and the state of their keys.  Example: lagesbild keys status"""
    settings = load_settings()
    ring = KeyRing(settings.resolved_key_dir, settings.key_period)
    periods = ring.periods()
    runs_by_period = runs.runs_per_key_period(open_store(settings.resolved_database_url))
    table = Table("period", "status", "started (UTC)", "ended", "key file", "crawl runs",
                  title=f"Study periods in {ring.directory} (policy: {ring.policy})")
    for period in periods:
        present = ring.key_path(period.id).exists()
        key_state = "present" if present else ("destroyed" if period.status == "destroyed" else "MISSING")
        table.add_row(period.id, period.status, period.created_at, period.ended_at or period.destroyed_at or "—",
                      key_state, str(runs_by_period.get(period.id, 0)))
    console.print(table if periods else f"No study periods in {ring.directory}; run `lagesbild keys init`.")


@keys_group.command("rotate")
def keys_rotate() -> None:
    """End the active study period and start a new one with a new key.  Example: lagesbild keys rotate"""
    ring = _ring()
    previous = ring.active()
    period = ring.rotate(clock.now())
    ended = f"ended {previous.id}; " if previous else ""
    console.print(f"{ended}study period {period.id} started. Tokens from now on do not match earlier periods'.")


@keys_group.command("destroy")
@click.argument("period_id", metavar="PERIOD")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def keys_destroy(period_id: str, yes: bool) -> None:
    """Crypto-shred a study period: its tokens can no longer be linked to anything new. Aggregates remain.

    Example: lagesbild keys destroy 2025 --yes
    """
    if not yes:
        click.confirm(f"Destroy the key of study period {period_id}? This cannot be undone", abort=True)
    period = _ring().destroy(period_id, clock.now())
    console.print(f"Study period {period.id}: key destroyed at {period.destroyed_at}.")
