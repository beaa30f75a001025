"""Persistent schedules in the data's database (SQLite and PostgreSQL), misfires, the CLI and the scheduler lease."""
from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from apscheduler.events import EVENT_JOB_EXECUTED, EVENT_JOB_MISSED
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from config.settings import Settings
from lagesbild.cli import main
from scheduler import schedules
from scheduler.service import SchedulerRunning, run_scheduler, scheduler_lease
from store import open_store


@pytest.fixture
def settings(store_url: str, tmp_path: Path, monkeypatch) -> Settings:
    """Settings on the test database; jobs read the same from the environment."""
    monkeypatch.setenv("LAGESBILD_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LAGESBILD_DATABASE_URL", store_url)
    open_store(store_url).close()  # migrated, as every command does first
    return Settings(home=tmp_path / "home", database_url=store_url, schedule_misfire_grace_s=3600)


@pytest.mark.parametrize("text, seconds", [("1d", 86400), ("12h", 43200), ("1h30m", 5400), ("2w", 1209600),
                                           ("45s", 45), (" 30M ", 1800)])
def test_durations(text, seconds):
    assert schedules.parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "1", "d", "1x", "1d-2h", "0s", "1.5h", "-1d", "every day"])
def test_bad_durations(text):
    with pytest.raises(schedules.ScheduleError, match="--every"):
        schedules.parse_duration(text)


@pytest.mark.parametrize("cron", ["0 3 * * *", "*/15 * * * mon-fri", "30 4 * * 0"])
def test_cron_lines_are_read_in_swedish_time(cron):
    trigger = schedules.cron_trigger(cron, "Europe/Stockholm")
    assert isinstance(trigger, CronTrigger) and str(trigger.timezone) == "Europe/Stockholm"


@pytest.mark.parametrize("cron", ["0 3 * *", "0 25 * * *", "61 * * * *", "0 3 * * * *", "x y z w v"])
def test_bad_cron_lines(cron):
    with pytest.raises(schedules.ScheduleError, match="--cron"):
        schedules.cron_trigger(cron, "Europe/Stockholm")


def test_trigger_needs_exactly_one_of_cron_and_every():
    with pytest.raises(schedules.ScheduleError, match="either"):
        schedules.make_trigger(Settings(), cron=None, every=None, jitter=None)
    with pytest.raises(schedules.ScheduleError, match="either"):
        schedules.make_trigger(Settings(), cron="0 3 * * *", every="1d", jitter=None)
    trigger = schedules.make_trigger(Settings(), cron=None, every="1d", jitter="30m")
    assert isinstance(trigger, IntervalTrigger) and trigger.jitter == 1800


def test_schedules_persist_with_misfire_settings(settings: Settings):
    with schedules.schedule_book(settings) as book:
        night = schedules.add_crawl(book, "nattsida", schedules.make_trigger(settings, cron="0 3 * * *",
                                                                             every=None, jitter="30m"))
        schedules.add_crawl(book, None, schedules.make_trigger(settings, cron=None, every="1w", jitter=None))
        schedules.add_task(book, "purge", schedules.make_trigger(settings, cron="30 4 * * 0", every=None, jitter=None))
    assert night.id == "crawl:nattsida" and night.trigger.startswith("cron 0 3 * * * (Europe/Stockholm), jitter 30m")
    with schedules.schedule_book(settings) as book:  # a new process reads them back from the database
        jobs = {job.id: job for job in book.get_jobs(jobstore="default")}
        listed = schedules.list_jobs(book)
    assert set(jobs) == {"crawl:nattsida", "crawl:all", "purge"}
    for job in jobs.values():
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 3600)
        assert job.name == job.id
    assert jobs["crawl:nattsida"].func_ref == "scheduler.jobs:crawl_site" and jobs["crawl:nattsida"].args == ("nattsida",)
    assert jobs["crawl:all"].func_ref == "scheduler.jobs:crawl_all"
    assert jobs["purge"].func_ref == "scheduler.jobs:purge"
    assert [job.next_run for job in listed] == sorted(job.next_run for job in listed)


def test_pause_resume_remove_and_run_now(settings: Settings):
    every_day = schedules.make_trigger(settings, cron=None, every="1d", jitter=None)
    with schedules.schedule_book(settings) as book:
        schedules.add_crawl(book, "nattsida", every_day)
        assert schedules.pause(book, "crawl:nattsida").paused
        assert schedules.resume(book, "crawl:nattsida").next_run is not None
        queued = schedules.run_now(book, "crawl:nattsida")
        assert queued.id == "crawl:nattsida:now" and "once" in queued.what
        assert queued.next_run <= datetime.now(timezone.utc) + timedelta(seconds=1)
        with pytest.raises(schedules.ScheduleError, match="no schedule named 'crawl:other'"):
            schedules.pause(book, "crawl:other")
        schedules.remove(book, "crawl:nattsida")
    with schedules.schedule_book(settings) as book:
        assert [job.id for job in schedules.list_jobs(book)] == ["crawl:nattsida:now"]
        with pytest.raises(schedules.ScheduleError):
            schedules.remove(book, "crawl:nattsida")


