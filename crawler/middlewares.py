"""Downloader middlewares: polite backoff when a site says it is overloaded."""
from __future__ import annotations

import logging

from scrapy import Request, Spider
from scrapy.http import Response

logger = logging.getLogger(__name__)
BACKOFF_STATUSES = {429, 503}


class BackoffMiddleware:
    """Doubles a site's request delay on 429/503 (or honours Retry-After), and eases it back on success."""

    def __init__(self, crawler, base_delay_s: float, max_delay_s: float) -> None:
        self.crawler = crawler
        self.base_delay_s = base_delay_s
        self.max_delay_s = max_delay_s

    @classmethod
    def from_crawler(cls, crawler):
        return cls(
            crawler,
            crawler.settings.getfloat("DOWNLOAD_DELAY"),
            crawler.settings.getfloat("LAGESBILD_BACKOFF_MAX_S", 60.0),
        )

    def _slot(self, request: Request):
        key = request.meta.get("download_slot")
        return self.crawler.engine.downloader.slots.get(key) if key else None

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        slot = self._slot(request)
        if slot is None:
            return response
        if response.status in BACKOFF_STATUSES:
            wanted = max(slot.delay * 2, 0.5)
            retry_after = response.headers.get(b"Retry-After")
            if retry_after and retry_after.strip().isdigit():
                wanted = max(wanted, float(retry_after.strip()))
            slot.delay = min(wanted, self.max_delay_s)
            self.crawler.stats.inc_value("lagesbild/backoff_count")
            logger.info("site answered %s; waiting %.1f s between requests", response.status, slot.delay)
        elif response.status < 400 and slot.delay > self.base_delay_s:
            slot.delay = max(self.base_delay_s, slot.delay * 0.75)
        return response
