"""The one spider class: walks a configured site's listing pages and turns detail pages into observations."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterator
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response

from config.sites import BrowserAction, ClickAction, PageType, ScrollAction, ScrollUntilAction, SiteConfig, WaitAction
from crawler.anonymiser import Anonymiser
from parsers.demand import REQUEST, classify_ad, parse_review_page, review_links, section_links
from parsers.pages import ParseError, shared_documents
from parsers.registry import parser_for

logger = logging.getLogger(__name__)

_OPTIONAL_CLICK_JS = "sel => { const el = document.querySelector(sel); if (el) el.click(); }"
_SCROLL_JS = (
    "async n => { for (let i = 0; i < n; i++) {"
    " window.scrollTo(0, document.body.scrollHeight);"
    " await new Promise(r => setTimeout(r, 400)); } }"
)
# True once the target selector matches or the page has grown past a height (more content loaded).
_GREW_OR_DONE_JS = "([sel, h]) => document.querySelector(sel) !== null || document.body.scrollHeight > h"
SCROLL_STEP_WAIT_S = 5.0  # how long one scroll waits for new content before scrolling again


@dataclass(frozen=True)
class ScrollOutcome:
    """How a scroll_until action ended: complete, or stopped by max_scrolls or timeout_s."""

    complete: bool
    scrolls: int
    stopped_by: str | None = None  # "max_scrolls" or "timeout"


async def scroll_until(page, selector: str, max_scrolls: int, timeout_s: float) -> ScrollOutcome:
    """Scroll to the bottom until `selector` matches (an infinite-scroll list says it is complete).

    Each scroll waits until the page grows or the selector appears (at most SCROLL_STEP_WAIT_S).
    Never raises on a slow or endless list: the outcome says how far it got.
    """
    from playwright.async_api import TimeoutError as PlaywrightTimeoutError

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    scrolls = 0
    while True:
        if await page.query_selector(selector) is not None:
            return ScrollOutcome(True, scrolls)
        if scrolls >= max_scrolls:
            return ScrollOutcome(False, scrolls, "max_scrolls")
        remaining = deadline - loop.time()
        if remaining <= 0:
            return ScrollOutcome(False, scrolls, "timeout")
        height = await page.evaluate("() => document.body.scrollHeight")
        await page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
        scrolls += 1
        try:
            await page.wait_for_function(
                _GREW_OR_DONE_JS, arg=[selector, height], timeout=min(remaining, SCROLL_STEP_WAIT_S) * 1000,
            )
        except PlaywrightTimeoutError:
            pass  # nothing new yet: check again, then scroll again (until max_scrolls or timeout_s)


def page_methods(actions: list[BrowserAction]) -> list:
    """scrapy-playwright PageMethods for a site's configured browser actions."""
    from scrapy_playwright.page import PageMethod

    methods = []
    for action in actions:
        if isinstance(action, ClickAction):
            if action.optional:
                methods.append(PageMethod("evaluate", _OPTIONAL_CLICK_JS, action.click))
            else:
                methods.append(PageMethod("click", action.click))
        elif isinstance(action, WaitAction):
            methods.append(PageMethod("wait_for_selector", action.wait_for, timeout=action.timeout_s * 1000))
        elif isinstance(action, ScrollAction):
            methods.append(PageMethod("evaluate", _SCROLL_JS, action.scroll))
        elif isinstance(action, ScrollUntilAction):
            methods.append(PageMethod(scroll_until, action.scroll_until, action.max_scrolls, action.timeout_s))
    return methods


