"""The sandbox market at one moment: persons → per-site profiles → ads → per-site listings (see simulation.py)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from config import clock
from sandbox.geography import Kommun
from sandbox.phones import FictionPhone

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NATTSIDA = "nattsida"
STJARNSIDA = "stjarnsida"
KVALLSIDA = "kvallsida"
SITES = (NATTSIDA, STJARNSIDA, KVALLSIDA)
# Sites that show one phone number per profile (behind "Visa nummer"), not one per ad.
PROFILE_PHONE_SITES = frozenset({KVALLSIDA})

AD_ID_PREFIX = {NATTSIDA: "N", STJARNSIDA: "S", KVALLSIDA: "K"}
PROFILE_ID_PREFIX = {NATTSIDA: "np", STJARNSIDA: "sp", KVALLSIDA: "kp"}


@dataclass(frozen=True)
class Person:
    person_id: str
    name: str
    category: str
    age: int
    phone: FictionPhone | None
    home_kommun_code: str
    network_id: str | None = None  # persons run from one phone share a network id

    @property
    def phone_e164(self) -> str | None:
        return self.phone.e164 if self.phone else None


@dataclass(frozen=True)
class Profile:
    site: str
    site_profile_id: str
    person_id: str
    display_name: str


@dataclass(frozen=True)
class Ad:
    """What a profile advertises; site-independent wording lives here."""

    ad_id: str
    site: str
    site_profile_id: str
    person_id: str
    category: str
    kommun_code: str | None  # None: the ad says "Hela Sverige"
    title: str
    text: str
    posted_at: datetime
    shows_phone: bool
    advert_id: str = ""  # the underlying advert: shared by its reposts and cross-posts
    network_id: str | None = None
    template_id: str | None = None  # network adverts share a text template
    touring: bool = False
    # Ad features the wording carries (sandbox.wording.AD_FEATURES): planted truth.
    features: frozenset[str] = frozenset()
    kind: str = "offer"  # "offer" (utbud) or "request" (efterfrågan: a buyer's ad, sandbox.demand)
    price_per_hour: int | None = None  # the advert's price per hour in SEK (sandbox.prices)


@dataclass(frozen=True)
class Listing:
    """How one ad appears on its site: id, and the written forms of phone, place and date."""

    site: str
    site_ad_id: str
    ad: Ad
    phone_e164: str | None
    phone_parts: tuple[str, ...]  # several parts are rendered as one <span> each; empty = no phone
    location_text: str
    posted_text: str
    region_pages: tuple[str, ...]  # nattsida region slugs; empty on sites without regions
    price_text: str | None = None  # the price as the site writes it; None: no price shown
    price_per_hour: int | None = None  # the hour price that text states (None: none, e.g. only a 30-min price)

    @property
    def phone_text(self) -> str | None:
        return "".join(self.phone_parts) if self.phone_parts else None


@dataclass(frozen=True)
class BuyerReview:
    """A buyer's review of a profile (sandbox.demand): who wrote it, when, and where the profile was."""

    site: str
    review_id: str
    reviewer_handle: str
    title: str
    text: str
    stars: int
    written_at: datetime
    site_profile_id: str  # the reviewed profile
    kommun_code: str | None  # the reviewed profile's kommun when the review was written; None: "Hela Sverige"
    location_text: str