def test_misfires_coalesce_within_the_grace_time_and_are_skipped_after_it(settings: Settings):
    """The machine was off: a job due 10 minutes ago runs once; one due (daily) 3 hours ago waits for tomorrow."""
    now = datetime.now(timezone.utc)
    with schedules.schedule_book(settings) as book:
        book.add_job("time:time", IntervalTrigger(minutes=1), id="every-minute", next_run_time=now - timedelta(minutes=10))
        book.add_job("time:time", CronTrigger(hour=(now - timedelta(hours=3)).hour, minute=0, timezone="UTC"),
                     id="daily", next_run_time=now - timedelta(hours=3))
    scheduler = schedules.new_scheduler(settings)
    events: list[tuple[str, int]] = []
    scheduler.add_listener(lambda event: events.append((event.job_id, event.code)), EVENT_JOB_EXECUTED | EVENT_JOB_MISSED)
    scheduler.start()
    try:
        deadline = time.monotonic() + 20
        while len(events) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)  # a second (wrong) execution would show up here
        next_daily = scheduler.get_job("daily").next_run_time
    finally:
        scheduler.shutdown(wait=True)
    assert sorted(events) == [("daily", EVENT_JOB_MISSED), ("every-minute", EVENT_JOB_EXECUTED)]
    assert next_daily > now


def test_the_scheduler_runs_persistent_jobs_and_refuses_a_second_one(settings: Settings):
    with schedules.schedule_book(settings) as book:
        schedules.add_task(book, "aggregate", schedules.make_trigger(settings, cron=None, every="1s", jitter=None))
    stop, ready = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def serve() -> None:
        try:
            run_scheduler(settings, stop=stop, install_signals=False, on_ready=ready.set)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            ready.set()

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        assert ready.wait(30) and not errors
        with open_store(settings.resolved_database_url) as store:
            lease = scheduler_lease(store)
        assert lease is not None and lease.pid is not None
        with pytest.raises(SchedulerRunning, match="another scheduler is already running"):
            run_scheduler(settings, stop=threading.Event(), install_signals=False)
        published = settings.export_dir / "kommun-manad.csv"
        deadline = time.monotonic() + 20
        while not published.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert published.read_text(encoding="utf-8").startswith("kommunkod,kommunnamn")
    finally:
        stop.set()
        thread.join(30)
    assert not thread.is_alive() and not errors
    with open_store(settings.resolved_database_url) as store:
        assert scheduler_lease(store) is None  # released on a clean stop


@pytest.mark.parametrize("args, message", [
    (["schedule", "add", "--site", "nattsida", "--cron", "0 3 * *"], "--cron"),
    (["schedule", "add", "--site", "nattsida", "--cron", "99 3 * * *"], "--cron"),
    (["schedule", "add", "--site", "nattsida", "--every", "often"], "--every"),
    (["schedule", "add", "--all", "--every", "1d", "--jitter", "soon"], "--jitter"),
    (["schedule", "add", "--site", "nattsida"], "either --cron"),
    (["schedule", "add", "--every", "1d"], "exactly one of --site"),
    (["schedule", "add", "--site", "nattsida", "--all", "--every", "1d"], "exactly one of --site"),
    (["schedule", "add", "--task", "reindex", "--every", "1d"], "reindex"),
    (["schedule", "add", "--site", "nosuchsite", "--every", "1d"], "nosuchsite"),
    (["schedule", "pause", "crawl:nosuchsite"], "no schedule named"),
])
def test_bad_schedule_arguments_are_one_line_errors_with_exit_2(args, message, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LAGESBILD_HOME", str(tmp_path))
    monkeypatch.delenv("LAGESBILD_DATABASE_URL", raising=False)
    with pytest.raises(SystemExit) as exit_:
        main(args)
    err = capsys.readouterr().err
    assert exit_.value.code == 2, err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1 and "Traceback" not in err


def test_schedule_commands(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LAGESBILD_HOME", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("LAGESBILD_DATABASE_URL", raising=False)

    def run(*args: str) -> str:
        with pytest.raises(SystemExit) as exit_:
            main(list(args))
        out = capsys.readouterr()
        assert exit_.value.code == 0, out.err
        return out.out

    assert "Scheduled crawl:nattsida" in run("schedule", "add", "--site", "nattsida", "--cron", "0 3 * * *")
    assert "Scheduled export" in run("schedule", "add", "--task", "export", "--cron", "0 6 * * 1")
    listed = run("schedule", "list")
    assert "crawl:nattsida" in listed and "export" in listed and "No scheduler is running" in listed
    assert "Paused crawl:nattsida" in run("schedule", "pause", "crawl:nattsida")
    assert "paused" in run("schedule", "list")
    assert "Resumed crawl:nattsida" in run("schedule", "resume", "crawl:nattsida")
    assert "Queued crawl:nattsida:now" in run("schedule", "run-now", "crawl:nattsida")
    assert "Removed export" in run("schedule", "remove", "export")
    status = run("status")
    for part in ("Database", "Scheduler not running", "nattsida", "crawl:nattsida", "Key period", "Retention 395 days"):
        assert part in status


def test_run_now_of_every_site_and_of_a_task_lists_and_shows(settings: Settings):
    every_day = schedules.make_trigger(settings, cron=None, every="1d", jitter=None)
    with schedules.schedule_book(settings) as book:
        schedules.add_crawl(book, None, every_day)
        schedules.add_task(book, "purge", every_day)
        assert schedules.run_now(book, "crawl:all").what == "crawl every site (once, run-now)"
        assert "(once, run-now)" in schedules.run_now(book, "purge").what
    with schedules.schedule_book(settings) as book:  # the queued copies read back from the job store
        listed = {job.id: job.what for job in schedules.list_jobs(book)}
    assert listed["crawl:all:now"] == "crawl every site (once, run-now)" and "purge:now" in listed
