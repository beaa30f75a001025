"""Typed records passed between stages: what a page says, and what may be stored of it."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

CATEGORIES = ("Kvinna", "Man", "Trans", "Par", "okänd")
UNKNOWN_CATEGORY = "okänd"


@dataclass(frozen=True)
class ListingPage:
    """Links found on one listing page."""

    url: str
    region_urls: tuple[str, ...] = ()
    detail_urls: tuple[str, ...] = ()
    next_urls: tuple[str, ...] = ()
    region_context: str | None = None
    links_dropped: int = 0  # distinct region and detail links over listing.max_links_per_page, not followed


@dataclass(frozen=True)
class AdRecord:
    """One ad as parsed from its detail page.

    Plaintext identifiers and text live only in memory, until the anonymiser
    turns this into an ObservedAd. Never log, store or print an AdRecord.
    """

    site: str
    site_ad_id: str
    site_profile_id: str | None
    phone_e164: str | None
    location_text: str | None
    region_context: str | None
    category: str
    posted_at: datetime | None
    title: str | None = field(default=None, repr=False)
    text: str | None = field(default=None, repr=False)
    missing_fields: tuple[str, ...] = ()
    profile_name: str | None = field(default=None, repr=False)  # the profile's display name, to mask it
    price_per_hour: int | None = None  # whole SEK per hour stated by the ad (parsers/prices.py), never its text

    def __repr__(self) -> str:  # keep plaintext out of any accidental log line
        return f"AdRecord(site={self.site!r}, <redacted>)"

    __str__ = __repr__


class DetailAds(list):
    """The ads parsed from one detail page (a list of AdRecord), and the ads on it that could not be.

    `failures` holds one ParseError per ad container without an ad id; the other ads are kept.
    """

    def __init__(self, records=(), failures=()) -> None:
        super().__init__(records)
        self.failures: tuple = tuple(failures)

    def __repr__(self) -> str:  # the records are redacted by their own repr
        return f"DetailAds({len(self)} ads, {len(self.failures)} failures)"


@dataclass(frozen=True)
class ObservedAd:
    """What may be stored of one ad sighting: keyed tokens, a kommun code and coarse facts.

    Of the ad's wording only keyed MinHash sketches (parsers/sketches.py) and feature booleans
    (parsers/features.py) are kept; a feature is None when the ad had no wording to read.
    """

    site: str
    ad_token: str
    profile_token: str | None
    phone_token: str | None
    kommun_code: str | None
    unresolved_reason: str | None
    category: str
    observed_at: datetime
    posted_at: datetime | None
    text_sketch: str | None = None
    template_sketch: str | None = None
    obscured_phone: bool | None = None
    stated_ethnicity: bool | None = None
    youth_language: bool | None = None
    trust_language: bool | None = None
    stated_touring: bool | None = None
    tour_kommun_code: str | None = None  # the stated tour destination, resolved to a kommun
    price_per_hour: int | None = None  # whole SEK per hour stated by the ad, where the site gives prices
