"""A seeded, week-by-week simulation of a fictional escort-ad market with known truth.

Persons arrive every week (home kommun in proportion to population, times the planted
trends), stay for a heavy-tailed time, and post adverts on one or more sites. Adverts are
reposted under new ids, cross-posted, listed on two region pages, and some persons belong
to networks (one phone, shared text template) or tour along circuits. Every arrival week
has its own random stream, so the market at any moment is the same whichever series it
is part of: `market_at(t)` is a pure function of (seed, scale, phone space, t).
"""
from __future__ import annotations

import csv
import hashlib
import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Literal

from sandbox.geography import (
    SECOND_REGION,
    WHOLE_COUNTRY_TEXT,
    Kommun,
    ambiguous_when_folded,
    load_kommuner,
    region_for_kommun,
    write_location,
)
from sandbox.market import (
    AD_ID_PREFIX,
    KVALLSIDA,
    NATTSIDA,
    PROFILE_ID_PREFIX,
    PROFILE_PHONE_SITES,
    SITES,
    STJARNSIDA,
    STOCKHOLM,
    Ad,
    Listing,
    Market,
    Person,
    Profile,
    normalize_as_of,
)
from sandbox.phones import FICTION_RANGES, FictionPhone, all_fiction_phones, pick_phone_form, write_phone
from sandbox.prices import advert_price, write_price
from sandbox.wording import (
    CATEGORY_WEIGHTS,
    FEMALE_NAMES,
    MALE_NAMES,
    SWEDISH_MONTHS,
    OBSCURED_PHONE_FORMS,
    AdvertWording,
    compose_advert,
    obscure_phone,
    relative_posted_text,
)

_REPO_ROOT = Path(__file__).resolve().parents[1]
POPULATION_CSV = _REPO_ROOT / "config" / "geo" / "folkmangd_kommun_2019.csv"
LAN_POLISREGION_CSV = _REPO_ROOT / "config" / "geo" / "lan_polisregion.csv"

EPOCH = date(2025, 1, 6)  # Monday of simulation week 0
OCCASION_WEEKDAY = 2  # weekly crawl occasions: Wednesdays …
OCCASION_TIME = time(3, 0)  # … at 03:00 Stockholm time
LONGEST_STAY_WEEKS = 104  # arrivals further back than this have all left
_ID_WEEK_OFFSET = 500  # keeps week numbers in ids positive

PhoneSpace = Literal["generated", "fiction"]


# --- the model's knobs ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PlantedTrend:
    """A market trend built into the arrival rate (what `evaluate` and the analysis should find)."""

    name: str
    level: str  # "riket", "polisregion" or "lan"
    region: str  # polisregion name or länskod; "SE" for riket
    yearly_change: float = 0.0  # +0.30 = 30 % more arrivals each year than the year before
    seasonal_amplitude: float = 0.0  # ± share around the mean
    peak_week_of_year: int = 28


DEFAULT_TRENDS: tuple[PlantedTrend, ...] = (
    PlantedTrend("säsong", "riket", "SE", seasonal_amplitude=0.15, peak_week_of_year=28),
    PlantedTrend("ökning i Syd", "polisregion", "Syd", yearly_change=0.30),
    PlantedTrend("minskning i Västerbottens län", "lan", "24", yearly_change=-0.30),
)

# Circuits touring profiles follow, one week per stop (kommun codes).
TOUR_CIRCUITS: tuple[tuple[str, ...], ...] = (
    ("0180", "1480", "1280"),  # Stockholm → Göteborg → Malmö → …
    ("0380", "1980", "1880"),  # Uppsala → Västerås → Örebro
    ("2281", "2480", "2580"),  # Sundsvall → Umeå → Luleå
    ("0580", "0581", "0680"),  # Linköping → Norrköping → Jönköping
)

