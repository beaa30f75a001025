"""Running crawls in this process: per-site Scrapy settings, run bookkeeping and the final run status."""
from __future__ import annotations

import functools
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.crawler import CrawlerProcess

from config import clock
from config.settings import Settings
from config.sites import SiteConfig
from crawler.anonymiser import Anonymiser, Tokeniser
from crawler.browser import find_chromium, launch_options
from crawler.keys import KEY_BYTES, KeyRing, SecretKey, StudyPeriod
from crawler.logredact import RedactingFilter
from crawler.middlewares import SHUTTING_DOWN, describe_errors, error_breakdown
from crawler.places import build_place_resolver
from crawler.spider import SiteSpider
from parsers.records import ObservedAd
from parsers.registry import parser_for

logger = logging.getLogger(__name__)

# Called as progress(site_name, event) with event in {"page", "item", "error", "done"}.
ProgressCallback = Callable[[str, str], None]


@dataclass(frozen=True)
class RunOutcome:
    """How one site's crawl ended, as recorded in its CrawlRun row."""

    site: str
    run_id: int | None
    status: str
    pages: int
    items: int
    errors: int
    parse_failures: int
    listing_pages: int
    finish_reason: str | None
    note: str | None
    observations: tuple[ObservedAd, ...] = ()
    demand: tuple = ()  # buyers' ads and review events (parsers.demand), when crawled without a store


def ad_items(stats: dict) -> int:
    """Offers (ads) the crawl yielded: every item but buyers' ads and review events (counted apart, issue 9)."""
    demand = int(stats.get("lagesbild/request_ads", 0)) + int(stats.get("lagesbild/reviews", 0))
    return max(0, int(stats.get("item_scraped_count", 0)) - demand)


@dataclass(frozen=True)
class ErrorCounts:
    """A crawl's errors by where they happened: fetching pages, parsing them, or storing what they held."""

    request: int  # downloads that failed for good (after retries), whether or not the errback saw them
    parse: int  # pages (or ads on a page) that could not be parsed, and callbacks that raised
    storage: int  # observations, buyer ads and reviews the database did not take

    @classmethod
    def of(cls, stats: dict) -> "ErrorCounts":
        request = max(int(stats.get("lagesbild/request_errors", 0)), sum(error_breakdown(stats).values()))
        parse = int(stats.get("lagesbild/parse_failures", 0)) + int(stats.get("spider_exceptions/count", 0))
        return cls(request, parse, int(stats.get("lagesbild/store_errors", 0)))


def decide_status(stats: dict, finish_reason: str | None) -> tuple[str, str | None]:
    """complete, partial or failed, from a finished crawl's stats; never complete unless it really finished.

    The note names request, parse and storage errors apart ("3 request errors (2 HTTP 503, 1 timed out);
    2 pages could not be parsed; 40 observations could not be stored (database errors)").
    """

    def _with_error_kinds(text: str) -> str:  # e.g. "3 request errors (2 HTTP 503, 1 timed out)"
        kinds = describe_errors(stats)
        return f"{text} ({kinds})" if kinds else text

    pages = stats.get("response_received_count", 0)
    listing_pages = stats.get("lagesbild/listing_pages", 0)
    items = ad_items(stats)
    errors = ErrorCounts.of(stats)
    if pages == 0 or listing_pages == 0:
        return "failed", _with_error_kinds(_shutdown_prefix(finish_reason) + "no listing page could be fetched")
    if items == 0:
        return "failed", _with_error_kinds(_shutdown_prefix(finish_reason) +
                                           "no ads found on any listing page (site down, layout changed or "
                                           "needs a browser?)")
    problems = []
    if finish_reason == SHUTDOWN_REASON:
        problems.append("stopped early (shutdown: SIGTERM or Ctrl-C)")
    elif finish_reason != "finished":
        problems.append(f"stopped early ({finish_reason})")
    if errors.request:
        problems.append(_with_error_kinds(f"{errors.request} request errors"))
    if errors.parse:
        problems.append(f"{errors.parse} pages could not be parsed")
    if errors.storage:
        problems.append(f"{errors.storage} observations could not be stored (database errors)")
    if stats.get("lagesbild/max_pages_reached"):
        problems.append("listing.max_pages reached")
    if stats.get("lagesbild/links_dropped"):
        problems.append(f"{stats['lagesbild/links_dropped']} links over listing.max_links_per_page not followed")
    if problems:
        return "partial", "; ".join(problems)
    return "complete", None


