"""Persistent schedules (APScheduler 3) kept in the data's own database, and the commands that edit them.

Jobs live in the `apscheduler_jobs` table of the same database as the data (SQLite or PostgreSQL),
so they survive restarts. Every job has `max_instances=1` (two crawls of one site never overlap),
`coalesce=True` and a misfire grace time: a run missed while the machine was off runs once when
the scheduler is back within the grace time, and is skipped after it.

Schedules are edited from other processes (the CLI) through a *paused* scheduler on the same job
store; the running scheduler reads the store again at least every POLL_S seconds.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_RUNNING
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from config.errors import BadInput
from config.settings import Settings
from store.db import make_engine

JOB_TABLE = "apscheduler_jobs"
INTERNAL = "internal"  # an in-memory job store for the running scheduler's own housekeeping
WORKERS = 8  # jobs that may run at once (crawl jobs mostly wait for their child processes)
POLL_S = 5.0  # the running scheduler looks at the job store at least this often

# Schedulable tasks besides crawls: job id -> (function, what it does).
TASKS = {
    "aggregate": ("scheduler.jobs:aggregate", "refresh the published level × month tables"),
    "purge": ("scheduler.jobs:purge", "retention purge"),
    "export": ("scheduler.jobs:weekly_export", "dated kommun × month export"),
}
CRAWL_ALL = "crawl:all"

_UNITS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}
_DURATION = re.compile(r"(\d+)([wdhms])")


class ScheduleError(BadInput, ValueError):
    """A schedule request that cannot be carried out, in one line."""


def parse_duration(text: str, *, what: str = "--every") -> timedelta:
    """'1d', '12h', '1h30m', '2w', '45s' as a timedelta; ScheduleError on anything else."""
    cleaned = text.strip().lower().replace(" ", "")
    if not cleaned or _DURATION.sub("", cleaned):
        raise ScheduleError(f"{what}: {text!r} is not a duration such as 1d, 12h, 1h30m, 2w or 45s")
    seconds = sum(int(number) * _UNITS[unit] for number, unit in _DURATION.findall(cleaned))
    if seconds < 1:
        raise ScheduleError(f"{what}: {text!r} must be at least one second")
    return timedelta(seconds=seconds)


def cron_trigger(expression: str, timezone: str) -> CronTrigger:
    """A trigger from a five-field crontab line ('0 3 * * *'), read in `timezone`."""
    if len(expression.split()) != 5:
        raise ScheduleError(f"--cron: {expression!r} must have five fields: minute hour day month weekday")
    try:
        return CronTrigger.from_crontab(expression, timezone=ZoneInfo(timezone))
    except ValueError as exc:
        raise ScheduleError(f"--cron: {expression!r} is not valid: {exc}") from None


def make_trigger(settings: Settings, *, cron: str | None, every: str | None, jitter: str | None) -> BaseTrigger:
    """The trigger for exactly one of `cron` and `every`, with optional jitter."""
    if (cron is None) == (every is None):
        raise ScheduleError("give either --cron \"MIN HOUR DAY MONTH WEEKDAY\" or --every DURATION")
    jitter_s = int(parse_duration(jitter, what="--jitter").total_seconds()) if jitter else None
    if every is not None:
        interval = parse_duration(every)
        return IntervalTrigger(seconds=int(interval.total_seconds()), timezone=ZoneInfo(settings.schedule_timezone),
                               jitter=jitter_s)
    trigger = cron_trigger(cron, settings.schedule_timezone)  # type: ignore[arg-type]
    trigger.jitter = jitter_s
    return trigger


def job_defaults(settings: Settings) -> dict:
    return {"coalesce": True, "max_instances": 1, "misfire_grace_time": settings.schedule_misfire_grace_s}


class _Scheduler(BackgroundScheduler):
    """APScheduler's background scheduler, minus one race: after shutdown() its thread wakes and looks
    for due jobs once more, fails to submit them to the stopped executor and then drops one-off jobs
    (and moves others past a run). Only a running scheduler processes jobs here."""

    def _process_jobs(self):
        if self.state != STATE_RUNNING:
            return None
        return super()._process_jobs()


def new_scheduler(settings: Settings) -> BackgroundScheduler:
    """A scheduler on the data's database (not started)."""
    engine = make_engine(settings.resolved_database_url)
    return _Scheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=JOB_TABLE), INTERNAL: MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(WORKERS)},
        job_defaults=job_defaults(settings),
        timezone=ZoneInfo(settings.schedule_timezone),
    )


@contextmanager
def schedule_book(settings: Settings) -> Iterator[BackgroundScheduler]:
    """A paused scheduler on the job store, for reading and editing schedules; it runs nothing."""
    scheduler = new_scheduler(settings)
    scheduler.start(paused=True)
    try:
        yield scheduler
    finally:
        scheduler.shutdown(wait=False)