class SiteSpider(scrapy.Spider):
    """Routing only: parsing is done by the site's parser, anonymising by the Anonymiser."""

    name = "site"

    def __init__(
        self,
        site: SiteConfig,
        anonymiser: Anonymiser,
        observed_at: datetime,
        max_detail_pages: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=site.name, **kwargs)
        self.site = site
        self.anonymiser = anonymiser
        self.observed_at = observed_at
        self.max_detail_pages = max_detail_pages
        self.parser = parser_for(site)
        self.allowed_domains = sorted({urlsplit(url).hostname or "" for url in site.start_urls})
        self.listing_pages_seen = 0
        self.detail_requests = 0
        self.review_pages_seen = 0
        self._demand = None

    async def start(self):
        for url in self.site.start_urls:
            yield self._listing_request(url, region_context=None)

    def _meta(self, page_type: PageType, actions: list[BrowserAction]) -> dict:
        """Browser rendering for page types the site renders in the browser; plain HTTP otherwise."""
        if self.site.render_for(page_type) != "browser":
            return {}
        return {"playwright": True, "playwright_page_methods": page_methods(actions)}

    def _listing_request(self, url: str, region_context: str | None,
                         section_class: str | None = None) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse_listing,
            errback=self.on_error,
            meta=self._meta("listing", self.site.browser.listing_actions),
            cb_kwargs={"region_context": region_context, "section_class": section_class},
        )

    def _detail_request(self, url: str, region_context: str | None,
                        section_class: str | None = None) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse_detail,
            errback=self.on_error,
            meta=self._meta("detail", self.site.browser.detail_actions),
            cb_kwargs={"region_context": region_context, "section_class": section_class},
        )

    def _review_request(self, url: str) -> scrapy.Request:
        # Review list pages are plain server-rendered pages on every configured site.
        return scrapy.Request(url, callback=self.parse_reviews, errback=self.on_error)

    @property
    def demand(self):
        """The anonymiser of buyers' ads and reviews (crawler.demand), sharing the crawl's keys and places."""
        if self._demand is None:
            from crawler.demand import DemandAnonymiser

            self._demand = DemandAnonymiser(self.anonymiser.tokeniser, self.anonymiser.places)
        return self._demand

    def _check_scrolls(self, response: Response) -> None:
        """An infinite-scroll listing that never said it was complete makes the run partial."""
        stats = self.crawler.stats
        for method in response.meta.get("playwright_page_methods") or ():
            outcome = getattr(method, "result", None)
            if not isinstance(outcome, ScrollOutcome) or outcome.complete:
                continue
            stats.inc_value("lagesbild/incomplete_scrolls")
            if outcome.stopped_by == "max_scrolls":
                stats.set_value("lagesbild/max_pages_reached", 1)
            else:  # the list stopped growing: a failing or slow API
                stats.inc_value("lagesbild/request_errors")
            logger.warning("%s: infinite scroll stopped by %s after %d scrolls; the listing is incomplete",
                           self.site.name, outcome.stopped_by, outcome.scrolls)

    def parse_listing(self, response: Response, region_context: str | None,
                      section_class: str | None = None) -> Iterator[scrapy.Request]:
        stats = self.crawler.stats
        self.listing_pages_seen += 1
        stats.inc_value("lagesbild/listing_pages")
        self._check_scrolls(response)
        # A limited check (`sites check`: max_detail_pages) looks at offers only: no sections, no reviews.
        checking = self.max_detail_pages is not None
        with shared_documents():  # one parse of the page for all its links
            page = self.parser.parse_listing(response.text, response.url, self.site)
            reviews = () if checking else review_links(response.text, response.url, self.site)
            sections = [] if checking else section_links(response.text, response.url, self.site)
        context = page.region_context or region_context
        stats.inc_value("lagesbild/detail_links", len(page.detail_urls))
        if page.links_dropped:
            stats.inc_value("lagesbild/links_dropped", page.links_dropped)
            logger.warning("%s: a listing page had %d links over listing.max_links_per_page=%d; not followed",
                           self.site.name, page.links_dropped, self.site.listing.max_links_per_page)
        for url in page.detail_urls:
            if self.max_detail_pages is not None and self.detail_requests >= self.max_detail_pages:
                break
            self.detail_requests += 1
            yield self._detail_request(url, context, section_class)
        for url in reviews:
            yield self._review_request(url)
        if self.max_detail_pages is not None and self.detail_requests >= self.max_detail_pages:
            return
        following = [*page.region_urls, *page.next_urls, *(url for url, _ in sections)]
        if following and self.listing_pages_seen >= self.site.listing.max_pages:
            stats.set_value("lagesbild/max_pages_reached", 1)
            logger.warning("%s: stopped after listing.max_pages=%d listing pages", self.site.name, self.site.listing.max_pages)
            return
        for url in page.region_urls:
            yield self._listing_request(url, region_context=None)
        for url in page.next_urls:
            yield self._listing_request(url, region_context=context, section_class=section_class)
        for url, ad_class in sections:
            yield self._listing_request(url, region_context=None, section_class=ad_class)

    def parse_detail(self, response: Response, region_context: str | None, section_class: str | None = None):
        stats = self.crawler.stats
        stats.inc_value("lagesbild/detail_pages")
        try:
            records = self.parser.parse_details(response.text, response.url, self.site, self.observed_at, region_context)
        except ParseError as exc:
            stats.inc_value("lagesbild/parse_failures")
            logger.warning("%s: parse failure on a detail page: %s", self.site.name, exc)
            return
        failures = getattr(records, "failures", ())
        if failures:  # some ads on the page had no id; the others are kept
            stats.inc_value("lagesbild/parse_failures", len(failures))
            logger.warning("%s: %d ads on a detail page could not be parsed: %s", self.site.name, len(failures), failures[0])
        for record in records:
            # Offer or request (parsers.demand): only the class is kept, never the wording.
            if classify_ad(self.site, section_class, record.title, record.text) == REQUEST:
                stats.inc_value("lagesbild/request_ads")
                yield self.demand.observe_request(record, self.observed_at)
                continue
            for field in record.missing_fields:  # fill rates describe the offers
                stats.inc_value(f"lagesbild/missing/{field}")
            yield self.anonymiser.observe(record, self.observed_at)

    def parse_reviews(self, response: Response):
        """A review list page: one review event per review (tokens only), then the next page."""
        stats = self.crawler.stats
        self.review_pages_seen += 1
        stats.inc_value("lagesbild/review_pages")
        page = parse_review_page(response.text, response.url, self.site, self.observed_at)
        if page.failures:
            stats.inc_value("lagesbild/parse_failures", len(page.failures))
            logger.warning("%s: %d reviews could not be parsed: %s", self.site.name, len(page.failures), page.failures[0])
        for record in page.reviews:
            stats.inc_value("lagesbild/reviews")
            yield self.demand.observe_review(record, self.observed_at)
        if page.next_urls and self.review_pages_seen >= self.site.reviews.max_pages:
            stats.set_value("lagesbild/max_pages_reached", 1)
            logger.warning("%s: stopped after reviews.max_pages=%d review pages", self.site.name,
                           self.site.reviews.max_pages)
            return
        for url in page.next_urls:
            yield self._review_request(url)

    def on_error(self, failure) -> None:
        self.crawler.stats.inc_value("lagesbild/request_errors")
        logger.warning("%s: request failed: %s", self.site.name, failure.getErrorMessage())
