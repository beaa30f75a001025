"""`lagesbild purge`: freeze the counts of old periods, then delete observations past the retention time."""
from __future__ import annotations

import click
from rich.console import Console

from analysis import retention
from analysis.periods import PERIODS, local_date
from config.settings import load_settings, load_settings_geography
from store import open_store

console = Console(highlight=False, soft_wrap=True)


def _periods(kind: str, labels: tuple[str, ...]) -> str:
    """'year 2025', 'quarters 2025-Q2, 2025-Q3' or '4 weeks 2025-W14 … 2025-W40'."""
    if len(labels) == 1:
        return f"{kind} {labels[0]}"
    if len(labels) <= 3:
        return f"{kind}s {', '.join(labels)}"
    return f"{len(labels)} {kind}s {labels[0]} … {labels[-1]}"


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
    kept_from = local_date(result.cutoff)  # a Swedish midnight: the first day that is kept
    if result.nothing_to_do:
        console.print(f"Nothing to purge: no observations, buyers' ads or reviews of finished runs before "
                      f"{kept_from} (retention {result.retention_days} days).")
        return
    verb = "Would delete" if dry_run else "Deleted"
    console.print(f"Cutoff: observations before {kept_from} 00:00 Swedish time (retention {result.retention_days} days).")
    console.print(f"{verb} {_plural(result.observations, 'observation')}.")
    if result.requests or result.reviews:
        console.print(f"{verb} {_plural(result.requests, 'buyer ad sighting')} and "
                      f"{_plural(result.reviews, 'review event')} (the demand side).")
    verb = "Would freeze" if dry_run else "Froze"
    for side, labels in (("counts", result.frozen), ("demand counts", result.demand_frozen)):
        frozen = [_periods(period, labels[period]) for period in PERIODS if labels.get(period)]
        console.print(f"{verb} the {side} of: {'; '.join(frozen)}." if frozen else f"No new periods to freeze ({side}).")
    if not dry_run:
        console.print(f"Stored {result.aggregate_cells} count cells.")
    for late, what in ((result.late, "observations"), (result.demand_late, "buyers' ads or reviews")):
        if late:  # back-filled into frozen periods: kept out of their frozen counts
            shown = ", ".join(f"{e.period_kind} {e.period} ({e.count})" for e in late[:6])
            more = " …" if len(late) > 6 else ""
            console.print(f"Note: {what} arrived after their period was frozen and are not counted there: {shown}{more}.")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