# Which sites a person has a profile on, with weights.
SITE_MIXES: tuple[tuple[tuple[str, ...], int], ...] = (
    ((NATTSIDA,), 40),
    ((STJARNSIDA,), 15),
    ((KVALLSIDA,), 10),
    ((NATTSIDA, STJARNSIDA), 20),
    ((NATTSIDA, KVALLSIDA), 8),
    ((NATTSIDA, STJARNSIDA, KVALLSIDA), 7),
)
REPOST_INTERVALS_DAYS = (7, 10, 14, 21, 30)  # a listing lives this long, then comes back under a new id

# Network adverts: one template, slots ({name}, {age}, {city}; {phone}: the network's number, obscured)
# filled per profile, and the ad features the template carries (truth for the feature shares).
NETWORK_TEMPLATES: tuple[tuple[str, str], ...] = (
    ("Ny tjej i {city} – {name} {age}",
     "Hej, jag heter {name} och är {age} år. Ny i {city} bara denna vecka. Asiatisk skönhet, ung och blyg. "
     "Ring för bokning, endast sms först. Diskret lägenhet nära centrum."),
    ("{name} ({age}) – söt och trevlig i {city}",
     "{name} här, {age} år. Jag har precis kommit till {city}. 100 % äkta bilder. Tider varje dag mellan 10 "
     "och 22. Skriv ett sms till {phone} så svarar min assistent."),
    ("Exklusivt sällskap i {city}: {name}, {age}",
     "Välkommen! {name}, {age}, finns i {city} några dagar. Brasiliansk och pålitlig. Bokning via sms. "
     "Inga dolda nummer. Fräscht och diskret."),
    ("Söt {name} {age} – endast kort tid i {city}",
     "Hej älskling, {name} heter jag och är {age}. Jag stannar i {city} en kort tid. Thailändsk, ung och "
     "oerfaren. Öppet dygnet runt, även helger. Endast sms, inga samtal."),
    ("{name}, {age} år, tar emot i {city}",
     "Mitt namn är {name}, {age} år. Du hittar mig i {city} nära stationen. Verifierad profil. Ring {phone} "
     "för tid, min väninna svarar. Inga kort, endast kontant."),
    ("Ny i {city}! {name} ({age})",
     "{name}, {age}, ny i {city}. Rumänsk tjej med härlig personlighet. Tider hela dagen. Skriv på sms så "
     "ordnar vi resten. Lägenheten ligger centralt."),
    ("{city}: {name} {age} – diskret och trevlig",
     "Välkommen till {name}, {age} år, i {city}. Jag tar emot i lugn lägenhet. Tider från morgon till sen "
     "kväll. Bokning via sms till {phone}. Vi ses!"),
    ("{name} ({age}) – bara denna vecka i {city}",
     "Hej! {name} här, {age}. Bara denna vecka i {city}. Asiatisk, ung och glad. 100 % äkta bilder. "
     "Sms för bokning, svar inom fem minuter."),
)
NETWORK_TEMPLATE_FEATURES: tuple[frozenset[str], ...] = (
    frozenset({"ethnicity", "youth"}),
    frozenset({"trust", "obscured_phone"}),
    frozenset({"ethnicity", "trust"}),
    frozenset({"ethnicity", "youth"}),
    frozenset({"trust", "obscured_phone"}),
    frozenset({"ethnicity"}),
    frozenset({"obscured_phone"}),
    frozenset({"ethnicity", "youth", "trust"}),
)
# How often an individual advert carries each ad feature (an obscured number only when there is a phone).
FEATURE_SHARES: dict[str, float] = {"obscured_phone": 0.08, "ethnicity": 0.10, "youth": 0.05, "trust": 0.12}


IncidentKind = Literal["outage", "partial", "layout_change", "site_closed"]
INCIDENT_KINDS: tuple[str, ...] = ("outage", "partial", "layout_change", "site_closed")


@dataclass(frozen=True)
class Incident:
    """A planted site incident: a crawl-quality problem that is not a market change.

    outage: the site answers 503 everywhere; partial: a share of its detail pages fail;
    layout_change: its pages change markup so the configured selectors miss; site_closed: the
    site shuts for good (410) and its advertisers move to `successor`, so the market stays the same.
    """

    kind: IncidentKind
    site: str
    week: int
    weeks: int | None = 1  # how long it lasts; None = for good
    successor: str | None = None

    def active_in(self, week: int) -> bool:
        return week >= self.week and (self.weeks is None or week < self.week + self.weeks)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "site": self.site, "week": self.week, "weeks": self.weeks,
                "successor": self.successor}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Incident":
        return cls(data["kind"], data["site"], int(data["week"]), data.get("weeks"), data.get("successor"))


