"""The demand side of the simulated market: buyer ads (efterfrågan) and buyer reviews.

Buyers post ads asking to buy sex on Nattsidan (in its separate "Söker" section) and on Stjärnsidan
(mixed in with the offers, so only their wording tells them apart), and write reviews of Nattsidan
profiles under a handle. Both follow their own planted trend (DEMAND_TREND: +40 % a year across the
country), which differs from the supply side's (season, Syd up, Västerbotten down).

Everything is deterministic per (seed, scale, week), like the supply side. Arrival counts follow the
expected rate by cumulative rounding (no Poisson noise), so the planted trend is the only thing that
moves the national totals; where buyers live and what they write is drawn at random.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from sandbox.geography import WHOLE_COUNTRY_TEXT
from sandbox.market import NATTSIDA, STJARNSIDA, Ad, BuyerReview, Listing, Market
from sandbox.model import PlantedTrend
from sandbox.weeks import ID_WEEK_OFFSET, LONGEST_STAY_WEEKS, occasion, week_of, week_start
from sandbox.wording import REVIEW_TEXTS, REVIEW_TITLES, relative_posted_text

if TYPE_CHECKING:
    from sandbox.simulation import Simulation

REQUEST_SITES = (NATTSIDA, STJARNSIDA)  # Nattsidan: a "Söker" section; Stjärnsidan: mixed with offers
REQUEST_SITE_WEIGHTS = (0.6, 0.4)
REQUEST_ARRIVALS_PER_WEEK = 28.0  # at scale 1 and the epoch, before the trend
REQUEST_WEEKS = 4  # a buyer ad stays up this many weekly occasions
REQUEST_POST_WINDOW_H = 48  # posted Monday or Tuesday, so it is up from that week's crawl occasion on
REVIEWS_PER_WEEK = 20.0  # on Nattsidan, at scale 1 and the epoch
REVIEW_VISIBLE_DAYS = 35  # a review is listed this long
REVIEWERS_AT_SCALE_1 = 160  # the pool of reviewer handles
WHOLE_COUNTRY_SHARE = 0.03
REVIEW_SITES = (NATTSIDA,)
REQUEST_PREFIX = {NATTSIDA: "NS", STJARNSIDA: "SS"}
BUYER_PROFILE_PREFIX = {NATTSIDA: "nb", STJARNSIDA: "sb"}


def demand_trend() -> "PlantedTrend":
    return PlantedTrend("efterfrågan ökar", "riket", "SE", yearly_change=0.40)


# Buyer ad wording: {city} is the buyer's place. Every text has one or more request cues of
# config/lexicons/demand.yaml; titles need not (a buyer may write "Söker sällskap ikväll", which is also how
# offers talk), and some texts borrow an offer's words ("Söker du extrapengar?") or are written in English.
REQUEST_TITLES = (
    "Man söker tjej i {city}",
    "Söker tjej för diskret träff – {city}",
    "Generös man söker sällskap ikväll",
    "Köper massage med avslutning i {city}",
    "Svensk kille söker kvinna – betalar bra",
    "Söker escort i {city}",
    "Looking for a girl in {city} tonight",
    "Herre söker ung tjej, {city}",
    "Looking for a girl tonight – {city}",
    "Want to meet a nice girl in {city}",
    "Söker sällskap ikväll i {city}",
    "Söker du extrapengar? {city}",
    "Any girl in {city} who wants to meet?",
)
REQUEST_TEXTS = (
    "Trevlig och diskret man, {age} år, söker tjej för träffar i {city}. Betalar bra för rätt person. Hör av dig här.",
    "Söker en tjej som kan ta emot hemma eller komma hit. Betalar kontant. Svara med pris.",
    "Jag är en generös man som vill träffa en tjej ikväll. Köper gärna en timme, gärna i {city} med omnejd.",
    "Köper sex av trevlig tjej. Diskretion utlovas. Endast svar via sidans meddelanden.",
    "Gift man söker diskret sällskap dagtid. Betalar bra. Skriv vad du tar.",
    "Looking for a discreet girl for a few hours. Will pay well. Send me a message here.",
    "Söker kvinna för regelbundna träffar mot ersättning. Är {age} år och vårdad.",
    "Want to meet a discreet girl in {city} tonight. I can pay well. Message me here.",
    "Man, {age}, söker sällskap ikväll i {city}. Betalar bra för rätt tjej.",
    "Söker du extrapengar? Trevlig herre i {city} vill ses en kväll, gärna redan i helgen.",
    "Want to meet a girl tonight, {city} or nearby. Discreet, message me here.",
    "Looking for a girl tonight, {city} or nearby. Can pay, discretion assured.",
    "Vill du tjäna extra? Vårdad man på {age} år söker tjej för diskreta träffar.",
)
REQUEST_CATEGORIES = ("Kvinna", "Kvinna", "Kvinna", "Trans", "Man")  # whom the buyer looks for

_HANDLE_FIRST = ("Natt", "Stads", "Skogs", "Sjö", "Fjäll", "Hamn", "Kvälls", "Vinter", "Norr", "Väst")
_HANDLE_SECOND = ("Vandraren", "Ugglan", "Resenären", "Gästen", "Kännaren", "Herren", "Vargen", "Seglaren")


@dataclass(frozen=True)
class _Request:
    number: int
    week: int
    site: str
    posted_at: datetime
    kommun_code: str | None
    title: int
    text: int
    category: str
    age: int


class Demand:
    """The demand side of one Simulation; `attach(market)` adds buyer ads and reviews to a market."""

    def __init__(self, simulation: "Simulation") -> None:
        self.simulation = simulation
        self.trend = demand_trend()
        self.config = simulation.config

    # -- rates -------------------------------------------------------------------------------------

    def trend_factor(self, week: float) -> float:
        return max(0.1, 1.0 + self.trend.yearly_change * week / 52.0)

    def _integral(self, base: float, week: int) -> float:
        """Expected arrivals from the epoch to the start of `week` (the trend's factor integrated)."""
        g = self.trend.yearly_change / 52.0
        return base * self.config.scale * (week + g * week * week / 2.0)

    def request_count(self, week: int) -> int:
        return (math.floor(self._integral(REQUEST_ARRIVALS_PER_WEEK, week + 1))
                - math.floor(self._integral(REQUEST_ARRIVALS_PER_WEEK, week)))

    def review_count(self, week: int) -> int:
        return (math.floor(self._integral(REVIEWS_PER_WEEK, week + 1))
                - math.floor(self._integral(REVIEWS_PER_WEEK, week)))

    # -- buyer ads ---------------------------------------------------------------------------------

    @lru_cache(maxsize=256)
    def _requests(self, week: int) -> tuple[_Request, ...]:
        sim = self.simulation
        rng = random.Random(f"{self.config.seed}:{self.config.scale}:requests:{week}")
        codes = sim._codes
        weights = [sim._population[c] for c in codes]
        out = []
        for number in range(self.request_count(week)):
            site = rng.choices(REQUEST_SITES, weights=REQUEST_SITE_WEIGHTS)[0]
            posted = week_start(week) + timedelta(minutes=rng.uniform(0, REQUEST_POST_WINDOW_H * 60))
            kommun = None if rng.random() < WHOLE_COUNTRY_SHARE else rng.choices(codes, weights=weights)[0]
            out.append(_Request(number, week, site, posted.replace(second=0, microsecond=0), kommun,
                                rng.randrange(len(REQUEST_TITLES)), rng.randrange(len(REQUEST_TEXTS)),
                                rng.choice(REQUEST_CATEGORIES), rng.randint(25, 65)))
        return tuple(out)

    def _request_listing(self, request: _Request, as_of: datetime, week: int) -> Listing:
        site = request.site
        closed = self.simulation.closed_sites(week)
        if site in closed:  # a closed site's buyers move to Nattsidan's Söker section
            site = NATTSIDA
        code = f"{request.week + ID_WEEK_OFFSET:04d}{request.number:03d}"
        kommun = self.simulation.kommuner.get(request.kommun_code) if request.kommun_code else None
        city = kommun.name if kommun else "hela Sverige"
        title = REQUEST_TITLES[request.title].format(city=city)
        text = REQUEST_TEXTS[request.text].format(city=city, age=request.age)
        ad = Ad(
            ad_id=f"b{code}", site=site, site_profile_id=f"{BUYER_PROFILE_PREFIX[site]}{code}",
            person_id=f"buyer{code}", category=request.category, kommun_code=request.kommun_code,
            title=title, text=text, posted_at=request.posted_at, shows_phone=False, advert_id=f"b{code}",
            kind="request",
        )
        return Listing(
            site=site, site_ad_id=f"{REQUEST_PREFIX[site]}{code}", ad=ad, phone_e164=None, phone_parts=(),
            location_text=kommun.name if kommun else WHOLE_COUNTRY_TEXT,
            posted_text=relative_posted_text(request.posted_at, as_of), region_pages=(),
        )

    def requests_at(self, as_of: datetime) -> list[Listing]:
        week = week_of(as_of)
        listings = []
        for first in range(week - REQUEST_WEEKS, week + 1):
            for request in self._requests(first):
                expires = request.posted_at + timedelta(weeks=REQUEST_WEEKS)
                if request.posted_at <= as_of < expires:
                    listings.append(self._request_listing(request, as_of, week))
        return listings

    # -- reviews -----------------------------------------------------------------------------------

    def reviewer_handle(self, number: int) -> str:
        rng = random.Random(f"{self.config.seed}:reviewer:{number}")
        return f"{rng.choice(_HANDLE_FIRST)}{rng.choice(_HANDLE_SECOND).lower()}_{number + 100}"

    def _reviewed_profiles(self, week: int) -> list[tuple[str, str | None]]:
        """Nattsidan profiles active at the week's occasion, with the kommun of their advert."""
        sim = self.simulation
        moment = occasion(week)
        found: dict[str, str | None] = {}
        for w in range(week - LONGEST_STAY_WEEKS, week + 1):
            for life in sim._arrivals(w):
                if not (life.arrive_at <= moment < life.leave_at):
                    continue
                for advert in life.adverts:
                    if advert.start > moment or NATTSIDA not in advert.sites:
                        continue
                    number = advert.number % 2 if NATTSIDA == life.second_profile_site else 0
                    profile = sim._profile_id(life, NATTSIDA, number)
                    found.setdefault(profile, None if advert.whole_country else sim._location_at(life, moment))
        return sorted(found.items())

    @lru_cache(maxsize=256)
    def _reviews(self, week: int) -> tuple[BuyerReview, ...]:
        count = self.review_count(week)
        if not count:
            return ()
        profiles = self._reviewed_profiles(week)
        if not profiles:
            return ()
        rng = random.Random(f"{self.config.seed}:{self.config.scale}:reviews:{week}")
        pool = max(10, round(REVIEWERS_AT_SCALE_1 * self.config.scale))
        weights = [1.0 / (i + 1) ** 0.7 for i in range(pool)]
        out = []
        for number in range(count):
            profile, kommun_code = rng.choice(profiles)
            reviewer = rng.choices(range(pool), weights=weights)[0]
            written = week_start(week) + timedelta(minutes=rng.uniform(0, 7 * 24 * 60))
            kommun = self.simulation.kommuner.get(kommun_code) if kommun_code else None
            out.append(BuyerReview(
                site=NATTSIDA,
                review_id=f"r{week + ID_WEEK_OFFSET:04d}{number:03d}",
                reviewer_handle=self.reviewer_handle(reviewer),
                title=rng.choice(REVIEW_TITLES),
                text=rng.choice(REVIEW_TEXTS),
                stars=rng.randint(2, 5),
                written_at=written.replace(second=0, microsecond=0),
                site_profile_id=profile,
                kommun_code=kommun_code,
                location_text=kommun.name if kommun else WHOLE_COUNTRY_TEXT,
            ))
        return tuple(out)

    def reviews_at(self, as_of: datetime) -> list[BuyerReview]:
        week = week_of(as_of)
        shown = []
        for w in range(week - REVIEW_VISIBLE_DAYS // 7 - 1, week + 1):
            shown += [r for r in self._reviews(w)
                      if r.written_at <= as_of < r.written_at + timedelta(days=REVIEW_VISIBLE_DAYS)]
        return shown

    # -- the market --------------------------------------------------------------------------------

    def attach(self, market: Market) -> Market:
        """The market with this moment's buyer ads and reviews."""
        requests = tuple(sorted(self.requests_at(market.as_of), key=lambda lst: (lst.site, lst.site_ad_id)))
        reviews = tuple(sorted(self.reviews_at(market.as_of), key=lambda r: (r.site, r.review_id)))
        return replace(market, requests=requests, reviews=reviews)


def attach_demand(simulation: "Simulation", market: Market) -> Market:
    """Buyer ads and reviews for a supply market built by `simulation` (one Demand per simulation)."""
    demand = getattr(simulation, "_demand", None)
    if demand is None:
        demand = Demand(simulation)
        simulation._demand = demand
    return demand.attach(market)
