"""The spider's browser use: per-page-type rendering, infinite scroll to the end, and pages of several ads."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.settings import Settings as ScrapySettings
from scrapy.statscollectors import MemoryStatsCollector

from config.settings import BUNDLED_SITES_DIR, Settings
from config.sites import load_site
from crawler.runner import scrapy_settings
from crawler.spider import ScrollOutcome, SiteSpider, scroll_until
from sandbox.server import SandboxServer

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)


class RecordingAnonymiser:
    def __init__(self) -> None:
        self.records = []

    def observe(self, record, observed_at):
        self.records.append(record)
        return record.site_ad_id


def spider_for(name: str) -> SiteSpider:
    spider = SiteSpider(load_site(BUNDLED_SITES_DIR / f"{name}.yaml"), RecordingAnonymiser(), NOW)
    stats = MemoryStatsCollector(SimpleNamespace(settings=ScrapySettings({"STATS_DUMP": False})))
    spider.crawler = SimpleNamespace(stats=stats)
    return spider


@pytest.mark.parametrize("name, listing, detail", [
    ("nattsida", False, False), ("stjarnsida", True, False), ("kvallsida", False, True),
])
def test_only_page_types_rendered_in_the_browser_get_playwright(name, listing, detail):
    spider = spider_for(name)
    assert bool(spider._listing_request("http://127.0.0.1/x", None).meta.get("playwright")) == listing
    assert bool(spider._detail_request("http://127.0.0.1/y", None).meta.get("playwright")) == detail
    values = scrapy_settings(spider.site, Settings(), store=None, run_id=None)
    # The Playwright handler serves the whole site; requests without meta["playwright"] go over plain HTTP.
    assert ("DOWNLOAD_HANDLERS" in values) == (listing or detail)


def test_detail_actions_run_on_browser_rendered_profile_pages():
    methods = spider_for("kvallsida")._detail_request("http://127.0.0.1/y", None).meta["playwright_page_methods"]
    assert [(m.method, m.args[0]) for m in methods] == [
        ("click", "button#visa-nummer"), ("wait_for_selector", "#nummer[data-klar=true]")]


def listing_response(spider, outcome: ScrollOutcome | None) -> HtmlResponse:
    request = spider._listing_request("http://127.0.0.1/stjarnsida/", None)
    for method in request.meta["playwright_page_methods"]:
        if method.method is scroll_until:
            method.result = outcome
    return HtmlResponse(request.url, body=b"<html></html>", encoding="utf-8", request=request)


@pytest.mark.parametrize("outcome, stat", [
    (ScrollOutcome(True, 3), None),
    (ScrollOutcome(False, 50, "max_scrolls"), "lagesbild/max_pages_reached"),
    (ScrollOutcome(False, 7, "timeout"), "lagesbild/request_errors"),
])
def test_an_incomplete_infinite_scroll_makes_the_run_partial(outcome, stat):
    spider = spider_for("stjarnsida")
    list(spider.parse_listing(listing_response(spider, outcome), None))
    stats = spider.crawler.stats.get_stats()
    if stat is None:
        assert "lagesbild/incomplete_scrolls" not in stats
    else:
        assert stats["lagesbild/incomplete_scrolls"] == 1 and stats[stat] == 1


def test_a_profile_page_yields_every_ad_and_counts_the_broken_ones():
    spider = spider_for("kvallsida")
    html = ('<section class="profil" data-profil-id="kp1"><p id="nummer"><span class="tel">070-174 06 05</span></p>'
            '<article class="annons" data-annons-id="K1"><span class="ort">Umeå</span></article>'
            '<article class="annons"><span class="ort">Luleå</span></article>'
            '<article class="annons" data-annons-id="K3"><span class="ort">Kiruna</span></article></section>')
    request = Request("http://127.0.0.1/kvallsida/profil/kp1")
    response = HtmlResponse(request.url, body=html.encode(), encoding="utf-8", request=request)
    assert list(spider.parse_detail(response, "Norrbotten")) == ["K1", "K3"]
    assert {r.phone_e164 for r in spider.anonymiser.records} == {"+46701740605"}
    stats = spider.crawler.stats.get_stats()
    assert stats["lagesbild/parse_failures"] == 1 and stats["lagesbild/detail_pages"] == 1


# --- scroll_until in a real browser against the sandbox SPA ---------------------------------------------


@pytest.fixture(scope="module")
def sandbox():
    with SandboxServer(port=0, as_of="2026-11-20T10:00:00+01:00").start() as server:
        yield server


def run_scroll(url: str, selector: str, max_scrolls: int, timeout_s: float):
    async_api = pytest.importorskip("playwright.async_api")
    from crawler.browser import BrowserNotFound, find_chromium, launch_options

    try:
        executable = find_chromium()
    except BrowserNotFound as error:  # pragma: no cover - depends on the machine
        pytest.skip(str(error))

    async def scenario():
        async with async_api.async_playwright() as p:
            browser = await p.chromium.launch(**launch_options(executable))
            page = await browser.new_page(viewport={"width": 1280, "height": 720})
            await page.goto(url)
            await page.click("button#age-ok")
            await page.wait_for_selector("#cards[data-loaded=true]")
            outcome = await scroll_until(page, selector, max_scrolls, timeout_s)
            cards = len(await page.query_selector_all("div.card a.card-link"))
            await browser.close()
            return outcome, cards

    return asyncio.run(scenario())


def test_scroll_until_reaches_the_end_of_the_list(sandbox):
    truth = sandbox.truth()  # offers and buyers' ads are mixed on this site
    expected = sum(1 for item in [*truth["listings"], *truth["requests"]] if item["site"] == "stjarnsida")
    outcome, cards = run_scroll(sandbox.url + "/stjarnsida/", "#cards[data-complete=true]", 50, 30)
    assert outcome.complete and outcome.scrolls >= 1 and cards == expected


def test_scroll_until_stops_at_max_scrolls_or_timeout(sandbox):
    outcome, cards = run_scroll(sandbox.url + "/stjarnsida/", "#never", 1, 30)
    assert outcome == ScrollOutcome(False, 1, "max_scrolls") and cards > 12
    outcome, _ = run_scroll(sandbox.url + "/stjarnsida/", "#never", 1000, 1.5)
    assert not outcome.complete and outcome.stopped_by == "timeout"