@dataclass(frozen=True)
class JobInfo:
    """A schedule as shown to a user."""

    id: str
    what: str
    trigger: str
    next_run: datetime | None  # None: paused

    @property
    def paused(self) -> bool:
        return self.next_run is None


def _info(job: Job) -> JobInfo:
    base = job.id.removesuffix(":now")  # a run-now copy describes itself as its schedule does
    if base == CRAWL_ALL:
        what = "crawl every site"
    elif base.startswith("crawl:"):
        what = f"crawl {job.args[0] if job.args else base.removeprefix('crawl:')}"
    else:
        what = TASKS.get(base.split(":")[0], ("", job.name))[1]
    if job.id.endswith(":now"):
        what += " (once, run-now)"
    return JobInfo(job.id, what, _describe_trigger(job.trigger), job.next_run_time)


def _describe_trigger(trigger: BaseTrigger) -> str:
    jitter = f", jitter {_format_duration(trigger.jitter)}" if getattr(trigger, "jitter", None) else ""
    if isinstance(trigger, IntervalTrigger):
        return f"every {_format_duration(int(trigger.interval.total_seconds()))}{jitter}"
    if isinstance(trigger, CronTrigger):
        fields = {f.name: str(f) for f in trigger.fields}
        cron = " ".join(fields[name] for name in ("minute", "hour", "day", "month", "day_of_week"))
        return f"cron {cron} ({trigger.timezone}){jitter}"
    if isinstance(trigger, DateTrigger):
        return f"once at {trigger.run_date:%Y-%m-%d %H:%M:%S}"
    return str(trigger)


def _format_duration(seconds: int) -> str:
    parts = []
    for unit, size in _UNITS.items():
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts) or "0s"


def add_crawl(book: BackgroundScheduler, site: str | None, trigger: BaseTrigger) -> JobInfo:
    """Schedule crawls of one site (or of every site with site=None); replaces the site's schedule."""
    if site is None:
        job = book.add_job("scheduler.jobs:crawl_all", trigger, id=CRAWL_ALL, name=CRAWL_ALL, replace_existing=True)
    else:
        job_id = f"crawl:{site}"
        job = book.add_job("scheduler.jobs:crawl_site", trigger, args=[site], id=job_id, name=job_id,
                           replace_existing=True)
    return _info(job)


def add_task(book: BackgroundScheduler, task: str, trigger: BaseTrigger) -> JobInfo:
    """Schedule one of TASKS; replaces its earlier schedule."""
    if task not in TASKS:
        raise ScheduleError(f"unknown task {task!r}; use one of {', '.join(TASKS)}")
    job = book.add_job(TASKS[task][0], trigger, id=task, name=task, replace_existing=True)
    return _info(job)


def list_jobs(book: BackgroundScheduler) -> list[JobInfo]:
    """Every persistent schedule, soonest first, paused ones last."""
    jobs = [_info(job) for job in book.get_jobs(jobstore="default")]
    return sorted(jobs, key=lambda j: (j.next_run is None, j.next_run.timestamp() if j.next_run else 0, j.id))


def _job(book: BackgroundScheduler, job_id: str) -> Job:
    job = book.get_job(job_id, jobstore="default")
    if job is None:
        known = ", ".join(job.id for job in book.get_jobs(jobstore="default")) or "none"
        raise ScheduleError(f"no schedule named {job_id!r} (schedules: {known})")
    return job


def pause(book: BackgroundScheduler, job_id: str) -> JobInfo:
    _job(book, job_id)
    return _info(book.pause_job(job_id, jobstore="default"))


def resume(book: BackgroundScheduler, job_id: str) -> JobInfo | None:
    """Resume a paused schedule (None when it has no run left and was removed)."""
    job = _job(book, job_id)
    if job.next_run_time is not None:
        return _info(job)
    resumed = book.resume_job(job_id, jobstore="default")
    return None if resumed is None else _info(resumed)


def remove(book: BackgroundScheduler, job_id: str) -> None:
    _job(book, job_id)
    try:
        book.remove_job(job_id, jobstore="default")
    except JobLookupError:  # removed by someone else meanwhile
        pass


def run_now(book: BackgroundScheduler, job_id: str) -> JobInfo:
    """Queue one extra run of a schedule now (as '<id>:now'); its regular schedule is unchanged.

    The one-off job still cannot overlap a running crawl of the same site: the crawl lock refuses it.
    """
    job = _job(book, job_id.removesuffix(":now"))
    once = book.add_job(job.func_ref, DateTrigger(timezone=book.timezone), args=list(job.args),
                        kwargs=dict(job.kwargs), id=f"{job.id}:now", name=f"{job.id}:now", replace_existing=True)
    return _info(once)
