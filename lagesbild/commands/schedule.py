"""`lagesbild schedule …` (persistent schedules) and `lagesbild scheduler start` (the scheduler process)."""
from __future__ import annotations

import functools
from datetime import datetime

import click
from rich.console import Console
from rich.table import Table

from config.settings import load_settings
from config.sites import get_site
from scheduler import schedules
from scheduler.schedules import schedule_book
from scheduler.service import SchedulerRunning, run_scheduler_logging_to_stderr, scheduler_state

console = Console(highlight=False, soft_wrap=True)


def _when(moment: datetime | None) -> str:
    return "paused" if moment is None else f"{moment:%Y-%m-%d %H:%M:%S %Z}"


@click.group("schedule")
def schedule_group() -> None:
    """Persistent crawl and maintenance schedules, kept in the database (run by `lagesbild scheduler start`)."""


@schedule_group.command("add")
@click.option("--site", "site_name", help="Crawl this site (job crawl:NAME).")
@click.option("--all", "all_sites", is_flag=True, help="Crawl every configured site (job crawl:all).")
@click.option("--task", type=click.Choice(["aggregate", "purge", "export"]),
              help="Instead of a crawl: aggregate (refresh the published tables), purge (retention) "
                   "or export (dated kommun × month CSV).")
@click.option("--cron", help='Five crontab fields in LAGESBILD_SCHEDULE_TIMEZONE, e.g. "0 3 * * *".')
@click.option("--every", help="An interval: 1d, 12h, 1h30m, 1w, 30s.")
@click.option("--jitter", help="Start up to this much later at random, e.g. 30m (spreads load).")
def schedule_add(site_name: str | None, all_sites: bool, task: str | None, cron: str | None,
                 every: str | None, jitter: str | None) -> None:
    """Add (or replace) a schedule.  Example: lagesbild schedule add --site nattsida --cron "0 3 * * *"
    """
    chosen = [flag for flag, given in (("--site", site_name), ("--all", all_sites), ("--task", task)) if given]
    if len(chosen) != 1:
        raise click.UsageError("give exactly one of --site NAME, --all or --task TASK")
    settings = load_settings()
    trigger = schedules.make_trigger(settings, cron=cron, every=every, jitter=jitter)
    if site_name is not None:
        get_site(settings.sites_dir, site_name)  # an unknown site is a config error (exit 2)
    with schedule_book(settings) as book:
        if task is not None:
            job = schedules.add_task(book, task, trigger)
        else:
            job = schedules.add_crawl(book, None if all_sites else site_name, trigger)
    console.print(f"Scheduled {job.id} ({job.what}): {job.trigger}; next run {_when(job.next_run)}.")
    console.print(scheduler_state(settings))


@schedule_group.command("list")
def schedule_list() -> None:
    """List the schedules and their next runs.  Example: lagesbild schedule list"""
    settings = load_settings()
    with schedule_book(settings) as book:
        jobs = schedules.list_jobs(book)
    if not jobs:
        console.print("No schedules yet; add one with `lagesbild schedule add --site NAME --cron \"0 3 * * *\"`.")
    else:
        table = Table("schedule", "what", "when", "next run", title="Schedules")
        for job in jobs:
            table.add_row(job.id, job.what, job.trigger, _when(job.next_run))
        console.print(table)
    console.print(scheduler_state(settings))


def _edit(action: str, job_id: str) -> None:
    settings = load_settings()
    with schedule_book(settings) as book:
        if action == "pause":
            schedules.pause(book, job_id)
            console.print(f"Paused {job_id}.")
        elif action == "resume":
            job = schedules.resume(book, job_id)
            console.print(f"Resumed {job_id}; next run {_when(job.next_run)}." if job else
                          f"{job_id} had no run left and was removed.")
        elif action == "remove":
            schedules.remove(book, job_id)
            console.print(f"Removed {job_id}.")
        else:
            job = schedules.run_now(book, job_id)
            console.print(f"Queued {job.id}: the scheduler runs it within {schedules.POLL_S:g} s.")
            console.print(scheduler_state(settings))


EDITS = {
    "pause": "Pause a schedule (it keeps its settings).  Example: lagesbild schedule pause crawl:nattsida",
    "resume": "Resume a paused schedule.  Example: lagesbild schedule resume crawl:nattsida",
    "remove": "Remove a schedule.  Example: lagesbild schedule remove crawl:nattsida",
    "run-now": "Run a schedule's job once, now, on the running scheduler.  "
               "Example: lagesbild schedule run-now crawl:nattsida",
}
for _action, _help in EDITS.items():
    schedule_group.command(_action, help=_help)(
        click.argument("job_id", metavar="SCHEDULE")(functools.partial(_edit, _action)))


@click.group("scheduler")
def scheduler_group() -> None:
    """The scheduler process (one per database)."""


@scheduler_group.command("start")
def scheduler_start() -> None:
    """Run the scheduler in the foreground until SIGTERM or Ctrl-C.  Example: lagesbild scheduler start"""
    try:
        run_scheduler_logging_to_stderr(load_settings())
    except SchedulerRunning as exc:
        raise click.ClickException(str(exc)) from None
