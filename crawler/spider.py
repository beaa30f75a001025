"""The one spider class: walks a configured site's listing pages and turns detail pages into observations."""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Iterator
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response

from config.sites import BrowserAction, ClickAction, ScrollAction, SiteConfig, WaitAction
from crawler.anonymiser import Anonymiser
from parsers.pages import ParseError
from parsers.registry import parser_for

logger = logging.getLogger(__name__)

_OPTIONAL_CLICK_JS = "sel => { const el = document.querySelector(sel); if (el) el.click(); }"
_SCROLL_JS = (
    "async n => { for (let i = 0; i < n; i++) {"
    " window.scrollTo(0, document.body.scrollHeight);"
    " await new Promise(r => setTimeout(r, 400)); } }"
)


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

    async def start(self):
        for url in self.site.start_urls:
            yield self._listing_request(url, region_context=None)

    def _meta(self, actions: list[BrowserAction]) -> dict:
        if self.site.render != "browser":
            return {}
        return {"playwright": True, "playwright_page_methods": page_methods(actions)}

    def _listing_request(self, url: str, region_context: str | None) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse_listing,
            errback=self.on_error,
            meta=self._meta(self.site.browser.listing_actions),
            cb_kwargs={"region_context": region_context},
        )

    def _detail_request(self, url: str, region_context: str | None) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse_detail,
            errback=self.on_error,
            meta=self._meta(self.site.browser.detail_actions),
            cb_kwargs={"region_context": region_context},
        )

    def parse_listing(self, response: Response, region_context: str | None) -> Iterator[scrapy.Request]:
        stats = self.crawler.stats
        self.listing_pages_seen += 1
        stats.inc_value("lagesbild/listing_pages")
        page = self.parser.parse_listing(response.text, response.url, self.site)
        context = page.region_context or region_context
        stats.inc_value("lagesbild/detail_links", len(page.detail_urls))
        for url in page.detail_urls:
            if self.max_detail_pages is not None and self.detail_requests >= self.max_detail_pages:
                break
            self.detail_requests += 1
            yield self._detail_request(url, context)
        if self.max_detail_pages is not None and self.detail_requests >= self.max_detail_pages:
            return
        following = [*page.region_urls, *page.next_urls]
        if following and self.listing_pages_seen >= self.site.listing.max_pages:
            stats.set_value("lagesbild/max_pages_reached", 1)
            logger.warning("%s: stopped after listing.max_pages=%d listing pages", self.site.name, self.site.listing.max_pages)
            return
        for url in page.region_urls:
            yield self._listing_request(url, region_context=None)
        for url in page.next_urls:
            yield self._listing_request(url, region_context=context)

    def parse_detail(self, response: Response, region_context: str | None):
        stats = self.crawler.stats
        stats.inc_value("lagesbild/detail_pages")
        try:
            record = self.parser.parse_detail(response.text, response.url, self.site, self.observed_at, region_context)
        except ParseError as exc:
            stats.inc_value("lagesbild/parse_failures")
            logger.warning("%s: parse failure on a detail page: %s", self.site.name, exc)
            return
        for field in record.missing_fields:
            stats.inc_value(f"lagesbild/missing/{field}")
        yield self.anonymiser.observe(record, self.observed_at)

    def on_error(self, failure) -> None:
        self.crawler.stats.inc_value("lagesbild/request_errors")
        logger.warning("%s: request failed: %s", self.site.name, failure.getErrorMessage())
