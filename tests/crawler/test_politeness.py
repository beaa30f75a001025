"""Politeness and the closed network: backoff on 429/503, and a browser that fetches only the site itself."""
from types import SimpleNamespace

from scrapy import Request
from scrapy.http import Response

from config.settings import BUNDLED_SITES_DIR
from config.sites import load_site
from crawler.middlewares import BackoffMiddleware
from crawler.runner import BrowserRequestFilter, scrapy_settings


class FakeCrawler:
    def __init__(self, delay: float) -> None:
        self.slot = SimpleNamespace(delay=delay)
        self.engine = SimpleNamespace(downloader=SimpleNamespace(slots={"127.0.0.1": self.slot}))
        self.stats = SimpleNamespace(values={}, inc_value=lambda key: None)


def respond(middleware, status: int, headers=None):
    request = Request("http://127.0.0.1/x", meta={"download_slot": "127.0.0.1"})
    middleware.process_response(request, Response(request.url, status=status, headers=headers or {}))


def test_backoff_doubles_honours_retry_after_and_eases_back():
    crawler = FakeCrawler(delay=1.0)
    middleware = BackoffMiddleware(crawler, base_delay_s=1.0, max_delay_s=60.0)
    respond(middleware, 503)
    assert crawler.slot.delay == 2.0
    respond(middleware, 429, {"Retry-After": "30"})
    assert crawler.slot.delay == 30.0
    respond(middleware, 503, {"Retry-After": "999"})
    assert crawler.slot.delay == 60.0
    respond(middleware, 200)
    assert crawler.slot.delay == 45.0
    for _ in range(50):
        respond(middleware, 200)
    assert crawler.slot.delay == 1.0


def test_browser_blocks_media_and_other_hosts():
    site = load_site(BUNDLED_SITES_DIR / "stjarnsida.yaml")
    blocked = BrowserRequestFilter(site)
    request = lambda url, kind: SimpleNamespace(url=url, resource_type=kind)  # noqa: E731
    origin = site.start_urls[0].rsplit("/stjarnsida/", 1)[0]
    assert not blocked(request(f"{origin}/stjarnsida/api/annonser?sida=1", "fetch"))
    assert not blocked(request(f"{origin}/stjarnsida/", "document"))
    for kind in ("image", "media", "font"):
        assert blocked(request(f"{origin}/bild.jpg", kind))
    assert blocked(request("https://cdn.example.com/x.js", "script"))


def test_each_site_gets_its_own_rate_limit_and_an_identifying_user_agent():
    from config.settings import Settings

    site = load_site(BUNDLED_SITES_DIR / "nattsida.yaml")
    values = scrapy_settings(site, Settings(), store=None, run_id=None)
    assert values["DOWNLOAD_DELAY"] == site.rate_limit.delay_s
    assert values["CONCURRENT_REQUESTS_PER_DOMAIN"] == site.rate_limit.concurrency
    assert values["ROBOTSTXT_OBEY"] is True and "lagesbild" in values["USER_AGENT"]
    assert values["HTTPCACHE_ENABLED"] is False and values["TELNETCONSOLE_ENABLED"] is False
    assert values["REMOTE_CONTROL_ENABLED"] is False
    assert "DOWNLOAD_HANDLERS" not in values  # plain HTTP sites never start a browser
