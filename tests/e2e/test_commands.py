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
from store import open_store, repository
from support import cli_env, init_keys, run_cli


def test_sandbox_serve_serves_until_interrupted(tmp_path):
    child = subprocess.Popen([sys.executable, "-m", "lagesbild.cli", "sandbox", "serve", "--port", "0"],
                             env=cli_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline()
        url = line.split("Sandbox sites at ", 1)[1].split("/ ", 1)[0]
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(f"{url}/_truth.json", timeout=10) as response:
            assert len(json.load(response)["listings"]) > 0
    finally:
        child.send_signal(signal.SIGINT)
        child.wait(timeout=10)
    assert "Traceback" not in child.stderr.read()


def test_demo_crawls_both_sites_and_writes_the_csv(tmp_path):
    result = run_cli("demo", home=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "exports" / "kommun-manad.csv").exists()
    assert "Polisregion" in result.stdout and "Stockholm" in result.stdout
    assert "nattsida: 1 komplett" in result.stdout and "stjarnsida: 1 komplett" in result.stdout


def test_killed_crawl_is_never_counted_and_the_next_run_starts_clean(sandbox, truth, tmp_path):
    db = f"sqlite:///{tmp_path / 'lagesbild.db'}"
    init_keys(tmp_path)
    child = subprocess.Popen([sys.executable, "-m", "lagesbild.cli", "crawl", "--site", "stjarnsida"],
                             env=cli_env(tmp_path, sandbox_url=sandbox.url), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:  # wait until the run has stored some observations
            if (tmp_path / "lagesbild.db").exists():
                rows = list(repository.iter_observation_rows(open_store(db), statuses=("running",)))
                if len(rows) >= 3:
                    break
            time.sleep(0.2)
        else:
            raise AssertionError("the crawl never stored anything")
    finally:
        os.killpg(child.pid, signal.SIGKILL)  # the crawl and its browser, with no chance to clean up
        child.wait(timeout=10)
    store = open_store(db)
    [killed] = repository.list_runs(store)
    assert killed.status == "running"
    assert load_counts(store, load_geography(), "riket", "month").rows == ()

    result = run_cli("crawl", "--site", "stjarnsida", home=tmp_path, sandbox_url=sandbox.url)
    assert result.returncode == 0, result.stdout + result.stderr
    runs = {run.id: run for run in repository.list_runs(store)}
    assert runs[killed.id].status == "failed" and "abandoned" in runs[killed.id].note
    table = load_counts(store, load_geography(), "riket", "month")
    expected = sum(1 for item in truth["listings"] if item["site"] == "stjarnsida")
    assert table.rows[0].values["active_ads"] == expected
