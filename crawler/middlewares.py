"""Downloader middlewares: polite backoff, and honest accounting of every way a download can fail.

Scrapy on its own lets some failures pass silently: a redirect loop ends in the duplicate filter without
an error, a document cut short but well-formed at the HTTP level parses as a page with fields missing,
and pages rendered by the browser escape DOWNLOAD_MAXSIZE. The middlewares here turn each of those into
a request error (the spider's errback counts it, so the run cannot be `complete`) and record the kind
of every final download failure under ``lagesbild/errors/<kind>`` for the run's note.
"""
from __future__ import annotations

import logging
import re
import threading

from scrapy import Request, Spider
from scrapy.exceptions import (
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Response, TextResponse
from twisted.internet import error as twisted_errors
from w3lib.url import canonicalize_url, safe_url_string

logger = logging.getLogger(__name__)
BACKOFF_STATUSES = {429, 503}
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
ERROR_STAT_PREFIX = "lagesbild/errors/"
# Set when the crawl process got SIGTERM or SIGINT (crawler.runner): no more backoff, waits are cut short.
SHUTTING_DOWN = threading.Event()

# How each kind of failure reads in a run's note; HTTP statuses read "HTTP <status>".
ERROR_KINDS = {
    "timeout": "timed out",
    "too_large": "too large",
    "data_loss": "cut off mid-download",
    "truncated_html": "truncated HTML",
    "redirect_loop": "redirect loop",
    "browser_crash": "browser tab crashed",
    "connection": "connection failed",
    "robots": "forbidden by robots.txt",
    "ignored": "dropped by a middleware",
    "other": "other download errors",
}


class RedirectLoopError(IgnoreRequest):
    """A redirect leads back to a URL already in the request's redirect chain."""


class TruncatedPageError(IgnoreRequest):
    """An HTML document that stops before its end (</html>): its fields cannot be trusted."""


class PageTooLargeError(IgnoreRequest):
    """A body over DOWNLOAD_MAXSIZE that reached the spider anyway (pages rendered by the browser)."""


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
        if SHUTTING_DOWN.is_set():  # stopping: finish what is queued now, never wait up to a minute per request
            slot.delay = 0.0
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


def _counted(request: Request) -> bool:
    """Requests whose failure is the run's failure (not Scrapy's own robots.txt fetch)."""
    return not request.meta.get("dont_obey_robotstxt")


class RedirectLoopMiddleware:
    """Fails a request whose redirect points back into its own chain (Scrapy would drop it as a duplicate).

    Runs before Scrapy's RedirectMiddleware (600) sees the response: priority above 600.
    """

    def __init__(self, crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        if response.status not in REDIRECT_STATUSES or request.meta.get("dont_redirect"):
            return response
        location = response.headers.get(b"Location")
        if not location:
            return response
        target = safe_url_string(response.urljoin(location.decode("latin-1").strip()))
        chain = [*request.meta.get("redirect_urls", ()), request.url]
        if canonicalize_url(target) in {canonicalize_url(url) for url in chain}:
            if _counted(request):
                self.crawler.stats.inc_value(ERROR_STAT_PREFIX + "redirect_loop")
            logger.warning("redirect loop after %d redirects; giving up on the page", len(chain) - 1)
            raise RedirectLoopError("redirect loop")
        return response


_HTML_START = re.compile(rb"<html[\s>]", re.I)
_HTML_END = re.compile(rb"</html\s*>", re.I)


class FailureAccountingMiddleware:
    """Counts every final download failure by kind, and fails pages that are cut short or too large.

    Runs after RetryMiddleware (550) in the response and exception chains: priority below 550, so it
    only sees what retries could not fix.
    """

    def __init__(self, crawler, maxsize: int) -> None:
        self.crawler = crawler
        self.maxsize = maxsize

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler, crawler.settings.getint("DOWNLOAD_MAXSIZE"))

    def _count(self, request: Request, kind: str) -> None:
        if _counted(request):
            self.crawler.stats.inc_value(ERROR_STAT_PREFIX + kind)

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        if response.status >= 400:
            self._count(request, f"http_{response.status}")
            return response  # HttpErrorMiddleware hands it to the spider's errback
        if not _counted(request):
            return response
        if self.maxsize and len(response.body) > self.maxsize:
            self._count(request, "too_large")
            raise PageTooLargeError(f"page of {len(response.body)} bytes is over DOWNLOAD_MAXSIZE={self.maxsize}")
        if isinstance(response, TextResponse) and _html_response(response) and is_truncated_html(response.body):
            self._count(request, "truncated_html")
            raise TruncatedPageError("HTML document ends before </html>")
        return response

    def process_exception(self, request: Request, exception: Exception, spider: Spider | None = None) -> None:
        self._count(request, classify_exception(exception))
        return None


def _html_response(response: TextResponse) -> bool:
    return b"html" in response.headers.get(b"Content-Type", b"text/html").lower()


def is_truncated_html(body: bytes) -> bool:
    """An HTML document that opens <html> but never closes it."""
    start = _HTML_START.search(body, 0, 4096)
    return start is not None and _HTML_END.search(body, start.end()) is None


def classify_exception(exception: BaseException) -> str:
    """One of ERROR_KINDS for a download exception."""
    if isinstance(exception, (DownloadTimeoutError, twisted_errors.TimeoutError, TimeoutError)):
        return "timeout"
    if isinstance(exception, DownloadCancelledError):
        return "too_large"
    if isinstance(exception, ResponseDataLossError):
        return "data_loss"
    if isinstance(exception, RedirectLoopError):
        return "redirect_loop"
    if isinstance(exception, TruncatedPageError):
        return "truncated_html"
    if isinstance(exception, PageTooLargeError):
        return "too_large"
    name = type(exception).__name__
    message = str(exception).lower()
    if "crash" in message:  # Playwright: "Page crashed", "Target crashed"
        return "browser_crash"
    if name == "TimeoutError" or ("timeout" in message and "exceeded" in message):  # Playwright's
        return "timeout"
    if isinstance(exception, IgnoreRequest):
        return "robots" if "robots" in message else "ignored"
    if isinstance(exception, (DownloadConnectionRefusedError, DownloadFailedError, twisted_errors.ConnectError,
                              twisted_errors.ConnectionLost, twisted_errors.ConnectionDone, ConnectionError)):
        return "connection"
    if "net::err_content_length_mismatch" in message or "net::err_incomplete" in message:
        return "data_loss"
    if "net::err_too_many_redirects" in message:
        return "redirect_loop"
    if "net::err_" in message:
        return "connection"
    return "other"


def error_breakdown(stats: dict) -> dict[str, int]:
    """The ``lagesbild/errors/<kind>`` counters of a crawl's stats, by kind."""
    return {key[len(ERROR_STAT_PREFIX):]: int(value) for key, value in stats.items()
            if key.startswith(ERROR_STAT_PREFIX) and value}


def describe_errors(stats: dict) -> str:
    """The failed downloads of a crawl in words, most frequent first: "2 HTTP 503, 1 timed out" ("" if none)."""
    kinds = sorted(error_breakdown(stats).items(), key=lambda item: (-item[1], item[0]))
    return ", ".join(f"{count} {_describe_kind(kind)}" for kind, count in kinds)


def _describe_kind(kind: str) -> str:
    if kind.startswith("http_"):
        return "HTTP " + kind[len("http_"):]
    return ERROR_KINDS.get(kind, kind)
