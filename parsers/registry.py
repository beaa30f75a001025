"""Which parse functions a site uses: the generic config-driven ones, or a small site module."""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable

from config.errors import ConfigError
from config.sites import SiteConfig
from parsers import pages

SITE_MODULE_PREFIX = "parsers.sites."


@dataclass(frozen=True)
class SiteParser:
    parse_listing: Callable
    parse_detail: Callable
    version: str


def parser_for(site: SiteConfig) -> SiteParser:
    """The site's parse functions; a named module may override either one."""
    if site.parser is None:
        return SiteParser(pages.parse_listing, pages.parse_detail, pages.PARSER_VERSION)
    if not site.parser.startswith(SITE_MODULE_PREFIX):
        raise ConfigError(site.source_file, "parser", f"must be a module under {SITE_MODULE_PREFIX}*")
    try:
        module = importlib.import_module(site.parser)
    except ImportError:
        raise ConfigError(site.source_file, "parser", f"module {site.parser!r} not found") from None
    return SiteParser(
        getattr(module, "parse_listing", pages.parse_listing),
        getattr(module, "parse_detail", pages.parse_detail),
        f"{pages.PARSER_VERSION}+{getattr(module, 'PARSER_VERSION', '0')}",
    )
