"""The demand side, pure: is an ad an offer (utbud) or a request (efterfrågan), and buyer reviews from HTML.

An ad listed in a configured section takes the section's class. Otherwise, on a site whose config
says `classify_by_wording: true`, its title and text are read (in memory) against the lexicon in
config/lexicons/demand.yaml: masks such as "söker du" are removed, then the ad is a request when it
has more request cues ("man söker", "köper", "betalar bra", "looking for a girl") than offer cues
("ring mig", "bokning"). Only the class leaves this module's callers, never the wording.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Literal

from bs4 import BeautifulSoup

from config.demand_lexicon import DemandLexicon, load_demand_lexicon
from config.sites import SiteConfig
from parsers.dates import parse_swedish_date
from parsers.pages import Document, ParseError, document, selector_text

OFFER = "offer"
REQUEST = "request"
AD_CLASSES = (OFFER, REQUEST)
AdClass = Literal["offer", "request"]


@lru_cache(maxsize=8)
def _patterns(phrases: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, p.split())) + r"(?!\w)") for p in phrases)


def _hits(text: str, phrases: tuple[str, ...]) -> int:
    return sum(len(pattern.findall(text)) for pattern in _patterns(phrases))


def classify_wording(title: str | None, text: str | None, lexicon: DemandLexicon | None = None) -> AdClass:
    """'request' when the wording asks to buy, else 'offer' (see the module docstring)."""
    lexicon = lexicon or load_demand_lexicon()
    wording = " ".join(part for part in (title, text) if part).casefold()
    if not wording:
        return OFFER
    for pattern in _patterns(lexicon.masks):
        wording = pattern.sub(" ", wording)
    requests = _hits(wording, lexicon.requests)
    return REQUEST if requests and requests > _hits(wording, lexicon.offers) else OFFER


def classify_ad(site: SiteConfig, section_class: str | None, title: str | None, text: str | None,
                lexicon: DemandLexicon | None = None) -> AdClass:
    """An ad's class: its section's, else its wording's on sites that classify by wording, else 'offer'."""
    if section_class in AD_CLASSES:
        return section_class  # type: ignore[return-value]
    if site.classify_by_wording:
        return classify_wording(title, text, lexicon)
    return OFFER


@dataclass(frozen=True)
class ReviewRecord:
    """One review as parsed from a review list page. Plaintext lives only in memory: never log or store it."""

    site: str
    review_id: str
    reviewer_handle: str | None = field(repr=False)
    reviewed_at: datetime | None
    site_profile_id: str | None = field(repr=False)
    site_ad_id: str | None = field(repr=False)
    location_text: str | None = field(repr=False)

    def __repr__(self) -> str:
        return f"ReviewRecord(site={self.site!r}, <redacted>)"

    __str__ = __repr__


@dataclass(frozen=True)
class ReviewPage:
    """The reviews on one review list page, the pages it links on to, and reviews that could not be read."""

    reviews: tuple[ReviewRecord, ...]
    next_urls: tuple[str, ...] = ()
    failures: tuple[ParseError, ...] = ()


def _review_date(value: str | None, crawl_time: datetime) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return parse_swedish_date(value, crawl_time)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=crawl_time.tzinfo)


def parse_review_page(html: str, url: str, site: SiteConfig, crawl_time: datetime) -> ReviewPage:
    """Every review on a review list page, one per `reviews.container`, with the links to further pages."""
    config = site.reviews
    if config is None:
        raise ValueError(f"site {site.name!r} has no reviews config")
    page = Document(html, url)
    soup = BeautifulSoup(html, "lxml")
    records, failures = [], []
    for element in soup.select(config.container):
        doc = Document(str(element), url)
        fields = config.fields
        review_id = doc.value(fields.review_id)
        if not review_id:
            failures.append(ParseError(url, "review_id", selector_text(fields.review_id)))
            continue

        def optional(name: str) -> str | None:
            spec = getattr(fields, name)
            return doc.value(spec) if spec is not None else None

        records.append(ReviewRecord(
            site=site.name,
            review_id=review_id,
            reviewer_handle=optional("reviewer"),
            reviewed_at=_review_date(optional("date"), crawl_time),
            site_profile_id=optional("profile_id"),
            site_ad_id=optional("ad_id"),
            location_text=optional("location"),
        ))
    return ReviewPage(tuple(records), page.links(config.next_page), tuple(failures))


@dataclass(frozen=True)
class ObservedRequest:
    """What may be stored of one sighting of a buyer's ad: its keyed ad token, kommun and times. Nothing else."""

    site: str
    ad_token: str
    kommun_code: str | None
    unresolved_reason: str | None
    observed_at: datetime
    posted_at: datetime | None


@dataclass(frozen=True)
class ObservedReview:
    """What may be stored of one review: keyed tokens of the review id, the reviewer handle and the reviewed
    profile, the reviewed profile's kommun, and the review's own date. No name, handle, link or text."""

    site: str
    review_token: str
    reviewer_token: str | None
    profile_token: str | None
    kommun_code: str | None
    unresolved_reason: str | None
    reviewed_at: datetime | None
    observed_at: datetime


def section_links(html: str, url: str, site: SiteConfig) -> list[tuple[str, str]]:
    """(url, class) of the configured sections linked from a listing page."""
    if not site.sections:
        return []
    doc = document(html, url)
    cap = site.listing.max_links_per_page
    return [(link, section.ad_class) for section in site.sections for link in doc.links(section.links, cap)]


def review_links(html: str, url: str, site: SiteConfig) -> tuple[str, ...]:
    """Links from a listing page to the site's review list pages."""
    if site.reviews is None:
        return ()
    return document(html, url).links(site.reviews.links, site.listing.max_links_per_page)
