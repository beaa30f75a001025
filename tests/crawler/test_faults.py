"""Every fault the sandbox can inject leaves the crawl partial or failed, never complete, with a note that
says what went wrong — and the numbers stored from an earlier complete run do not change.

One complete crawl of nattsida is stored first (observed months earlier); each test crawls a copy of
that data folder against a sandbox serving one fault, then compares the earlier period's counts, at
every level, and the earlier run's record, with what they were before. Crawls run in a child process
(`lagesbild crawl --as-of`), as Twisted's reactor runs once per process. Site configs are copies of the
bundled ones with short timeouts and one retry, so that the whole file takes a minute or two.
"""
from __future__ import annotations

import os
import re
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from analysis.counts import LEVELS
from analysis.periods import local_date
from analysis.queries import load_counts
from config import clock
from config.geo import load_geography
from config.settings import BUNDLED_SITES_DIR
from sandbox.faults import (
    CrashTabFault,
    EndlessPaginationFault,
    FaultPlan,
    HttpErrorFault,
    HugePageFault,
    LayoutChangeFault,
    RedirectLoopFault,
    SlowFault,
    TimeoutFault,
    TruncateFault,
    classify,
)
from sandbox.simulation import build_market
from sandbox.server import SandboxServer
from store import open_store
from store.runs import list_runs
from support import POSTGRES_ADMIN_URL, init_keys, postgres_database, run_cli

GEO = load_geography()
SCALE = 0.5
TODAY = local_date(clock.now())  # the tests' frozen LAGESBILD_NOW: --as-of LATER is never in the future
EARLIER = datetime.combine(TODAY.replace(day=1) - timedelta(days=150), datetime.min.time()).replace(day=10, hour=3)
LATER = datetime.combine(TODAY.replace(day=1) - timedelta(days=20), datetime.min.time()).replace(day=12, hour=3)
SETTLED = {"partial", "failed"}


# --- set-up ----------------------------------------------------------------------------------------


