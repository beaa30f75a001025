"""`lagesbild status`: one screen on sites, their last runs and health, schedules, database, keys and retention."""
from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from config import clock
from config.settings import load_settings
from scheduler.status import system_status

console = Console(highlight=False, soft_wrap=True)


def _size(size: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"  # pragma: no cover


@click.command("status")
def status_command() -> None:
    """Sites, last run per site and its health, next scheduled runs, database, key period and retention.

    Example: lagesbild status
    """
    status = system_status(load_settings(), clock.now())
    console.print(f"[bold]Database[/bold] {status.database}: {_size(status.size_bytes)}, "
                  f"{status.observations} observations")
    lease = status.lease
    console.print("[bold]Scheduler[/bold] " + (f"running: {lease.holder}, lease renewed until "
                                               f"{lease.expires_at:%H:%M:%S} UTC" if lease else
                                               "not running (lagesbild scheduler start)"))
    table = Table("site", "render", "last run", "started (UTC)", "status", "health", "schedule", "next run",
                  title="Sites")
    for entry in status.sites:
        site, run, job = entry.site, entry.last_run, entry.job
        table.add_row(
            entry.name if site else f"{entry.name} (no config)", site.render_label if site else "—",
            str(run.id) if run else "—", f"{run.started_at:%Y-%m-%d %H:%M}" if run else "—",
            run.status if run else "never crawled", entry.health,
            (f"{job.id}: {job.trigger}" if job else "not scheduled"),
            (job.next_run.strftime("%Y-%m-%d %H:%M %Z") if job and job.next_run else ("paused" if job else "—")),
        )
    console.print(table)
    console.print("[bold]Next runs[/bold] " + ("; ".join(f"{job.id} {job.next_run:%Y-%m-%d %H:%M %Z}"
                                                         for job in status.upcoming) or "none scheduled"))
    active = status.key_period
    console.print(f"[bold]Key period[/bold] {active.id + ' (active)' if active else 'none: run lagesbild keys init'}, "
                  f"policy {status.key_policy}, {status.key_periods} period(s) in {status.key_dir}")
    span = f"observations {status.first_day} … {status.last_day}" if status.first_day else "no observations"
    due = " — purge due (lagesbild purge)" if status.purge_due else ""
    console.print(f"[bold]Retention[/bold] {status.retention_days} days: {span}; purge would delete those before "
                  f"{status.purge_cutoff}{due}; {status.frozen_months} month(s) frozen")