SHUTDOWN_REASON = "shutdown"  # Scrapy's finish reason after SIGTERM or SIGINT


def _shutdown_prefix(finish_reason: str | None) -> str:
    return "stopped by shutdown before anything was found; " if finish_reason == SHUTDOWN_REASON else ""


def count_errors(stats: dict) -> int:
    """Request errors: downloads that failed for good. A failed download counts even if it never reached the
    errback. Parse and storage errors are counted apart (ErrorCounts), and named apart in the run's note."""
    return ErrorCounts.of(stats).request


def scrapy_settings(site: SiteConfig, settings: Settings, store, run_id: int | None) -> dict:
    """Scrapy settings for one site: politeness, limits, the store pipeline and, if needed, the browser."""
    limit = site.rate_limit
    values: dict = {
        "BOT_NAME": "lagesbild",
        "USER_AGENT": settings.user_agent,
        "ROBOTSTXT_OBEY": True,
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
        "HTTPCACHE_ENABLED": False,
        "COOKIES_ENABLED": True,
        "DOWNLOAD_DELAY": limit.delay_s,
        "DOWNLOAD_DELAY_JITTER": 0.5,
        "CONCURRENT_REQUESTS": limit.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": limit.concurrency,
        "AUTOTHROTTLE_ENABLED": limit.autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(limit.delay_s, 0.5),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(limit.concurrency),
        "RETRY_ENABLED": limit.retries > 0,
        "RETRY_TIMES": limit.retries,
        "DOWNLOAD_TIMEOUT": limit.timeout_s,
        "DOWNLOAD_MAXSIZE": 20 * 1024 * 1024,  # enforced on browser-rendered pages too (middlewares)
        "DOWNLOAD_WARNSIZE": 5 * 1024 * 1024,
        "DOWNLOAD_FAIL_ON_DATALOSS": True,  # a body cut short is an error, never a page
        "REDIRECT_MAX_TIMES": 10,
        "DEPTH_LIMIT": site.listing.max_pages + 2,
        "CLOSESPIDER_TIMEOUT": 4 * 3600,
        "LOG_LEVEL": settings.log_level,
        "LOG_ENABLED": True,
        "DOWNLOADER_MIDDLEWARES": {
            "crawler.middlewares.RedirectLoopMiddleware": 650,  # sees 3xx before RedirectMiddleware (600)
            "crawler.middlewares.BackoffMiddleware": 560,
            "crawler.middlewares.FailureAccountingMiddleware": 540,  # sees only what RetryMiddleware (550) gave up on
        },
        "ITEM_PIPELINES": {"crawler.pipeline.StorePipeline": 300} if store is not None else {},
        "LAGESBILD_STORE": store,
        "LAGESBILD_RUN_ID": run_id or 0,
    }
    if site.uses_browser:  # requests without meta["playwright"] still go over plain HTTP
        launch = launch_options(find_chromium())
        # A JavaScript heap cap per tab: a page allocating without end crashes its own tab within a second
        # (an error for that page) instead of taking gigabytes from the machine.
        launch["args"] = [*launch["args"], "--js-flags=--max-old-space-size=512"]
        values.update(
            {
                "DOWNLOAD_HANDLERS": {
                    # scrapy-playwright's handler, retrying a crashed tab once instead of three times
                    "http": "crawler.browser_handler.PlaywrightDownloadHandler",
                    "https": "crawler.browser_handler.PlaywrightDownloadHandler",
                },
                "PLAYWRIGHT_BROWSER_TYPE": "chromium",
                "PLAYWRIGHT_LAUNCH_OPTIONS": launch,
                "PLAYWRIGHT_ABORT_REQUEST": BrowserRequestFilter(site),
                "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": limit.timeout_s * 1000,
                "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": limit.concurrency,
                "PLAYWRIGHT_MAX_CONTEXTS": 1,
            }
        )
    return values