def default_incidents(first_week: int, weeks: int) -> tuple[Incident, ...]:
    """The incidents a back-filled series plants, spread over its weeks (none in very short series)."""
    if weeks < 4:
        return ()
    return (
        Incident("outage", STJARNSIDA, first_week + weeks // 3),
        Incident("partial", NATTSIDA, first_week + weeks // 2),
        Incident("layout_change", KVALLSIDA, first_week + (2 * weeks) // 3),
        Incident("site_closed", STJARNSIDA, first_week + (5 * weeks) // 6, None, successor=KVALLSIDA),
    )


@dataclass(frozen=True)
class SimulationConfig:
    """Everything that decides a simulated market, besides the moment."""

    seed: int = 1
    scale: float = 1.0  # arrivals per week relative to the default market
    phone_space: PhoneSpace = "generated"  # "fiction": only PTS fiction numbers (for committed fixtures)
    arrivals_per_week: float = 8.0  # at scale 1, before season and trends
    network_arrivals_per_week: float = 0.25
    network_size: tuple[int, int] = (3, 10)
    touring_share: float = 0.08
    whole_country_share: float = 0.05
    hidden_phone_share: float = 0.05
    no_phone_share: float = 0.04
    two_region_share: float = 0.10
    cross_post_share: float = 0.6
    fixed_phone_share: float = 0.08
    median_stay_days: float = 14.0
    mean_stay_days: float = 73.0
    trends: tuple[PlantedTrend, ...] = DEFAULT_TRENDS
    sites: tuple[str, ...] = SITES
    incidents: tuple[Incident, ...] = ()

    def __post_init__(self) -> None:
        if not (0 < self.scale <= 50):
            raise ValueError("scale must be above 0 and at most 50")
        if self.phone_space not in ("generated", "fiction"):
            raise ValueError("phone_space must be 'generated' or 'fiction'")


# --- calendar -------------------------------------------------------------------------------------


def week_start(week: int) -> datetime:
    """Monday 00:00 (Stockholm) of a simulation week."""
    return datetime.combine(EPOCH + timedelta(weeks=week), time(0, 0), tzinfo=STOCKHOLM)


def week_of(moment: datetime | str | date) -> int:
    """The simulation week holding a moment (naive times count as Stockholm time)."""
    if isinstance(moment, date) and not isinstance(moment, datetime):
        day = moment
    else:
        day = normalize_as_of(moment).date()
    return (day - EPOCH).days // 7


def occasion(week: int) -> datetime:
    """The weekly crawl occasion of a week: Wednesday 03:00 Stockholm time."""
    day = EPOCH + timedelta(weeks=week, days=OCCASION_WEEKDAY)
    return datetime.combine(day, OCCASION_TIME, tzinfo=STOCKHOLM)


def parse_week(text: str) -> int:
    """A week given as a simulation week number ('98') or an ISO week ('2026-W47')."""
    value = text.strip()
    if value.lstrip("-").isdigit():
        return int(value)
    try:
        monday = datetime.strptime(value + "-1", "%G-W%V-%u").date()
    except ValueError:
        raise ValueError(f"week {text!r} is neither a week number nor an ISO week like 2026-W47") from None
    return (monday - EPOCH).days // 7


def recent_occasions(weeks: int, now: datetime | None = None) -> list[datetime]:
    """The last `weeks` weekly occasions that are not in the future, oldest first."""
    now = normalize_as_of(now)
    last = week_of(now)
    if occasion(last) > now:
        last -= 1
    return [occasion(w) for w in range(last - weeks + 1, last + 1)]


# --- the people behind the market -----------------------------------------------------------------


@dataclass(frozen=True)
class _Advert:
    number: int
    start: datetime
    sites: tuple[str, ...]
    repost_days: dict[str, int]
    whole_country: bool
    hides_phone: bool


@dataclass(frozen=True)
class _Life:
    """One person's whole stay in the market."""

    code: str  # unique, stable: arrival week + index
    arrival_week: int
    arrive_at: datetime
    leave_at: datetime
    category: str
    age: int
    name: str
    home: str  # kommun code
    phone: FictionPhone | None
    sites: tuple[str, ...]
    second_profile_site: str | None  # a site where the person keeps two profiles
    adverts: tuple[_Advert, ...]
    circuit: tuple[str, ...] | None = None
    network_id: str | None = None
    template: int | None = None
    aliases: dict[str, str] = field(default_factory=dict)  # per-site display name when it differs


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 30:  # normal approximation is plenty for large means
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, product, count = math.exp(-mean), rng.random(), 0
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _stable_int(*parts: object) -> int:
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8, person=b"lagesbild-sim").digest()
    return int.from_bytes(digest, "big")


class Simulation:
    """The simulated market for one configuration; ask it for the market at any moment."""

    def __init__(self, config: SimulationConfig | None = None, *, kommuner_csv: Path | None = None) -> None:
        self.config = config or SimulationConfig()
        self.kommuner = load_kommuner(kommuner_csv)
        self._ambiguous = ambiguous_when_folded(self.kommuner)
        self._population = _load_population(self.kommuner)
        self._polisregion_of_lan = _load_polisregion_of_lan()
        self._codes = sorted(self._population)
        self._fiction_mobile, self._fiction_fixed = all_fiction_phones()

    # -- public ------------------------------------------------------------------------------------

    def market_at(self, moment: datetime | str | None = None) -> Market:
        """The market as it stands at a moment: who is active, what each site lists."""
        as_of = normalize_as_of(moment)
        week = week_of(as_of)
        lives = [life for w in range(week - LONGEST_STAY_WEEKS, week + 1) for life in self._arrivals(w)
                 if life.arrive_at <= as_of < life.leave_at]
        persons, profiles, ads, listings = [], [], [], []
        used: set[str] = set()
        for life in lives:
            person_id = f"p{life.code}"
            persons.append(Person(person_id, life.name, life.category, life.age, life.phone, life.home,
                                  network_id=life.network_id))
            used.add(life.home)
            for site in self._open_sites(life.sites, week):
                for number in range(2 if site == life.second_profile_site else 1):
                    profiles.append(Profile(site, self._profile_id(life, site, number), person_id,
                                            self._display_name(life, site, number)))
            for advert in life.adverts:
                if advert.start > as_of:
                    continue
                kommun_code = None if advert.whole_country else self._location_at(life, as_of)
                if kommun_code:
                    used.add(kommun_code)
                for site in self._open_sites(advert.sites, week):
                    ad, listing = self._listing(life, advert, site, kommun_code, as_of, person_id)
                    ads.append(ad)
                    listings.append(listing)
        profiles.sort(key=lambda p: (p.site, p.site_profile_id))
        listings.sort(key=lambda lst: (lst.site, lst.site_ad_id))
        from sandbox.demand import attach_demand  # buyer ads and reviews (issue 9)

        return attach_demand(self, Market(
            seed=self.config.seed,
            as_of=as_of,
            kommuner=tuple(self.kommuner[c] for c in sorted(used)),
            persons=tuple(persons),
            profiles=tuple(profiles),
            ads=tuple(ads),
            listings=tuple(listings),
        ))

    def closed_sites(self, week: int) -> dict[str, str | None]:
        """Sites closed in a week, each with the site its advertisers moved to."""
        return {i.site: i.successor for i in self.config.incidents if i.kind == "site_closed" and i.active_in(week)}

    def _open_sites(self, sites: tuple[str, ...], week: int) -> list[str]:
        """The sites an advert is on in a week: closed sites are replaced by their successors."""
        closed = self.closed_sites(week)
        result: list[str] = []
        for site in sites:
            while site in closed:
                site = closed[site]
            if site is not None and site in self.config.sites and site not in result:
                result.append(site)
        return result

    def arrival_rate(self, week: int, kommun_code: str) -> float:
        """Expected arrivals per week in one kommun (season and planted trends included)."""
        total = sum(self._population.values())
        base = self.config.arrivals_per_week * self.config.scale * self._population[kommun_code] / total
        return base * self._trend_factor(week, kommun_code)

    def planted_trends(self) -> list[dict[str, Any]]:
        return [
            {"name": t.name, "level": t.level, "region": t.region, "yearly_change": t.yearly_change,
             "seasonal_amplitude": t.seasonal_amplitude, "peak_week_of_year": t.peak_week_of_year}
            for t in self.config.trends
        ]

    # -- arrivals ----------------------------------------------------------------------------------

    def _trend_factor(self, week: int, kommun_code: str) -> float:
        lan = kommun_code[:2]
        factor = 1.0
        for trend in self.config.trends:
            applies = (
                trend.level == "riket"
                or (trend.level == "lan" and trend.region == lan)
                or (trend.level == "polisregion" and trend.region == self._polisregion_of_lan.get(lan))
            )
            if not applies:
                continue
            if trend.yearly_change:  # compounding, so the relative change per year is the same in any window
                factor *= (1.0 + trend.yearly_change) ** (week / 52.0)
            if trend.seasonal_amplitude:
                week_of_year = week_start(week).isocalendar().week
                factor *= 1.0 + trend.seasonal_amplitude * math.cos(
                    2 * math.pi * (week_of_year - trend.peak_week_of_year) / 52.0)
        return factor

    @lru_cache(maxsize=512)
    def _arrivals(self, week: int) -> tuple[_Life, ...]:
        cfg = self.config
        rng = random.Random(f"{cfg.seed}:{cfg.scale}:arrivals:{week}")
        weights = [self.arrival_rate(week, code) for code in self._codes]
        expected = sum(weights)
        lives: list[_Life] = []
        for _ in range(_poisson(rng, expected)):
            home = rng.choices(self._codes, weights=weights)[0]
            lives.append(self._new_life(rng, week, len(lives), home))
        for network_no in range(_poisson(rng, cfg.network_arrivals_per_week * cfg.scale)):
            lives.extend(self._new_network(rng, week, len(lives), network_no, weights))
        return tuple(lives)

    def _new_life(self, rng: random.Random, week: int, index: int, home: str, *,
                  network: tuple[str, FictionPhone | None, int, tuple[str, ...]] | None = None,
                  arrive_at: datetime | None = None, taken_names: set[str] | None = None) -> _Life:
        cfg = self.config
        code = f"{week + _ID_WEEK_OFFSET:04d}{index:03d}"
        arrive_at = arrive_at or week_start(week) + timedelta(minutes=rng.uniform(0, 7 * 24 * 60))
        arrive_at = arrive_at.replace(second=0, microsecond=0)
        sigma = math.sqrt(2 * math.log(cfg.mean_stay_days / cfg.median_stay_days))
        stay_days = min(rng.lognormvariate(math.log(cfg.median_stay_days), sigma), (LONGEST_STAY_WEEKS - 1) * 7)
        leave_at = arrive_at + timedelta(days=max(stay_days, 1.0))
        categories = list(CATEGORY_WEIGHTS)
        category = "Kvinna" if network else rng.choices(categories, weights=[CATEGORY_WEIGHTS[c] for c in categories])[0]
        age = rng.randint(19, 25) if network else rng.randint(21, 45)
        name = self._name(rng, category)
        for _ in range(20):  # network members go by different names
            if taken_names is None or name not in taken_names:
                break
            name = self._name(rng, category)
        if taken_names is not None:
            taken_names.add(name)
        if network:
            phone = network[1]
            sites = network[3]
        else:
            phone = self._phone(rng, code) if rng.random() >= cfg.no_phone_share else None
            mixes = [m for m, _ in SITE_MIXES]
            sites = rng.choices(mixes, weights=[w for _, w in SITE_MIXES])[0]
        second = sites[0] if (not network and rng.random() < 0.05) else None
        aliases = {site: self._name(rng, category) for site in sites[1:] if rng.random() < 0.25}
        circuit = None
        if not network and stay_days >= 21 and rng.random() < cfg.touring_share / 0.5:  # half stay ≥ 3 weeks
            circuit = rng.choice(TOUR_CIRCUITS)
        advert_count = 1 if network else rng.choices((1, 2, 3), weights=(65, 25, 10))[0]
        adverts = []
        for number in range(advert_count):
            start = arrive_at if number == 0 else arrive_at + timedelta(days=rng.uniform(1, min(stay_days, 21)))
            posted_on = sites if (len(sites) == 1 or rng.random() < cfg.cross_post_share) else (rng.choice(sites),)
            adverts.append(_Advert(
                number=number,
                start=start.replace(second=0, microsecond=0),
                sites=tuple(posted_on),
                repost_days={site: rng.choice(REPOST_INTERVALS_DAYS) for site in posted_on},
                whole_country=circuit is None and rng.random() < cfg.whole_country_share,
                hides_phone=phone is not None and rng.random() < cfg.hidden_phone_share,
            ))
        return _Life(
            code=code, arrival_week=week, arrive_at=arrive_at, leave_at=leave_at, category=category,
            age=age, name=name, home=home, phone=phone, sites=tuple(sites), second_profile_site=second,
            adverts=tuple(adverts), circuit=circuit,
            network_id=network[0] if network else None, template=network[2] if network else None,
            aliases=aliases,
        )

    def _new_network(self, rng: random.Random, week: int, first_index: int, network_no: int,
                     weights: list[float]) -> list[_Life]:
        """3–10 profiles run from one phone, sharing a text template, in one police region."""
        cfg = self.config
        anchor = rng.choices(self._codes, weights=weights)[0]
        region = self._polisregion_of_lan.get(anchor[:2])
        in_region = [c for c in self._codes if self._polisregion_of_lan.get(c[:2]) == region]
        region_weights = [self._population[c] for c in in_region]
        network_id = f"n{week + _ID_WEEK_OFFSET:04d}{network_no:02d}"
        phone = self._phone(rng, network_id)
        template = rng.randrange(len(NETWORK_TEMPLATES))
        sites = rng.choice(((NATTSIDA,), (NATTSIDA, STJARNSIDA), (STJARNSIDA,), (NATTSIDA, KVALLSIDA)))
        arrive_at = week_start(week) + timedelta(minutes=rng.uniform(0, 3 * 24 * 60))
        size = rng.randint(*cfg.network_size)
        names: set[str] = set()
        return [
            self._new_life(rng, week, first_index + i, rng.choices(in_region, weights=region_weights)[0],
                           network=(network_id, phone, template, sites),
                           arrive_at=arrive_at + timedelta(hours=rng.uniform(0, 48)), taken_names=names)
            for i in range(size)
        ]

    def _name(self, rng: random.Random, category: str) -> str:
        if category == "Man":
            return rng.choice(MALE_NAMES)
        if category == "Par":
            return f"{rng.choice(FEMALE_NAMES)} & {rng.choice(MALE_NAMES)}"
        if category == "Trans":
            return rng.choice(FEMALE_NAMES if rng.random() < 0.7 else MALE_NAMES)
        return rng.choice(FEMALE_NAMES)

    def _phone(self, rng: random.Random, owner: str) -> FictionPhone:
        """A phone number: generated at run time (never committed), or a PTS fiction number."""
        fixed = rng.random() < self.config.fixed_phone_share
        if self.config.phone_space == "fiction":
            pool = self._fiction_fixed if fixed else self._fiction_mobile
            return pool[_stable_int(self.config.seed, owner) % len(pool)]
        if fixed:
            area = rng.choice(("8", "31", "40", "18", "13", "90"))
            digits = 8 if area == "8" else 7 if len(area) == 2 else 6
            subscriber = str(rng.randrange(2 * 10 ** (digits - 1), 10 ** digits))
        else:
            area = rng.choice(("70", "72", "73", "76", "79"))
            subscriber = str(rng.randrange(10 ** 6, 10 ** 7))
        phone = FictionPhone(area, subscriber.zfill(len(subscriber)))
        for fiction_area, first, last in FICTION_RANGES:  # keep the fiction ranges for fixtures
            if area == fiction_area and first <= int(subscriber) <= last:
                return FictionPhone(area, str(int(subscriber) + 1000))
        return phone

    # -- what the sites show -----------------------------------------------------------------------

    def _profile_id(self, life: _Life, site: str, number: int) -> str:
        return f"{PROFILE_ID_PREFIX[site]}{life.code}{number}"

    def _display_name(self, life: _Life, site: str, number: int) -> str:
        name = life.aliases.get(site, life.name)
        return name if number == 0 else f"{name} {'ABDEFGHJKL'[_stable_int(life.code, site) % 10]}"

    def _location_at(self, life: _Life, moment: datetime) -> str:
        if life.circuit is None:
            return life.home
        weeks_in = (moment - life.arrive_at).days // 7
        return life.circuit[weeks_in % len(life.circuit)]

    def _listing(self, life: _Life, advert: _Advert, site: str, kommun_code: str | None,
                 as_of: datetime, person_id: str) -> tuple[Ad, Listing]:
        interval = timedelta(days=advert.repost_days.get(site, 30))
        repost = int((as_of - advert.start) / interval)
        posted_at = advert.start + repost * interval
        site_ad_id = f"{AD_ID_PREFIX[site]}{life.code}{advert.number}{repost:02d}"
        profile_number = advert.number % 2 if site == life.second_profile_site else 0
        site_profile_id = self._profile_id(life, site, profile_number)
        kommun = self.kommuner.get(kommun_code) if kommun_code else None
        city = kommun.name if kommun else None
        features = self._advert_features(life, advert)
        title, text = self._wording(life, advert, features).fill(self._advert_name(life, advert), life.age, city)
        if life.circuit is not None:
            text += " " + self._tour_note(life, as_of)
        listing_rng = random.Random(f"{self.config.seed}:listing:{site_ad_id}:{kommun_code}")
        phone_parts: tuple[str, ...] = ()
        if life.phone is not None and (not advert.hides_phone or site in PROFILE_PHONE_SITES):
            phone_parts = write_phone(life.phone, pick_phone_form(listing_rng))
        if kommun is None:
            location_text = WHOLE_COUNTRY_TEXT
        else:
            location_text = write_location(kommun, listing_rng, keep_diacritics=kommun.code in self._ambiguous)
        regions: tuple[str, ...] = ()
        if site == NATTSIDA:
            primary = region_for_kommun(kommun)
            two = listing_rng.random() < self.config.two_region_share
            regions = (primary, SECOND_REGION[primary]) if two else (primary,)
        ad = Ad(
            ad_id=f"a{life.code}{advert.number}{site[0]}",
            site=site,
            site_profile_id=site_profile_id,
            person_id=person_id,
            category=life.category,
            kommun_code=kommun_code,
            title=title,
            text=text,
            posted_at=posted_at,
            shows_phone=bool(phone_parts),
            advert_id=f"a{life.code}{advert.number}",
            network_id=life.network_id,
            template_id=f"t{life.template}" if life.template is not None else None,
            touring=life.circuit is not None,
            features=features,
            price_per_hour=advert_price(self.config.seed, life.code, advert.number, life.category, life.home),
        )
        price_text, stated_price = write_price(random.Random(f"{self.config.seed}:price:{site_ad_id}"), site,
                                               ad.price_per_hour)
        listing = Listing(
            site=site,
            site_ad_id=site_ad_id,
            ad=ad,
            phone_e164=life.phone.e164 if phone_parts and life.phone else None,
            phone_parts=phone_parts,
            location_text=location_text,
            posted_text=relative_posted_text(posted_at, as_of),
            region_pages=regions,
            price_text=price_text,
            price_per_hour=stated_price,
        )
        return ad, listing

    def _advert_name(self, life: _Life, advert: _Advert) -> str:
        """The name an advert's wording uses: its first site's profile name, copied to every site it is on."""
        first = advert.sites[0]
        return self._display_name(life, first, advert.number % 2 if first == life.second_profile_site else 0)

    def _advert_features(self, life: _Life, advert: _Advert) -> frozenset[str]:
        """The ad features an advert carries: its network template's, or drawn per advert."""
        if life.template is not None:
            return NETWORK_TEMPLATE_FEATURES[life.template]
        rng = random.Random(f"{self.config.seed}:features:{life.code}:{advert.number}")
        drawn = {feature for feature, share in FEATURE_SHARES.items() if rng.random() < share}
        if life.phone is None:
            drawn.discard("obscured_phone")
        if life.category == "Par":
            drawn.discard("youth")
        return frozenset(drawn)

    def _obscured_phone(self, life: _Life, key: str) -> str | None:
        if life.phone is None:
            return None
        form = OBSCURED_PHONE_FORMS[_stable_int(self.config.seed, key, "obscured") % len(OBSCURED_PHONE_FORMS)]
        return obscure_phone(f"0{life.phone.area}{life.phone.subscriber}", form)

    def _wording(self, life: _Life, advert: _Advert, features: frozenset[str]) -> AdvertWording:
        """An advert's wording: the same on every site and in every repost (only its city slot may change)."""
        if life.template is not None:
            title, text = NETWORK_TEMPLATES[life.template]
            phone = self._obscured_phone(life, life.network_id or life.code) or ""
            return AdvertWording(title, text.replace("{phone}", phone.replace("{", "{{").replace("}", "}}")))
        rng = random.Random(f"{self.config.seed}:text:{life.code}:{advert.number}")
        return compose_advert(rng, couple=life.category == "Par", has_city=not advert.whole_country,
                              features=features, obscured_phone=self._obscured_phone(life, life.code))

    def _tour_note(self, life: _Life, moment: datetime) -> str:
        """'Turnerar: Göteborg 12–14 nov' — the next stop of the circuit."""
        weeks_in = (moment - life.arrive_at).days // 7
        next_code = life.circuit[(weeks_in + 1) % len(life.circuit)]
        next_monday = (life.arrive_at + timedelta(weeks=weeks_in + 1)).date()
        last_day = next_monday + timedelta(days=2)
        month = SWEDISH_MONTHS[last_day.month - 1]
        return f"Turnerar: {self.kommuner[next_code].name} {next_monday.day}–{last_day.day} {month}"


# --- geography inputs -----------------------------------------------------------------------------


def _load_population(kommuner: dict[str, Kommun]) -> dict[str, int]:
    with POPULATION_CSV.open(encoding="utf-8", newline="") as handle:
        rows = {row["kommunkod"]: int(row["folkmangd"]) for row in csv.DictReader(handle)}
    return {code: rows[code] for code in kommuner if code in rows}


def _load_polisregion_of_lan() -> dict[str, str]:
    with LAN_POLISREGION_CSV.open(encoding="utf-8", newline="") as handle:
        return {row["lanskod"]: row["polisregion"] for row in csv.DictReader(handle)}


@lru_cache(maxsize=8)
def simulation_for(seed: int = 1, scale: float = 1.0, phone_space: PhoneSpace = "generated") -> Simulation:
    """A shared Simulation per configuration (building one reads the geography files)."""
    return Simulation(SimulationConfig(seed=seed, scale=scale, phone_space=phone_space))


@dataclass(frozen=True)
class Series:
    """A back-filled crawl series: which simulated weeks were crawled, at what moments."""

    seed: int
    scale: float
    occasions: tuple[datetime, ...]

    @cached_property
    def weeks(self) -> tuple[int, ...]:
        return tuple(week_of(moment) for moment in self.occasions)

    def to_dict(self) -> dict[str, Any]:
        return {"seed": self.seed, "scale": self.scale, "occasions": [o.isoformat() for o in self.occasions]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Series":
        return cls(int(data["seed"]), float(data["scale"]),
                   tuple(datetime.fromisoformat(o) for o in data["occasions"]))
