"""The scheduler end to end: scheduled sandbox crawls in child processes, restarts, SIGKILL, locks, health alerts."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from analysis.counts import region_key
from analysis.queries import load_counts
from config import clock
from config.geo import load_geography
from config.settings import BUNDLED_SITES_DIR, Settings
from config.sites import get_site
from sandbox.faults import FaultPlan, LayoutChangeFault
from crawler.keys import KeyRing
from scheduler import jobs, schedules
from store import open_store
from store.leases import crawl_lock_name, get_lease, list_leases, lock_sites
from store.runs import RunSummary, list_runs
from store.models import Observation
from support import cli_env, init_keys, run_cli

GEO = load_geography()
SITE = "nattsida"


def database(home: Path):
    return open_store(f"sqlite:///{home / 'lagesbild.db'}")


def site_runs(home: Path) -> list[RunSummary]:
    """The site's runs, oldest first."""
    with database(home) as store:
        return sorted(list_runs(store, site=SITE, last=None), key=lambda run: run.id)


def wait_for(condition: Callable[[], object], timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.25)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


def start_scheduler(home: Path, log: Path, **settings: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "lagesbild.cli", "scheduler", "start"],
        env=cli_env(home, **settings), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=log.open("a", encoding="utf-8"),
    )


def stop_scheduler(process: subprocess.Popen, log: Path) -> None:
    """SIGTERM, as systemd sends it; the scheduler must stop cleanly (exit 0)."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    assert process.returncode == 0, log.read_text(encoding="utf-8")[-3000:]


def site_config(sites_dir: Path, **rate_limit) -> None:
    """The bundled nattsida config with other politeness settings (a slow crawl is one we can kill midway)."""
    data = yaml.safe_load((BUNDLED_SITES_DIR / f"{SITE}.yaml").read_text(encoding="utf-8"))
    data["rate_limit"].update(rate_limit)
    sites_dir.mkdir(exist_ok=True)
    (sites_dir / f"{SITE}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def truth_listings(truth: dict) -> list[dict]:
    return [listing for listing in truth["listings"] if listing["site"] == SITE]


def expected_counts(truth: dict, level: str) -> dict[str, tuple[int, int, int]]:
    ads, profiles, phones = defaultdict(set), defaultdict(set), defaultdict(set)
    for listing in truth_listings(truth):
        region = region_key(GEO, level, listing["kommun_code"])
        ads[region].add(listing["site_ad_id"])
        if listing["site_profile_id"]:
            profiles[region].add(listing["site_profile_id"])
        if listing["phone_e164"]:
            phones[region].add(listing["phone_e164"])
    return {r: (len(ads[r]), len(profiles[r]), len(phones[r])) for r in ads}


def counted(home: Path, level: str) -> dict[str, tuple[int, int, int]]:
    with database(home) as store:
        table = load_counts(store, GEO, level, "month")
    return {row.region_code: (row.values["active_ads"], row.values["unique_profiles"], row.values["unique_phones"])
            for row in table.rows if any(row.values.values())}


def prepare(home: Path, every: str, **settings: str) -> None:
    """What a user does once: a study-period key and a crawl schedule (done in-process, to save time)."""
    KeyRing(home / "keys", "year").init(clock.now())  # as `lagesbild keys init` does
    config = Settings(home=home, **settings)
    with schedules.schedule_book(config) as book:
        schedules.add_crawl(book, SITE, schedules.make_trigger(config, cron=None, every=every, jitter=None))


@pytest.mark.timeout(180)
def test_scheduled_crawls_run_in_turn_and_survive_a_restart(sandbox, tmp_path):
    home, log = tmp_path / "home", tmp_path / "scheduler.log"
    env = {"sandbox_url": sandbox.url}
    prepare(home, "2s")
    scheduler = start_scheduler(home, log, **env)
    try:
        wait_for(lambda: (home / "lagesbild.db").exists() and "scheduler started" in log.read_text(), 60,
                 "the scheduler to start")
        second = subprocess.Popen([sys.executable, "-m", "lagesbild.cli", "scheduler", "start"],
                                  env=cli_env(home, **env), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wait_for(lambda: len([r for r in site_runs(home) if r.status == "complete"]) >= 2, 90, "two scheduled crawls")
        refusal = second.communicate(timeout=60)[1]
        assert second.returncode == 1
        assert refusal.startswith("error: another scheduler is already running on this database")
        assert refusal.count("\n") == 1
    finally:
        stop_scheduler(scheduler, log)
    runs = site_runs(home)
    assert len(runs) >= 2 and all(run.status != "running" for run in runs)
    for earlier, later in zip(runs, runs[1:]):  # max_instances=1: one crawl of the site at a time
        assert earlier.finished_at <= later.started_at, (earlier, later)
    listings = len(truth_listings(sandbox.truth()))
    for run in runs:
        if run.status == "complete":
            assert run.items == listings and run.health == () and run.fill_rates
    assert 'Running job "crawl:nattsida' in log.read_text(encoding="utf-8")

    with schedules.schedule_book(Settings(home=home)) as book:  # the schedule is still in the database
        [job] = schedules.list_jobs(book)
    assert (job.id, job.trigger) == ("crawl:nattsida", "every 2s")
    restarted = start_scheduler(home, log, **env)
    try:
        wait_for(lambda: any(run.status == "complete" and run.id > runs[-1].id for run in site_runs(home)), 90,
                 "a crawl after the restart")
    finally:
        stop_scheduler(restarted, log)
    with database(home) as store:
        assert get_lease(store, "scheduler") is None
        assert list_leases(store, "crawl:") == []
    assert (home / "exports" / "kommun-manad.csv").exists()  # post-crawl aggregation


@pytest.mark.timeout(180)
def test_a_killed_crawl_is_failed_and_the_next_run_counts_once(sandbox, tmp_path):
    home, log, sites = tmp_path / "home", tmp_path / "scheduler.log", tmp_path / "sites"
    env = {"sandbox_url": sandbox.url, "sites_dir": str(sites)}
    site_config(sites, delay_s=0.4, concurrency=1, autothrottle=False)
    prepare(home, "2s", sites_dir=sites)
    scheduler = start_scheduler(home, log, **env)
    try:
        def crawling_with_data():
            if not (home / "lagesbild.db").exists():
                return None
            with database(home) as store:
                lease = get_lease(store, crawl_lock_name(SITE))
                running = [run for run in list_runs(store, site=SITE) if run.status == "running"]
                if lease is None or not running:
                    return None
                with store.session() as session:
                    stored = session.exec(select(func.count()).select_from(Observation)
                                          .where(Observation.run_id == running[0].id)).scalar_one()
                return (lease.pid, running[0].id) if stored else None

        pid, killed_id = wait_for(crawling_with_data, 90, "a crawl that has stored observations")
        os.kill(pid, signal.SIGKILL)
        site_config(sites, delay_s=0.02, concurrency=4)  # the next run is quick
        wait_for(lambda: any(run.id > killed_id and run.status == "complete" for run in site_runs(home)), 120,
                 "a complete run after the killed one")
    finally:
        stop_scheduler(scheduler, log)
    runs = {run.id: run for run in site_runs(home)}
    killed = runs[killed_id]
    assert killed.status in ("failed", "partial") and "SIGKILL" in killed.note
    assert killed.finished_at is not None
    truth = sandbox.truth()
    for level in ("riket", "kommun"):
        assert counted(home, level) == expected_counts(truth, level), level
    with database(home) as store:
        assert list_leases(store, "crawl:") == []


def test_a_manual_crawl_is_refused_while_the_site_is_being_crawled(sandbox, tmp_path, monkeypatch):
    home = tmp_path / "home"
    init_keys(home)
    with database(home) as store:
        lock = lock_sites(store, [SITE])  # as the scheduler's crawl process holds it
        try:
            refused = run_cli("crawl", "--site", SITE, home=home, sandbox_url=sandbox.url, timeout=120)
            monkeypatch.setenv("LAGESBILD_HOME", str(home))
            settings = Settings(home=home)
            skipped = jobs.supervise_crawl(get_site(BUNDLED_SITES_DIR, SITE), settings, store)
        finally:
            lock.release()
        assert list_runs(store) == []  # nothing started
    assert refused.returncode == 1
    assert refused.stderr.startswith("error: nattsida is being crawled by another process")
    assert refused.stderr.count("\n") == 1
    assert skipped.skipped and skipped.process is None


@pytest.mark.timeout(180)
def test_a_layout_change_makes_the_next_run_suspect_and_alerts(sandbox, tmp_path, webhook_sink):
    home, sites = tmp_path / "home", tmp_path / "sites"
    site_config(sites)
    env = {"sandbox_url": sandbox.url, "sites_dir": str(sites), "alert_webhook_url": webhook_sink.url,
           "health_min_history": "1"}
    init_keys(home)
    good = run_cli("crawl", "--site", SITE, home=home, **env)
    assert good.returncode == 0, good.stderr
    assert webhook_sink.posts == []

    # The simulator's planted layout change, on part of the detail pages: the ads there cannot be read.
    sandbox.set_faults(FaultPlan(seed=3, sites={SITE: (LayoutChangeFault(pages="detail", share=0.5),)}))
    broken = run_cli("crawl", "--site", SITE, home=home, **env)
    sandbox.set_faults(None)
    assert broken.returncode == 0, broken.stderr
    assert "suspect" in broken.stdout  # the crawl's table shows the status after the health checks

    # A redesign that moves one field: the place is no longer where the config looks.
    data = yaml.safe_load((sites / f"{SITE}.yaml").read_text(encoding="utf-8"))
    data["detail"]["location"] = "dd.plats-som-inte-finns"
    (sites / f"{SITE}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    moved = run_cli("crawl", "--site", SITE, home=home, **env)
    assert moved.returncode == 0, moved.stderr

    first, second, third = site_runs(home)
    assert first.status == "complete" and first.health == ()
    assert (second.status, second.crawl_status) == ("suspect", "partial")
    assert "error_rate" in {check["check"] for check in second.health}
    assert (third.status, third.crawl_status) == ("suspect", "complete")
    assert {"check": "fill_rate", "field": "location", "value": 0.0} .items() <= third.health[0].items()
    events = [(post["body"]["event"], post["body"]["run_id"]) for post in webhook_sink.posts]
    assert events == [("run_suspect", second.id), ("run_suspect", third.id)]
    runs = run_cli("runs", "--site", SITE, home=home, **env)
    assert runs.stdout.count("suspect") >= 2 and "layout change?" in runs.stdout


@pytest.mark.timeout(120)
def test_the_child_is_stopped_at_its_time_limit_and_memory_cap(sandbox, tmp_path, monkeypatch, webhook_sink):
    home, sites = tmp_path / "home", tmp_path / "sites"
    site_config(sites, delay_s=1.0, concurrency=1, autothrottle=False)  # a crawl of well over a minute
    init_keys(home)
    for name, value in cli_env(home, sandbox_url=sandbox.url, sites_dir=str(sites),
                               alert_webhook_url=webhook_sink.url).items():
        monkeypatch.setenv(name, value)
    site = get_site(sites, SITE)
    with database(home) as store:
        # Long enough for the child to start its run on a loaded machine, far shorter than the crawl.
        slow = jobs.supervise_crawl(site, Settings(home=home, crawl_timeout_s=15), store)
        assert slow.process.timed_out and slow.runs
        assert all(run.status in ("failed", "partial", "suspect") for run in slow.runs)
        tiny = jobs.supervise_crawl(site, Settings(home=home, crawl_memory_mb=64), store)
        assert tiny.process.returncode != 0 and tiny.process.memory_exceeded and not tiny.runs
        assert list_leases(store, "crawl:") == []
    events = [post["body"]["event"] for post in webhook_sink.posts]
    assert events[0] in ("run_failed", "run_suspect") and events[-1] == "crawl_process_failed"
    assert "memory cap" in " ".join(webhook_sink.posts[-1]["body"]["details"])