class BrowserRequestFilter:
    """Aborts browser sub-requests for images, media and fonts, and any request off the site's own hosts."""

    BLOCKED_TYPES = frozenset({"image", "media", "font"})

    def __init__(self, site: SiteConfig) -> None:
        self.hosts = frozenset(urlsplit(url).netloc for url in site.start_urls)

    def __call__(self, request) -> bool:
        if request.resource_type in self.BLOCKED_TYPES:
            return True
        return urlsplit(request.url).netloc not in self.hosts


def configure_crawl_logging(settings: Settings, started: datetime) -> str:
    """Send all crawl logs, redacted, to a file in the data folder; returns its path."""
    settings.log_dir.mkdir(parents=True, exist_ok=True)
    path = settings.log_dir / f"crawl-{started:%Y%m%d-%H%M%S}.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    handler.setLevel(settings.log_level)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    for noisy in ("asyncio", "playwright"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return str(path)


def study_period_key(settings: Settings, *, create_if_missing: bool = False) -> tuple[StudyPeriod, SecretKey]:
    """The active study period and its key (wall-clock time decides the period, also in back-fills)."""
    ring = KeyRing(settings.resolved_key_dir, settings.key_period)
    return ring.key_for_crawl(clock.now(), create_if_missing=create_if_missing)


def dry_run_key(settings: Settings) -> tuple[StudyPeriod, SecretKey] | None:
    """The active study-period key, or None before `keys init` (a dry run then uses a throw-away key)."""
    if KeyRing(settings.resolved_key_dir, settings.key_period).periods():
        return study_period_key(settings)
    return None


def throwaway_key() -> tuple[StudyPeriod, SecretKey]:
    """A key that lives only in memory, for a dry run that stores nothing."""
    return StudyPeriod("dry-run", "dry-run", "", "active"), SecretKey(secrets.token_bytes(KEY_BYTES))


class _CrawlerProcess(CrawlerProcess):
    """Scrapy's process, which on SIGTERM or Ctrl-C also cuts every backoff wait short.

    Scrapy closes the spiders gracefully, but requests queued behind a site's backoff delay (up to 60 s
    each after 503s) would still be waited for: minutes, until a supervisor's SIGKILL turns the partial
    run into a failed one. So the delays drop to zero and the queues are released at once.
    """

    def _signal_shutdown(self, signum, frame) -> None:
        from twisted.internet import reactor

        SHUTTING_DOWN.set()
        super()._signal_shutdown(signum, frame)
        reactor.callFromThread(self.cut_waits)

    def cut_waits(self) -> None:
        for crawler in list(self.crawlers):
            downloader = getattr(crawler.engine, "downloader", None)
            for slot in list(getattr(downloader, "slots", {}).values()):
                slot.delay = 0.0
                if slot.latercall is not None:
                    slot.latercall.cancel()
                    slot.latercall = None
                downloader._process_queue(slot)


@dataclass
class _SiteCrawl:
    site: SiteConfig
    run_id: int | None
    outcome: RunOutcome | None = None
    items: list[ObservedAd] = field(default_factory=list)
    demand: list = field(default_factory=list)
    deferred: object = None


# Called as on_occasion(observed_at) before an occasion's crawls start, and
# after_occasion(observed_at, outcomes) once they have all ended.
OccasionHook = Callable[[datetime], None]
OccasionDoneHook = Callable[[datetime, list[RunOutcome]], None]


def run_crawls(
    sites: list[SiteConfig],
    settings: Settings,
    store,
    *,
    observed_at: datetime | None = None,
    progress: ProgressCallback | None = None,
    max_detail_pages: int | None = None,
    key: tuple[StudyPeriod, SecretKey] | None = None,
) -> list[RunOutcome]:
    """Crawl the sites concurrently in this process (once per process: Twisted cannot restart).

    `key` is the study period and key to tokenise with (default: the active period's).
    With store=None nothing is written and the observations are returned on the outcomes
    (used by `sites check`).
    """
    occasion = observed_at or clock.now()
    [outcomes] = run_crawl_series(
        sites, settings, store, [occasion],
        progress=progress, max_detail_pages=max_detail_pages, key=key,
    )
    return outcomes