@dataclass(frozen=True)
class Market:
    seed: int
    as_of: datetime
    kommuner: tuple[Kommun, ...]  # the municipalities the market uses
    persons: tuple[Person, ...]
    profiles: tuple[Profile, ...]
    ads: tuple[Ad, ...]
    listings: tuple[Listing, ...]  # offers (utbud)
    requests: tuple[Listing, ...] = ()  # buyer ads (efterfrågan), Listing.ad.kind == "request"
    reviews: tuple[BuyerReview, ...] = ()  # buyer reviews visible on the sites

    @cached_property
    def _persons_by_id(self) -> dict[str, Person]:
        return {p.person_id: p for p in self.persons}

    @cached_property
    def _profiles_by_key(self) -> dict[tuple[str, str], Profile]:
        return {(p.site, p.site_profile_id): p for p in self.profiles}

    @cached_property
    def _listings_by_key(self) -> dict[tuple[str, str], Listing]:
        return {(lst.site, lst.site_ad_id): lst for lst in (*self.listings, *self.requests)}

    @cached_property
    def _kommuner_by_code(self) -> dict[str, Kommun]:
        return {k.code: k for k in self.kommuner}

    def person(self, person_id: str) -> Person | None:
        return self._persons_by_id.get(person_id)

    def profile(self, site: str, site_profile_id: str) -> Profile | None:
        return self._profiles_by_key.get((site, site_profile_id))

    def listing(self, site: str, site_ad_id: str) -> Listing | None:
        return self._listings_by_key.get((site, site_ad_id))

    def kommun(self, code: str | None) -> Kommun | None:
        return self._kommuner_by_code.get(code) if code else None

    def listings_on(self, site: str) -> list[Listing]:
        """A site's listings, newest first (the order listing pages show them in)."""
        own = [lst for lst in self.listings if lst.site == site]
        return sorted(own, key=lambda lst: (lst.ad.posted_at, lst.site_ad_id), reverse=True)

    def requests_on(self, site: str) -> list[Listing]:
        """A site's buyer ads, newest first."""
        own = [lst for lst in self.requests if lst.site == site]
        return sorted(own, key=lambda lst: (lst.ad.posted_at, lst.site_ad_id), reverse=True)

    def reviews_on(self, site: str) -> list[BuyerReview]:
        """A site's visible reviews, newest first."""
        own = [r for r in self.reviews if r.site == site]
        return sorted(own, key=lambda r: (r.written_at, r.review_id), reverse=True)

    def listings_in_region(self, slug: str) -> list[Listing]:
        return [lst for lst in self.listings_on(NATTSIDA) if slug in lst.region_pages]

    def listings_of_profile(self, site: str, site_profile_id: str) -> list[Listing]:
        return [lst for lst in self.listings_on(site) if lst.ad.site_profile_id == site_profile_id]

    def profiles_on(self, site: str) -> list[Profile]:
        """A site's profiles that have at least one listing, by profile id."""
        listed = {lst.ad.site_profile_id for lst in self.listings if lst.site == site}
        return sorted((p for p in self.profiles if p.site == site and p.site_profile_id in listed),
                      key=lambda p: p.site_profile_id)

    def _profile_name(self, listing: Listing) -> str | None:
        profile = self.profile(listing.site, listing.ad.site_profile_id)
        return profile.display_name if profile else None

    def truth_dict(self) -> dict[str, Any]:
        """The ground truth as one JSON-ready object (what /_truth.json serves)."""
        return {
            "seed": self.seed,
            "as_of": self.as_of.isoformat(),
            "listings": [
                {
                    "site": lst.site,
                    "site_ad_id": lst.site_ad_id,
                    "site_profile_id": lst.ad.site_profile_id,
                    "person_id": lst.ad.person_id,
                    "phone_e164": lst.phone_e164,
                    "phone_text": lst.phone_text,
                    "kommun_code": lst.ad.kommun_code,
                    "location_text": lst.location_text,
                    "category": lst.ad.category,
                    "title": lst.ad.title,
                    "text": lst.ad.text,
                    "region_pages": list(lst.region_pages),
                    "posted_text": lst.posted_text,
                    "posted_at": lst.ad.posted_at.isoformat(),
                    "advert_id": lst.ad.advert_id or lst.ad.ad_id,
                    "network_id": lst.ad.network_id,
                    "template_id": lst.ad.template_id,
                    "touring": lst.ad.touring,
                    "features": sorted(lst.ad.features),
                    "profile_name": self._profile_name(lst),
                    "kind": lst.ad.kind,
                    "price_text": lst.price_text,
                    "price_per_hour": lst.price_per_hour,  # as stated on the page: what a parser should read
                    "advert_price_per_hour": lst.ad.price_per_hour,
                }
                for lst in self.listings
            ],
            "requests": [
                {
                    "site": lst.site,
                    "site_ad_id": lst.site_ad_id,
                    "site_profile_id": lst.ad.site_profile_id,
                    "kind": lst.ad.kind,
                    "kommun_code": lst.ad.kommun_code,
                    "location_text": lst.location_text,
                    "title": lst.ad.title,
                    "text": lst.ad.text,
                    "posted_text": lst.posted_text,
                    "posted_at": lst.ad.posted_at.isoformat(),
                }
                for lst in self.requests
            ],
            "reviews": [
                {
                    "site": r.site,
                    "review_id": r.review_id,
                    "reviewer_handle": r.reviewer_handle,
                    "title": r.title,
                    "text": r.text,
                    "stars": r.stars,
                    "written_at": r.written_at.isoformat(),
                    "site_profile_id": r.site_profile_id,
                    "kommun_code": r.kommun_code,
                    "location_text": r.location_text,
                }
                for r in self.reviews
            ],
        }


def normalize_as_of(as_of: datetime | str | None) -> datetime:
    """A Stockholm-time datetime without microseconds; naive input counts as Stockholm time."""
    if as_of is None:
        moment = clock.now()  # LAGESBILD_NOW, when set, is the sandbox's current week too
    elif isinstance(as_of, str):
        moment = datetime.fromisoformat(as_of)
    else:
        moment = as_of
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=STOCKHOLM)
    return moment.astimezone(STOCKHOLM).replace(microsecond=0)
