"""Which parse functions a site uses: the generic config-driven ones, or a small site module."""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable

from config.errors import ConfigError
from config.sites import SiteConfig
from parsers import pages
from parsers.records import DetailAds

SITE_MODULE_PREFIX = "parsers.sites."


@dataclass(frozen=True)
class SiteParser:
    parse_listing: Callable
    parse_detail: Callable
    version: str
    parse_details: Callable = pages.parse_details  # every ad on a detail page, as DetailAds


def _one_ad_per_page(parse_detail: Callable) -> Callable:
    """parse_details for a module that only overrides parse_detail."""

    def parse_details(html, url, site, crawl_time, region_context=None) -> DetailAds:
        return DetailAds([parse_detail(html, url, site, crawl_time, region_context)])

    return parse_details


def parser_for(site: SiteConfig) -> SiteParser:
    """The site's parse functions; a named module may override any of them."""
    if site.parser is None:
        return SiteParser(pages.parse_listing, pages.parse_detail, pages.parser_version(), pages.parse_details)
    if not site.parser.startswith(SITE_MODULE_PREFIX):
        raise ConfigError(site.source_file, "parser", f"must be a module under {SITE_MODULE_PREFIX}*")
    try:
        module = importlib.import_module(site.parser)
    except ImportError:
        raise ConfigError(site.source_file, "parser", f"module {site.parser!r} not found") from None
    parse_detail = getattr(module, "parse_detail", pages.parse_detail)
    if hasattr(module, "parse_details"):
        parse_details = module.parse_details
    elif hasattr(module, "parse_detail"):
        parse_details = _one_ad_per_page(parse_detail)
    else:
        parse_details = pages.parse_details
    return SiteParser(
        getattr(module, "parse_listing", pages.parse_listing),
        parse_detail,
        f"{pages.parser_version()}+{getattr(module, 'PARSER_VERSION', '0')}",
        parse_details,
    )