def _holding_site_locks(function):
    """Hold each site's crawl lock while crawling it: a second crawl of a site (manual or scheduled) is refused."""
    @functools.wraps(function)
    def crawl_locked(sites, settings, store, *args, **kwargs):
        if store is None:  # a dry run stores nothing
            return function(sites, settings, store, *args, **kwargs)
        from store.leases import lock_sites

        locks = lock_sites(store, [site.name for site in sites], ttl_s=settings.lease_ttl_s)
        try:
            return function(sites, settings, store, *args, **kwargs)
        finally:
            locks.release()
    return crawl_locked


@_holding_site_locks
def run_crawl_series(
    sites: list[SiteConfig],
    settings: Settings,
    store,
    occasions: list[datetime],
    *,
    progress: ProgressCallback | None = None,
    max_detail_pages: int | None = None,
    key: tuple[StudyPeriod, SecretKey] | None = None,
    before_occasion: OccasionHook | None = None,
    after_occasion: OccasionDoneHook | None = None,
) -> list[list[RunOutcome]]:
    """Crawl the sites once per occasion, one occasion after another, in a single Twisted reactor.

    Each occasion stamps its observations with its own time (a back-fill). Returns the
    outcomes per occasion, in order.
    """
    from scrapy.utils.reactor import install_reactor, is_reactor_installed
    from twisted.internet import defer

    if not is_reactor_installed():  # scrapy-playwright needs the asyncio reactor
        install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
    started = datetime.now(timezone.utc)
    period, secret = key or study_period_key(settings)
    anonymiser = Anonymiser(Tokeniser(secret), build_place_resolver(settings))
    SHUTTING_DOWN.clear()
    process = _CrawlerProcess({
        "LOG_ENABLED": True, "LOG_LEVEL": settings.log_level, "LOG_INSTALL_ROOT_HANDLER": False,
        "TELNETCONSOLE_ENABLED": False, "REMOTE_CONTROL_ENABLED": False,
    })
    configure_crawl_logging(settings, started)
    results: list[list[RunOutcome]] = []

    def crawl_occasion(observed_at: datetime) -> list[_SiteCrawl]:
        crawls = []
        for site in sites:
            crawl = _SiteCrawl(site, _start_run(store, site, observed_at, period.id))
            crawls.append(crawl)
            spidercls = type(f"{site.name.title().replace('-', '')}Spider", (SiteSpider,), {
                "name": site.name,
                "custom_settings": scrapy_settings(site, settings, store, crawl.run_id),
            })
            crawler = process.create_crawler(spidercls)
            _connect(crawler, crawl, store, progress, anonymiser, observed_at)
            crawl.deferred = process.crawl(
                crawler, site=site, anonymiser=anonymiser, observed_at=observed_at,
                max_detail_pages=max_detail_pages,
            )
        return crawls

    @defer.inlineCallbacks
    def crawl_all():
        try:
            for observed_at in occasions:
                if SHUTTING_DOWN.is_set():  # SIGTERM or Ctrl-C: no further occasion starts
                    break
                if before_occasion is not None:
                    before_occasion(observed_at)
                crawls = crawl_occasion(observed_at)
                ended = yield defer.DeferredList([c.deferred for c in crawls], consumeErrors=True)
                for crawl, (ok, failure) in zip(crawls, ended):
                    if not ok:
                        logger.error("%s: the crawl could not start: %s", crawl.site.name, failure.getErrorMessage())
                outcomes = [_settle(crawl, store) for crawl in crawls]
                results.append(outcomes)
                if after_occasion is not None:
                    after_occasion(observed_at, outcomes)
        finally:
            from twisted.internet import reactor

            from twisted.internet.error import ReactorNotRunning

            try:  # after SIGTERM or Ctrl-C Scrapy stops the reactor itself, maybe first
                reactor.stop()
            except ReactorNotRunning:
                pass

    process_errors: list = []
    from twisted.internet import reactor

    reactor.callWhenRunning(lambda: crawl_all().addErrback(process_errors.append))
    process.start(stop_after_crawl=False)
    if process_errors:
        process_errors[0].raiseException()
    return results


