"""`lagesbild status`: one screen on sites, their last runs and health, schedules, database, keys and retention."""
from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from config import clock
from config.settings import load_settings
from config.sites import load_sites

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
    from analysis import retention
    from analysis.periods import local_date
    from crawler.keys import KeyRing
    from scheduler import schedules
    from scheduler.service import scheduler_lease
    from store import open_store, repository
    from store.db import describe_url

    settings = load_settings()
    now = clock.now()
    sites = load_sites(settings.sites_dir)
    with open_store(settings.resolved_database_url) as store:
        last_runs = repository.last_run_per_site(store)
        size = repository.database_size_bytes(store)
        first, last, observations = repository.observation_span(store)
        frozen = repository.frozen_periods(store, "month")
        lease = scheduler_lease(store)
    with schedules.schedule_book(settings) as book:
        jobs = schedules.list_jobs(book)
    crawl_jobs = {job.id: job for job in jobs}

    console.print(f"[bold]Database[/bold] {describe_url(settings.resolved_database_url)}: {_size(size)}, "
                  f"{observations} observations")
    console.print("[bold]Scheduler[/bold] " + (f"running: {lease.holder}, lease renewed until "
                                               f"{lease.expires_at:%H:%M:%S} UTC" if lease else
                                               "not running (lagesbild scheduler start)"))
    table = Table(title="Sites")
    for column in ("site", "render", "last run", "started (UTC)", "status", "health", "schedule", "next run"):
        table.add_column(column)
    for name in sorted(set(sites) | set(last_runs)):
        site = sites.get(name)
        run = last_runs.get(name)
        job = crawl_jobs.get(f"crawl:{name}") or crawl_jobs.get(schedules.CRAWL_ALL)
        if run is None:
            health_text = "—"
        elif run.health is None:
            health_text = "not checked" if run.status != "running" else "—"
        else:
            health_text = f"{len(run.health)} failed check(s)" if run.health else "ok"
        table.add_row(
            name if site else f"{name} (no config)", getattr(site, "render_label", site.render) if site else "—",
            str(run.id) if run else "—", f"{run.started_at:%Y-%m-%d %H:%M}" if run else "—",
            run.status if run else "never crawled", health_text,
            (f"{job.id}: {job.trigger}" if job else "not scheduled"),
            (job.next_run.strftime("%Y-%m-%d %H:%M %Z") if job and job.next_run else ("paused" if job else "—")),
        )
    console.print(table)
    upcoming = [job for job in jobs if job.next_run is not None][:5]
    console.print("[bold]Next runs[/bold] " + ("; ".join(f"{job.id} {job.next_run:%Y-%m-%d %H:%M %Z}"
                                                         for job in upcoming) or "none scheduled"))
    ring = KeyRing(settings.resolved_key_dir, settings.key_period)
    active = ring.active()
    console.print(f"[bold]Key period[/bold] {active.id + ' (active)' if active else 'none: run lagesbild keys init'}, "
                  f"policy {settings.key_period}, {len(ring.periods())} period(s) in {ring.directory}")
    cutoff = local_date(retention.purge_cutoff(now, settings.retention_days))
    span = f"observations {local_date(first)} … {local_date(last)}" if first and last else "no observations"
    due = " — purge due (lagesbild purge)" if first and local_date(first) < cutoff else ""
    console.print(f"[bold]Retention[/bold] {settings.retention_days} days: {span}; purge would delete those before "
                  f"{cutoff}{due}; {len(frozen)} month(s) frozen")
