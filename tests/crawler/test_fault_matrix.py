"""The fault matrix of issue 20, beside tests/crawler/test_faults.py (which covers 5xx, timeouts, slow and
truncated pages, redirect loops, endless pagination, huge pages, layout changes and a crashing tab):
each fault here ends with the right run status, one line for the operator and earlier runs unchanged."""
from __future__ import annotations

import signal
import subprocess
import sys
import time

from sandbox.faults import FaultPlan, HttpErrorFault
from sandbox.server import SandboxServer
from store import open_store
from store.runs import list_runs
from support import cli_env
from test_faults import LATER, earlier, later_market, one_of_each, paths_of, sites_dir  # noqa: F401 (fixtures)


def test_backoff_stops_growing_once_the_crawl_is_shutting_down():
    from types import SimpleNamespace

    from scrapy import Request
    from scrapy.http import Response

    from crawler.middlewares import SHUTTING_DOWN, BackoffMiddleware

    slot = SimpleNamespace(delay=1.0)
    crawler = SimpleNamespace(engine=SimpleNamespace(downloader=SimpleNamespace(slots={"s": slot})),
                              stats=SimpleNamespace(inc_value=lambda *a, **k: None))
    middleware = BackoffMiddleware(crawler, base_delay_s=0.0, max_delay_s=60.0)
    request = Request("http://127.0.0.1/a", meta={"download_slot": "s"})
    busy = Response(request.url, status=503, headers={"Retry-After": "60"})
    middleware.process_response(request, busy)
    assert slot.delay == 60.0
    SHUTTING_DOWN.set()
    try:
        middleware.process_response(request, busy)
        assert slot.delay == 0.0
    finally:
        SHUTTING_DOWN.clear()


def test_sigterm_during_503_backoff_stops_within_30_s_with_the_run_partial_and_one_line(
        tmp_path, earlier, sites_dir, later_market):  # noqa: F811
    import shutil

    home, earlier_run, _ = earlier
    copy = tmp_path / "home"
    shutil.copytree(home, copy)
    some = one_of_each(paths_of(later_market, "nattsida", "detail"), 12)
    plan = FaultPlan(sites={"nattsida": [HttpErrorFault(status=503, retry_after_s=60, pages="detail", path=some)]})
    with SandboxServer(port=0, market=later_market, faults=plan) as server:
        env = cli_env(copy, sandbox_url=server.url, sites_dir=str(sites_dir))
        child = subprocess.Popen([sys.executable, "-m", "lagesbild.cli", "crawl", "--site", "nattsida", "--as-of",
                                  LATER.strftime("%Y-%m-%dT%H:%M")], env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        store = open_store(f"sqlite:///{copy / 'lagesbild.db'}")
        try:  # wait until the crawl is backing off: a run is running and a 503 has been answered
            while time.monotonic() < deadline and not any(r.status == "running" for r in list_runs(store)):
                time.sleep(0.5)
            time.sleep(6)
            child.send_signal(signal.SIGTERM)
            stopped = time.monotonic()
            out, err = child.communicate(timeout=60)
            assert time.monotonic() - stopped < 30
            assert child.returncode == 0, out + err
            assert "Traceback" not in err and err.strip().splitlines() == [
                "stopped by SIGTERM or Ctrl-C: the runs above ended early"]
            runs = {run.id: run for run in list_runs(store, last=None)}
            [new] = [run for run in runs.values() if run.id != earlier_run.id]
            assert (new.crawl_status or new.status) == "partial", new.note
            assert "stopped early (shutdown" in new.note
            assert runs[earlier_run.id] == earlier_run
        finally:
            if child.poll() is None:
                child.kill()
            store.close()
