"""The long-running commands as a user runs them: `sandbox serve`, `demo`, and a crawl killed half-way."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

from analysis.queries import load_counts
from config.geo import load_geography
from config.settings import BUNDLED_SITES_DIR
from store import open_store
from store.observations import iter_observation_rows
from store.runs import list_runs
from support import cli_env, init_keys, run_cli


def test_sandbox_serve_serves_until_interrupted(tmp_path):
    child = subprocess.Popen([sys.executable, "-m", "lagesbild.cli", "sandbox", "serve", "--port", "0"],
                             env=cli_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline()
        url = line.split("Sandbox sites at ", 1)[1].split("/ ", 1)[0]
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(f"{url}/_truth.json", timeout=60) as response:
            assert len(json.load(response)["listings"]) > 0
    finally:
        child.send_signal(signal.SIGINT)
        child.wait(timeout=60)
    assert "Traceback" not in child.stderr.read()


def test_demo_backfills_weeks_and_says_where_the_results_are(tmp_path):
    result = run_cli("demo", "--weeks", "3", "--scale", "0.4", home=tmp_path, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("week 20") == 3  # one progress line per back-filled week
    assert (tmp_path / "exports" / "kommun-manad.csv").exists()
    assert "Polisregion" in result.stdout and "Stockholm" in result.stdout
    for site in ("nattsida", "stjarnsida", "kvallsida"):
        assert f"{site}: 3 komplett" in result.stdout
    manifest = json.loads((tmp_path / "series.json").read_text())
    assert len(manifest["occasions"]) == 3 and manifest["incidents"] == []
    assert str(tmp_path / "exports" / "kommun-manad.csv") in result.stdout.replace("\n", "")
    scored = run_cli("evaluate", "--demo", "--json", "--trend-weeks", "0", home=tmp_path)
    assert scored.returncode == 0, scored.stderr
    assert json.loads(scored.stdout)["passed"]
    # Weekly new ads are hidden wherever active ads are, some of them 0: the trend table still protects them.
    weekly = run_cli("trends", "--level", "riket", "--period", "week", home=tmp_path)
    assert weekly.returncode == 0 and "Traceback" not in weekly.stderr, weekly.stderr[-2000:]


def test_crawl_as_of_stamps_the_observations_with_that_time(sandbox, tmp_path):
    init_keys(tmp_path)
    result = run_cli("crawl", "--site", "nattsida", "--as-of", "2026-03-04T03:00", home=tmp_path,
                     sandbox_url=sandbox.url)
    assert result.returncode == 0, result.stdout + result.stderr
    [run] = list_runs(open_store(f"sqlite:///{tmp_path / 'lagesbild.db'}"))
    assert run.observed_at.isoformat().startswith("2026-03-04T02:00")  # 03:00 Swedish winter time, in UTC
    future = run_cli("crawl", "--site", "nattsida", "--as-of", "2099-01-01", home=tmp_path, sandbox_url=sandbox.url)
    assert future.returncode == 2 and "future" in future.stderr
    bad = run_cli("crawl", "--site", "nattsida", "--as-of", "igår", home=tmp_path, sandbox_url=sandbox.url)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_sandbox_serve_travels_to_a_week(tmp_path):
    child = subprocess.Popen([sys.executable, "-m", "lagesbild.cli", "sandbox", "serve", "--port", "0",
                              "--week", "2026-W10"],
                             env=cli_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline()
        url = line.split("Sandbox sites at ", 1)[1].split("/ ", 1)[0]
        with urllib.request.urlopen(f"{url}/_truth.json", timeout=60) as response:
            truth = json.load(response)
        assert truth["as_of"].startswith("2026-03-04T03:00")  # Wednesday 03:00 of ISO week 10
    finally:
        child.send_signal(signal.SIGINT)
        child.wait(timeout=60)
    bad = run_cli("sandbox", "serve", "--week", "vecka 10", home=tmp_path)
    assert bad.returncode == 2 and "--week" in bad.stderr


def test_killed_crawl_is_never_counted_and_the_next_run_starts_clean(sandbox, truth, tmp_path):
    db = f"sqlite:///{tmp_path / 'lagesbild.db'}"
    init_keys(tmp_path)
    slow = tmp_path / "sites"  # kvallsida (browser-rendered profile pages), slowed so the kill lands mid-crawl
    slow.mkdir()
    config = (BUNDLED_SITES_DIR / "kvallsida.yaml").read_text(encoding="utf-8")
    (slow / "kvallsida.yaml").write_text(config.replace("delay_s: 0.02", "delay_s: 0.5").replace(
        "concurrency: 4", "concurrency: 1"), encoding="utf-8")
    child = subprocess.Popen([sys.executable, "-m", "lagesbild.cli", "crawl", "--site", "kvallsida"],
                             env=cli_env(tmp_path, sandbox_url=sandbox.url, sites_dir=str(slow)),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:  # wait until the run has stored some observations
            if (tmp_path / "lagesbild.db").exists():
                rows = list(iter_observation_rows(open_store(db), statuses=("running",)))
                if len(rows) >= 3:
                    break
            time.sleep(0.2)
        else:
            raise AssertionError("the crawl never stored anything")
    finally:
        os.killpg(child.pid, signal.SIGKILL)  # the crawl and its browser, with no chance to clean up
        child.wait(timeout=60)
    store = open_store(db)
    [killed] = list_runs(store)
    assert killed.status == "running"
    assert load_counts(store, load_geography(), "riket", "month").rows == ()

    result = run_cli("crawl", "--site", "kvallsida", home=tmp_path, sandbox_url=sandbox.url)
    assert result.returncode == 0, result.stdout + result.stderr
    runs = {run.id: run for run in list_runs(store)}
    assert runs[killed.id].status == "failed" and "abandoned" in runs[killed.id].note
    table = load_counts(store, load_geography(), "riket", "month")
    expected = sum(1 for item in truth["listings"] if item["site"] == "kvallsida")
    assert table.rows[0].values["active_ads"] == expected
