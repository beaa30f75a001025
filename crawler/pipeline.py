"""The item pipeline: anonymised observations, in batches, into the store."""
from __future__ import annotations

import logging
import time

from parsers.demand import ObservedRequest, ObservedReview
from parsers.records import ObservedAd
from store import demand as demand_store
from store.observations import add_observations

logger = logging.getLogger(__name__)
BATCH_SIZE = 500
FLUSH_INTERVAL_S = 2.0


class StorePipeline:
    """Buffers ObservedAd items and writes them in one transaction per batch, or every couple of seconds."""

    def __init__(self, store, run_id: int, stats=None, batch_size: int = BATCH_SIZE,
                 flush_interval_s: float = FLUSH_INTERVAL_S) -> None:
        self.store = store
        self.run_id = run_id
        self.stats = stats
        self.batch_size = batch_size
        self.flush_interval_s = flush_interval_s
        self.last_flush = time.monotonic()
        self.buffer: list[ObservedAd] = []
        self.requests: list[ObservedRequest] = []  # buyers' ads and review events (issue 9)
        self.reviews: list[ObservedReview] = []
        self.stored = 0

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings["LAGESBILD_STORE"], crawler.settings.getint("LAGESBILD_RUN_ID"), crawler.stats)

    def process_item(self, item, spider=None):
        if isinstance(item, ObservedRequest):
            self.requests.append(item)
        elif isinstance(item, ObservedReview):
            self.reviews.append(item)
        elif isinstance(item, ObservedAd):
            self.buffer.append(item)
        else:
            raise TypeError(f"only ObservedAd, ObservedRequest and ObservedReview items may reach the store, "
                            f"got {type(item).__name__}")
        if len(self.buffer) + len(self.requests) + len(self.reviews) >= self.batch_size or time.monotonic() - self.last_flush >= self.flush_interval_s:
            self.flush()
        return item

    def flush(self) -> None:
        self.last_flush = time.monotonic()
        self._flush_demand()
        if not self.buffer:
            return
        batch, self.buffer = self.buffer, []
        try:
            self.stored += add_observations(self.store, self.run_id, batch)
        except Exception as exc:  # the run is marked partial; the crawl goes on
            if self.stats is not None:
                self.stats.inc_value("lagesbild/store_errors", len(batch))
            logger.error("could not store %d observations: %s", len(batch), type(exc).__name__)

    def _flush_demand(self) -> None:
        requests, self.requests = self.requests, []
        reviews, self.reviews = self.reviews, []
        try:
            if requests:
                demand_store.add_request_observations(self.store, self.run_id, requests)
            if reviews:
                demand_store.add_review_events(self.store, self.run_id, reviews)
        except Exception as exc:  # the run is marked partial; the crawl goes on
            if self.stats is not None:
                self.stats.inc_value("lagesbild/store_errors", len(requests) + len(reviews))
            logger.error("could not store %d buyer ads and reviews: %s", len(requests) + len(reviews),
                         type(exc).__name__)

    def close_spider(self, spider=None) -> None:
        self.flush()