def write_site_configs(folder: Path) -> Path:
    """Bundled nattsida and stjarnsida with short timeouts, one retry and a lower listing.max_pages.

    stjarnsida renders its detail pages in the browser too, so that a tab can crash on one of them.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for name, rate, extra in (
        ("nattsida", {"delay_s": 0.0, "retries": 1, "timeout_s": 2}, {}),
        ("stjarnsida", {"delay_s": 0.0, "retries": 1, "timeout_s": 20, "concurrency": 2}, {"render": "browser"}),
    ):
        config = yaml.safe_load((BUNDLED_SITES_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
        config["rate_limit"] = {**config.get("rate_limit", {}), **rate, "autothrottle": False}
        config["listing"] = {**config["listing"], "max_pages": 40}
        config.update(extra)
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False),
                                             encoding="utf-8")
    return folder


def crawl(home: Path, server: SandboxServer, sites_dir: Path, site: str, when: datetime, **settings: str):
    return run_cli("crawl", "--site", site, "--as-of", when.strftime("%Y-%m-%dT%H:%M"), home=home,
                   sandbox_url=server.url, sites_dir=str(sites_dir), **settings)


def snapshot(store, since: date, until: date) -> dict:
    """Every count of the window at every level (month and week tables), as plain data."""
    tables = {}
    for level in LEVELS:
        for period in ("month", "week"):
            table = load_counts(store, GEO, level, period, since, until)
            tables[(level, period)] = sorted((row.period, row.region_code, tuple(sorted(row.values.items())))
                                             for row in table.rows)
    return tables


def earlier_window() -> tuple[date, date]:
    first = EARLIER.date().replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return first, last


def paths_of(market, site: str, kind: str) -> list[str]:
    if kind == "detail":
        return [f"/{site}/annons/{listing.site_ad_id}" for listing in market.listings_on(site)]
    slugs = sorted({slug for listing in market.listings_on(site) for slug in listing.region_pages})
    return [f"/{site}/region/{slug}" for slug in slugs]


def one_of_each(paths: list[str], count: int) -> str:
    """A path regex naming `count` of the pages, spread over the list."""
    step = max(1, len(paths) // count)
    chosen = paths[::step][:count]
    return "(" + "|".join(re.escape(path) for path in chosen) + r")(\?|$)"


@pytest.fixture(scope="module")
def sites_dir(tmp_path_factory) -> Path:
    return write_site_configs(tmp_path_factory.mktemp("sites"))


@pytest.fixture(scope="module")
def later_market():
    return build_market(1, LATER, scale=SCALE)


@pytest.fixture(scope="module")
def earlier(tmp_path_factory, sites_dir):
    """A data folder holding one complete nattsida run observed at EARLIER, and its numbers."""
    home = tmp_path_factory.mktemp("earlier")
    init_keys(home)
    with SandboxServer(port=0, market=build_market(1, EARLIER, scale=SCALE)) as server:
        result = crawl(home, server, sites_dir, "nattsida", EARLIER)
    assert result.returncode == 0, result.stdout + result.stderr
    store = open_store(f"sqlite:///{home / 'lagesbild.db'}")
    try:
        [run] = list_runs(store)
        assert run.status == "complete", run.note
        numbers = snapshot(store, *earlier_window())
    finally:
        store.close()
    assert any(values for values in numbers.values())
    return home, run, numbers


def crawl_with_fault(tmp_path, earlier, sites_dir, market, site: str, plan: FaultPlan):
    """Crawl a copy of the earlier data folder at LATER with `plan`; return the new run and the store."""
    home, earlier_run, _ = earlier
    copy = tmp_path / "home"
    shutil.copytree(home, copy)
    with SandboxServer(port=0, market=market, faults=plan) as server:
        result = crawl(copy, server, sites_dir, site, LATER)
    assert "Traceback" not in result.stderr, result.stderr
    store = open_store(f"sqlite:///{copy / 'lagesbild.db'}")
    runs = {run.id: run for run in list_runs(store, last=None)}
    [new] = [run for run in runs.values() if run.id != earlier_run.id]
    return new, runs[earlier_run.id], store, result


def assert_settled_honestly(new, result, expected_note: str) -> None:
    status = new.crawl_status or new.status  # health checks may add "suspect" on top of partial
    assert status in SETTLED, f"{new.status}/{new.crawl_status}: {new.note}"
    assert new.status != "complete"
    assert expected_note in (new.note or ""), new.note
    assert result.returncode == (1 if status == "failed" else 0), result.stdout + result.stderr


def assert_earlier_numbers_unchanged(earlier, store, earlier_after) -> None:
    _, earlier_run, numbers = earlier
    assert earlier_after == earlier_run
    assert snapshot(store, *earlier_window()) == numbers


# --- the crawler's accounting, unit by unit ------------------------------------------------------


class _Stats:
    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def inc_value(self, key: str, count: int = 1) -> None:
        self.values[key] = self.values.get(key, 0) + count


def _crawler():
    from types import SimpleNamespace

    return SimpleNamespace(stats=_Stats())


def test_a_redirect_back_into_its_own_chain_is_an_error_but_a_plain_redirect_is_not():
    from scrapy import Request
    from scrapy.http import Response

    from crawler.middlewares import RedirectLoopError, RedirectLoopMiddleware

    crawler = _crawler()
    middleware = RedirectLoopMiddleware(crawler)
    first = Request("http://127.0.0.1/a/annons/1")
    onward = Response(first.url, status=302, headers={"Location": "/a/annons/1?_slinga=1"})
    assert middleware.process_response(first, onward) is onward
    second = Request("http://127.0.0.1/a/annons/1?_slinga=1", meta={"redirect_urls": [first.url]})
    back = Response(second.url, status=302, headers={"Location": "/a/annons/1"})
    with pytest.raises(RedirectLoopError):
        middleware.process_response(second, back)
    assert crawler.stats.values == {"lagesbild/errors/redirect_loop": 1}


def test_cut_or_oversized_pages_are_failures_and_final_download_errors_are_counted_by_kind():
    from scrapy import Request
    from scrapy.exceptions import DownloadCancelledError, DownloadTimeoutError, ResponseDataLossError
    from scrapy.http import HtmlResponse

    from crawler.middlewares import FailureAccountingMiddleware, PageTooLargeError, TruncatedPageError

    crawler = _crawler()
    middleware = FailureAccountingMiddleware(crawler, maxsize=1000)
    request = Request("http://127.0.0.1/a/annons/1")
    whole = HtmlResponse(request.url, body=b"<!DOCTYPE html><html><body><p>x</p></body></html>\n")
    assert middleware.process_response(request, whole) is whole
    with pytest.raises(TruncatedPageError):
        middleware.process_response(request, HtmlResponse(request.url, body=b"<!DOCTYPE html><html><body><p>x"))
    with pytest.raises(PageTooLargeError):
        middleware.process_response(request, HtmlResponse(request.url, body=b"<html>" + b" " * 2000 + b"</html>"))
    error = HtmlResponse(request.url, status=503, body=b"<html><h1>503</h1>")  # passed on to the errback
    assert middleware.process_response(request, error) is error
    for exception in (DownloadTimeoutError("t"), DownloadCancelledError("big"), ResponseDataLossError("cut"),
                      Exception("Page.goto: Page crashed")):
        assert middleware.process_exception(request, exception) is None
    robots = Request("http://127.0.0.1/robots.txt", meta={"dont_obey_robotstxt": True})
    middleware.process_exception(robots, DownloadTimeoutError("t"))  # Scrapy's own fetch: not the run's
    assert crawler.stats.values == {f"lagesbild/errors/{kind}": 1 for kind in (
        "truncated_html", "too_large", "http_503", "timeout", "data_loss", "browser_crash")} | {
        "lagesbild/errors/too_large": 2}


def test_the_note_says_what_failed_and_lost_downloads_still_count():
    from crawler.runner import count_errors, decide_status

    good = {"response_received_count": 30, "lagesbild/listing_pages": 4, "item_scraped_count": 20}
    stats = {**good, "lagesbild/request_errors": 3, "lagesbild/errors/http_503": 2, "lagesbild/errors/timeout": 1}
    assert decide_status(stats, "finished") == ("partial", "3 request errors (2 HTTP 503, 1 timed out)")
    # A failure the errback never saw still makes the run partial.
    assert count_errors({**good, "lagesbild/errors/redirect_loop": 1}) == 1
    assert decide_status({**good, "lagesbild/errors/redirect_loop": 1}, "finished")[0] == "partial"
    status, note = decide_status({"response_received_count": 2, "lagesbild/errors/browser_crash": 1}, "finished")
    assert status == "failed" and note.endswith("(1 browser tab crashed)")


# --- one test per fault kind over plain HTTP -----------------------------------------------------


def _plans(market) -> dict[str, tuple[FaultPlan, str]]:
    details = paths_of(market, "nattsida", "detail")
    regions = paths_of(market, "nattsida", "listing")
    some = one_of_each(details, 3)
    one_region = one_of_each(regions, 1)

    def on(fault) -> FaultPlan:
        return FaultPlan(seed=11, sites={"nattsida": [fault]})

    return {
        "http-500": (on(HttpErrorFault(status=500, pages="detail", path=some)), "3 HTTP 500"),
        "http-503": (on(HttpErrorFault(status=503, pages="listing", path=one_region)), "HTTP 503"),
        "timeout": (on(TimeoutFault(pages="detail", path=some, hold_s=30)), "3 timed out"),
        "slow": (on(SlowFault(pages="detail", path=some, duration_s=8)), "3 timed out"),
        "truncated-connection": (on(TruncateFault(pages="detail", path=some)), "3 cut off mid-download"),
        "truncated-document": (on(TruncateFault(pages="detail", path=some, declared="cut", keep=0.85)),
                               "3 truncated HTML"),
        "redirect-loop": (on(RedirectLoopFault(pages="detail", path=some)), "3 redirect loop"),
        "endless-pagination": (on(EndlessPaginationFault(path=one_region)), "listing.max_pages reached"),
        "50-mb-page": (on(HugePageFault(pages="detail", path=some, size_mb=50)), "3 too large"),
        "layout-change": (on(LayoutChangeFault(pages="detail", path=some)), "3 pages could not be parsed"),
    }


FAULTS = ["http-500", "http-503", "timeout", "slow", "truncated-connection", "truncated-document",
          "redirect-loop", "endless-pagination", "50-mb-page", "layout-change"]


@pytest.mark.parametrize("fault", FAULTS)
def test_fault_leaves_the_run_partial_and_earlier_numbers_unchanged(fault, tmp_path, earlier, sites_dir,
                                                                    later_market):
    plan, expected_note = _plans(later_market)[fault]
    new, earlier_after, store, result = crawl_with_fault(tmp_path, earlier, sites_dir, later_market, "nattsida", plan)
    try:
        assert_settled_honestly(new, result, expected_note)
        assert_earlier_numbers_unchanged(earlier, store, earlier_after)
        if fault != "endless-pagination":  # the pages that failed are missing, never invented
            listed = len(later_market.listings_on("nattsida"))
            assert 0 < new.items < listed
    finally:
        store.close()


def test_every_fault_kind_has_a_test():
    from typing import get_args

    from sandbox.faults import Fault

    kinds = {member.model_fields["fault"].default for member in get_args(get_args(Fault)[0])}
    covered = {type(plan.sites["nattsida"][0]).model_fields["fault"].default
               for plan, _ in _plans(build_market(1, LATER, scale=SCALE)).values()}
    assert kinds - covered == {"crash_tab"}  # crash_tab needs a browser: its own test below


# --- a crashing browser tab ----------------------------------------------------------------------


@pytest.mark.browser
def test_a_crashing_browser_tab_is_an_error_and_leaves_the_run_partial(tmp_path, earlier, sites_dir, later_market):
    from crawler.browser import BrowserNotFound, find_chromium

    try:
        find_chromium()
    except BrowserNotFound as exc:
        pytest.skip(str(exc))
    details = paths_of(later_market, "stjarnsida", "detail")
    plan = FaultPlan(sites={"stjarnsida": [
        CrashTabFault(pages="detail", path=one_of_each(details[:2], 2)),
        # The browser repairs a cut document before the crawler sees it: the raw one is checked.
        TruncateFault(pages="detail", path=one_of_each(details[-2:], 2), declared="cut", keep=0.85),
    ]})
    new, earlier_after, store, result = crawl_with_fault(tmp_path, earlier, sites_dir, later_market, "stjarnsida", plan)
    try:
        assert_settled_honestly(new, result, "4 request errors (2 browser tab crashed, 2 truncated HTML)")
        assert new.items == len(details) - 4
        assert_earlier_numbers_unchanged(earlier, store, earlier_after)
    finally:
        store.close()


def test_the_browser_handler_hooks_still_exist_in_scrapy_playwright():
    """crawler.browser_handler overrides private parts of scrapy-playwright; fail loudly if they move."""
    import inspect

    from scrapy_playwright.handler import Config, ScrapyPlaywrightDownloadHandler

    assert list(inspect.signature(ScrapyPlaywrightDownloadHandler._get_response_and_download).parameters) == [
        "self", "request", "page", "spider"]
    assert "target_closed_max_retries" in Config.__dataclass_fields__


# --- the same on PostgreSQL ----------------------------------------------------------------------


@pytest.fixture
def postgres_url():
    if os.environ.get("LAGESBILD_SKIP_POSTGRES") == "1":
        pytest.skip("PostgreSQL tests skipped because LAGESBILD_SKIP_POSTGRES=1")
    yield from postgres_database(POSTGRES_ADMIN_URL)


@pytest.mark.postgres
def test_partial_and_failed_crawls_leave_earlier_numbers_unchanged_on_postgres(tmp_path, sites_dir, later_market,
                                                                               postgres_url):
    init_keys(tmp_path, database_url=postgres_url)
    with SandboxServer(port=0, market=build_market(1, EARLIER, scale=SCALE)) as server:
        assert crawl(tmp_path, server, sites_dir, "nattsida", EARLIER, database_url=postgres_url).returncode == 0
    store = open_store(postgres_url)
    try:
        [earlier_run] = list_runs(store)
        assert earlier_run.status == "complete", earlier_run.note
        numbers = snapshot(store, *earlier_window())
        some = one_of_each(paths_of(later_market, "nattsida", "detail"), 3)
        plans = [  # a partial run (some pages fail), then a failed one (the home page fails: nothing to crawl)
            (FaultPlan(sites={"nattsida": [HttpErrorFault(status=503, pages="detail", path=some)]}), "3 HTTP 503"),
            (FaultPlan(sites={"nattsida": [HttpErrorFault(status=500, pages="home")]}), "HTTP 500"),
        ]
        seen = {earlier_run.id}
        for plan, expected_note in plans:
            with SandboxServer(port=0, market=later_market, faults=plan) as server:
                result = crawl(tmp_path, server, sites_dir, "nattsida", LATER, database_url=postgres_url)
            runs = {run.id: run for run in list_runs(store, last=None)}
            [new] = [run for run in runs.values() if run.id not in seen]
            seen.add(new.id)
            assert_settled_honestly(new, result, expected_note)
            assert runs[earlier_run.id] == earlier_run
            assert snapshot(store, *earlier_window()) == numbers
        assert new.status == "failed" and new.items == 0
    finally:
        store.close()


def test_fault_plans_here_hit_pages_that_exist(later_market):
    """Guards the tests above: each plan's rule matches pages the crawl will really request."""
    paths = [*paths_of(later_market, "nattsida", "detail"), *paths_of(later_market, "nattsida", "listing")]
    for name, (plan, _) in _plans(later_market).items():
        assert any(plan.fault_for(classify(path)) for path in paths), name