def _start_run(store, site: SiteConfig, observed_at: datetime, key_period: str) -> int | None:
    from store.runs import mark_abandoned_runs, start_run

    if store is None:
        return None
    mark_abandoned_runs(store, site.name)
    return start_run(
        store, site.name, site.display_name, site.config_version,
        parser_for(site).version, observed_at=observed_at, key_period=key_period,
    )


def _settle(crawl: _SiteCrawl, store) -> RunOutcome:
    """The crawl's outcome; a crawler that never closed normally (startup failure) is a failed run."""
    from store.runs import finish_run

    if crawl.outcome is None:
        crawl.outcome = RunOutcome(crawl.site.name, crawl.run_id, "failed", 0, 0, 1, 0, 0, None,
                                   "the crawl could not start; see the crawl log")
        if store is not None and crawl.run_id is not None:
            finish_run(store, crawl.run_id, "failed", pages=0, items=0, errors=1,
                                  parse_failures=0, listing_pages=0, finish_reason=None,
                                  note=crawl.outcome.note)
    return crawl.outcome


# Detail fields whose absence the spider counts as lagesbild/missing/<field>.
FILL_RATE_FIELDS = ("profile_id", "phone", "location", "category", "posted")


def fill_rates(site: SiteConfig, stats: dict) -> dict[str, float]:
    """Per configured field, the share of the run's ads where it was found (empty when no ad was seen)."""
    ads = ad_items(stats)
    rates = {}
    for name in FILL_RATE_FIELDS:
        if getattr(site.detail, name, None) is None:
            continue
        missing = int(stats.get(f"lagesbild/missing/{name}", 0))
        seen = max(ads, missing)
        if seen:
            rates[name] = 1.0 - missing / seen
    return rates


def _connect(crawler, crawl: _SiteCrawl, store, progress: ProgressCallback | None,
             anonymiser: Anonymiser, observed_at: datetime) -> None:
    from store.places import add_unresolved_places
    from store.runs import finish_run

    name = crawl.site.name

    def notify(event: str) -> None:
        if progress is not None:
            progress(name, event)

    def on_item(item, response, spider) -> None:
        if store is None:
            (crawl.items if isinstance(item, ObservedAd) else crawl.demand).append(item)
        notify("item")

    def on_closed(spider, reason) -> None:
        stats = dict(crawler.stats.get_stats())
        status, note = decide_status(stats, reason)
        crawl.outcome = RunOutcome(
            site=name, run_id=crawl.run_id, status=status,
            pages=int(stats.get("response_received_count", 0)),
            items=ad_items(stats),
            errors=count_errors(stats),
            parse_failures=ErrorCounts.of(stats).parse,
            listing_pages=int(stats.get("lagesbild/listing_pages", 0)),
            finish_reason=reason, note=note, observations=tuple(crawl.items), demand=tuple(crawl.demand),
        )
        unresolved = anonymiser.take_unresolved(name)
        if store is not None and crawl.run_id is not None:
            add_unresolved_places(store, name, unresolved, observed_at)
            outcome = crawl.outcome
            finish_run(
                store, crawl.run_id, status, pages=outcome.pages, items=outcome.items,
                errors=outcome.errors, parse_failures=outcome.parse_failures,
                listing_pages=outcome.listing_pages, finish_reason=reason, note=note,
                detail_pages=int(stats.get("lagesbild/detail_pages", 0)),
                fill_rates=fill_rates(crawl.site, stats),
            )
        notify("done")

    def on_page(response, request, spider) -> None:
        notify("page")

    def on_error(*args, **kwargs) -> None:
        notify("error")

    for handler, signal in ((on_item, signals.item_scraped), (on_page, signals.response_received),
                            (on_closed, signals.spider_closed), (on_error, signals.item_error),
                            (on_error, signals.spider_error)):
        crawler.signals.connect(handler, signal=signal, weak=False)
