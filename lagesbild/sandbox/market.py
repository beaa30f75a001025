"""The sandbox market model: persons → per-site profiles → ads → per-site listings, built from a seed."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from lagesbild.sandbox.geography import (
    BIG_KOMMUN_WEIGHTS,
    SECOND_REGION,
    WHOLE_COUNTRY_TEXT,
    Kommun,
    ambiguous_when_folded,
    load_kommuner,
    region_for_kommun,
    write_location,
)
from lagesbild.sandbox.phones import FictionPhone, all_fiction_phones, phone_form_deck, write_phone
from lagesbild.sandbox.wording import (
    CATEGORY_WEIGHTS,
    FEMALE_NAMES,
    MALE_NAMES,
    pick_text,
    pick_title,
    relative_posted_text,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NATTSIDA = "nattsida"
STJARNSIDA = "stjarnsida"
KVALLSIDA = "kvallsida"
SITES = (NATTSIDA, STJARNSIDA, KVALLSIDA)
# Sites that show one phone number per profile (behind "Visa nummer"), not one per ad.
PROFILE_PHONE_SITES = frozenset({KVALLSIDA})

AD_ID_PREFIX = {NATTSIDA: "N", STJARNSIDA: "S", KVALLSIDA: "K"}
AD_ID_START = {NATTSIDA: 1001, STJARNSIDA: 2001, KVALLSIDA: 3001}
PROFILE_ID_PREFIX = {NATTSIDA: "np", STJARNSIDA: "sp", KVALLSIDA: "kp"}


@dataclass(frozen=True)
class MarketShape:
    """How big the market is and how its persons, profiles and ads overlap."""

    listings_per_site: dict[str, int] = field(
        default_factory=lambda: {NATTSIDA: 70, STJARNSIDA: 40, KVALLSIDA: 30})
    persons_on_both_sites: int = 12  # on nattsida and stjarnsida
    persons_on_all_sites: int = 4
    persons_with_two_profiles: dict[str, int] = field(
        default_factory=lambda: {NATTSIDA: 2, STJARNSIDA: 1, KVALLSIDA: 1})
    persons_without_phone: dict[str, int] = field(
        default_factory=lambda: {NATTSIDA: 3, STJARNSIDA: 1, KVALLSIDA: 1})
    profiles_with_several_ads: dict[str, int] = field(
        default_factory=lambda: {NATTSIDA: 8, STJARNSIDA: 5, KVALLSIDA: 6})
    ads_hiding_phone: int = 2  # ads of phone-bearing profiles that leave the number out
    small_kommuner: int = 15
    whole_country_share: float = 0.05  # ads located "Hela Sverige"
    two_region_share: float = 0.10  # nattsida ads listed on two region pages
    fixed_phone_share: float = 0.12
    max_age_days: int = 30


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
    # Ad features the wording carries (lagesbild.sandbox.wording.AD_FEATURES): planted truth.
    features: frozenset[str] = frozenset()


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

    @property
    def phone_text(self) -> str | None:
        return "".join(self.phone_parts) if self.phone_parts else None


@dataclass(frozen=True)
class Market:
    seed: int
    as_of: datetime
    kommuner: tuple[Kommun, ...]  # the municipalities the market uses
    persons: tuple[Person, ...]
    profiles: tuple[Profile, ...]
    ads: tuple[Ad, ...]
    listings: tuple[Listing, ...]

    @cached_property
    def _persons_by_id(self) -> dict[str, Person]:
        return {p.person_id: p for p in self.persons}

    @cached_property
    def _profiles_by_key(self) -> dict[tuple[str, str], Profile]:
        return {(p.site, p.site_profile_id): p for p in self.profiles}

    @cached_property
    def _listings_by_key(self) -> dict[tuple[str, str], Listing]:
        return {(lst.site, lst.site_ad_id): lst for lst in self.listings}

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
                }
                for lst in self.listings
            ],
        }


def normalize_as_of(as_of: datetime | str | None) -> datetime:
    """A Stockholm-time datetime without microseconds; naive input counts as Stockholm time."""
    if as_of is None:
        moment = datetime.now(STOCKHOLM)
    elif isinstance(as_of, str):
        moment = datetime.fromisoformat(as_of)
    else:
        moment = as_of
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=STOCKHOLM)
    return moment.astimezone(STOCKHOLM).replace(microsecond=0)


def build_truth(seed: int = 1, as_of: datetime | str | None = None) -> dict[str, Any]:
    """Ground truth without starting a server."""
    return build_market(seed, as_of).truth_dict()


# --- building -------------------------------------------------------------------------------


@dataclass
class _PersonPlan:
    profiles_per_site: dict[str, int]
    has_phone: bool = True


class _NamePool:
    """Hands out first names that are not yet used in this market."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._used: set[str] = set()

    def take(self, pool: tuple[str, ...]) -> str:
        free = [n for n in pool if n not in self._used]
        if free:
            name = self._rng.choice(free)
        else:  # pool exhausted: add an initial
            name = next(
                f"{n} {letter}" for letter in "ABDEFGHJKLMNPRST" for n in pool if f"{n} {letter}" not in self._used
            )
        self._used.add(name)
        return name

    def for_category(self, category: str) -> str:
        if category == "Man":
            return self.take(MALE_NAMES)
        if category == "Par":
            return f"{self.take(FEMALE_NAMES)} & {self.take(MALE_NAMES)}"
        if category == "Trans":
            return self.take(FEMALE_NAMES if self._rng.random() < 0.7 else MALE_NAMES)
        return self.take(FEMALE_NAMES)


def _plan_persons(rng: random.Random, shape: MarketShape) -> tuple[list[_PersonPlan], dict[tuple[int, str, int], int]]:
    """Which persons have which profiles, and how many ads each profile has.

    Returns the plans and a map (person index, site, profile number) → ad count.
    """
    plans = [_PersonPlan({NATTSIDA: 1, STJARNSIDA: 1}) for _ in range(shape.persons_on_both_sites)]
    plans += [_PersonPlan({site: 1 for site in SITES}) for _ in range(shape.persons_on_all_sites)]
    for site, count in shape.persons_with_two_profiles.items():
        plans += [_PersonPlan({site: 2}) for _ in range(count)]
    for site, count in shape.persons_without_phone.items():
        plans += [_PersonPlan({site: 1}, has_phone=False) for _ in range(count)]

    ad_counts: dict[tuple[int, str, int], int] = {}
    for site in SITES:
        slots = [
            (index, site, number)
            for index, plan in enumerate(plans)
            for number in range(plan.profiles_per_site.get(site, 0))
        ]
        for slot in slots:
            ad_counts[slot] = 1
        phone_slots = [slot for slot in slots if plans[slot[0]].has_phone]
        for slot in rng.sample(phone_slots, min(shape.profiles_with_several_ads[site], len(phone_slots))):
            ad_counts[slot] = rng.randint(2, 4)
        placed = sum(ad_counts[slot] for slot in slots)
        if placed > shape.listings_per_site[site]:
            raise ValueError(f"market shape places {placed} ads on {site}, more than its listing count")
        for _ in range(shape.listings_per_site[site] - placed):  # fill with one-ad, one-site persons
            plans.append(_PersonPlan({site: 1}))
            ad_counts[(len(plans) - 1, site, 0)] = 1
    return plans, ad_counts


def _weighted_big_kommun(rng: random.Random, big: list[str]) -> str:
    return rng.choices(big, weights=[BIG_KOMMUN_WEIGHTS[c] for c in big])[0]


def _posted_at(rng: random.Random, as_of: datetime, max_age_days: int) -> datetime:
    # Skewed toward recent: a third within a day, most within ten days.
    bucket = rng.random()
    if bucket < 0.3:
        minutes = rng.uniform(5, 24 * 60)
    elif bucket < 0.55:
        minutes = rng.uniform(24 * 60, 3 * 24 * 60)
    elif bucket < 0.8:
        minutes = rng.uniform(3 * 24 * 60, 10 * 24 * 60)
    else:
        minutes = rng.uniform(10 * 24 * 60, max_age_days * 24 * 60)
    moment = as_of.astimezone(timezone.utc) - timedelta(minutes=minutes)
    return moment.astimezone(STOCKHOLM).replace(second=0, microsecond=0)


def build_market(
    seed: int = 1,
    as_of: datetime | str | None = None,
    *,
    scale: float = 1.0,
    phone_space: str = "generated",
) -> Market:
    """The simulated market at a moment (lagesbild.sandbox.simulation); same inputs, same market.

    phone_space="fiction" uses only PTS fiction numbers (for committed fixtures).
    """
    from lagesbild.sandbox.simulation import simulation_for

    return simulation_for(seed, scale, phone_space).market_at(as_of)


def _build_legacy_market(
    seed: int = 1,
    as_of: datetime | str | None = None,
    *,
    kommuner_csv: Path | None = None,
    shape: MarketShape | None = None,
) -> Market:
    """The earlier single-snapshot market (being retired)."""
    shape = shape or MarketShape()
    as_of = normalize_as_of(as_of)
    rng = random.Random(seed)
    all_kommuner = load_kommuner(kommuner_csv)

    # Municipalities: the big ones, plus a seed-dependent handful of small ones.
    ambiguous = ambiguous_when_folded(all_kommuner)
    big = [code for code in BIG_KOMMUN_WEIGHTS if code in all_kommuner and code not in ambiguous]
    small_pool = sorted(code for code in all_kommuner if code not in BIG_KOMMUN_WEIGHTS and code not in ambiguous)
    small = rng.sample(small_pool, min(shape.small_kommuner, len(small_pool)))

    plans, ad_counts = _plan_persons(rng, shape)

    # Persons.
    mobile_pool, fixed_pool = all_fiction_phones()
    with_phone = [i for i, plan in enumerate(plans) if plan.has_phone]
    n_fixed = round(len(with_phone) * shape.fixed_phone_share)
    phones = rng.sample(mobile_pool, len(with_phone) - n_fixed) + rng.sample(fixed_pool, n_fixed)
    rng.shuffle(phones)
    phone_of = dict(zip(with_phone, phones))
    small_home = dict(zip(rng.sample(range(len(plans)), len(small)), small))

    names = _NamePool(rng)
    categories = list(CATEGORY_WEIGHTS)
    persons: list[Person] = []
    for index in range(len(plans)):
        category = rng.choices(categories, weights=[CATEGORY_WEIGHTS[c] for c in categories])[0]
        persons.append(
            Person(
                person_id=f"p{index + 1:03d}",
                name=names.for_category(category),
                category=category,
                age=rng.randint(21, 45),
                phone=phone_of.get(index),
                home_kommun_code=small_home.get(index) or _weighted_big_kommun(rng, big),
            )
        )

    # Profiles: ids are handed out in shuffled order so they do not follow person order.
    profile_slots: dict[str, list[tuple[int, int, str]]] = {site: [] for site in SITES}
    for index, plan in enumerate(plans):
        person = persons[index]
        for site in SITES:
            for number in range(plan.profiles_per_site.get(site, 0)):
                # A second profile on one site always gets another name; on both sites, sometimes.
                on_both_sites = len(plan.profiles_per_site) > 1
                alias_wanted = number > 0 or (site == STJARNSIDA and on_both_sites and rng.random() < 0.25)
                display = names.for_category(person.category) if alias_wanted else person.name
                profile_slots[site].append((index, number, display))
    profiles: list[Profile] = []
    profile_id_of: dict[tuple[int, str, int], str] = {}
    for site in SITES:
        order = list(range(len(profile_slots[site])))
        rng.shuffle(order)
        for position, slot_index in enumerate(order):
            index, number, display = profile_slots[site][slot_index]
            site_profile_id = f"{PROFILE_ID_PREFIX[site]}{position + 1:03d}"
            profile_id_of[(index, site, number)] = site_profile_id
            profiles.append(Profile(site, site_profile_id, persons[index].person_id, display))
    profiles.sort(key=lambda p: (SITES.index(p.site), p.site_profile_id))
    display_of = {(p.site, p.site_profile_id): p.display_name for p in profiles}

    # Ad slots, then which of them say "Hela Sverige" or leave the phone out.
    slot_order = sorted(ad_counts, key=lambda s: (s[0], SITES.index(s[1]), s[2]))
    ad_slots = [slot for slot in slot_order for _ in range(ad_counts[slot])]
    whole_country = set(rng.sample(range(len(ad_slots)), round(len(ad_slots) * shape.whole_country_share)))
    hideable = [i for i, slot in enumerate(ad_slots)
                if plans[slot[0]].has_phone and ad_counts[slot] > 1 and slot[1] not in PROFILE_PHONE_SITES]
    hide_phone = set(rng.sample(hideable, min(shape.ads_hiding_phone, len(hideable))))

    ads: list[Ad] = []
    seen_titles: set[str] = set()
    seen_texts: set[str] = set()
    ads_so_far: dict[tuple[int, str, int], int] = {}
    for slot_index, slot in enumerate(ad_slots):
        index, site, number = slot
        person = persons[index]
        nth_ad = ads_so_far.get(slot, 0)
        ads_so_far[slot] = nth_ad + 1
        if slot_index in whole_country:
            kommun_code = None
        elif nth_ad == 0 or rng.random() < 0.6:
            kommun_code = person.home_kommun_code
        else:  # touring
            kommun_code = _weighted_big_kommun(rng, big)
        city = all_kommuner[kommun_code].name if kommun_code else None
        name = display_of[(site, profile_id_of[slot])]
        couple = person.category == "Par"
        title = text = ""
        for _ in range(50):
            title = pick_title(rng, name, person.age, city, couple)
            text = pick_text(rng, name, person.age, city, couple)
            if title not in seen_titles and text not in seen_texts:
                break
        else:
            title, text = f"{title} ({slot_index + 1})", f"{text} Annons {slot_index + 1}."
        seen_titles.add(title)
        seen_texts.add(text)
        ads.append(
            Ad(
                ad_id=f"a{slot_index + 1:03d}",
                site=site,
                site_profile_id=profile_id_of[slot],
                person_id=person.person_id,
                category=person.category,
                kommun_code=kommun_code,
                title=title,
                text=text,
                posted_at=_posted_at(rng, as_of, shape.max_age_days),
                shows_phone=person.phone is not None and slot_index not in hide_phone,
            )
        )

    # Listings: per site, ids follow posting order (oldest ad has the lowest id).
    person_by_id = {p.person_id: p for p in persons}
    listings: list[Listing] = []
    for site in SITES:
        own = sorted((ad for ad in ads if ad.site == site), key=lambda ad: (ad.posted_at, ad.ad_id))
        two_regions: set[int] = set()
        # Every written phone form appears on every site; a profile-phone site writes one form per profile.
        writers = [ad for ad in own if ad.shows_phone and person_by_id[ad.person_id].phone]
        if site in PROFILE_PHONE_SITES:
            writers = list({ad.site_profile_id: ad for ad in writers}.values())
        form_of = dict(zip((ad.site_profile_id if site in PROFILE_PHONE_SITES else ad.ad_id for ad in writers),
                           phone_form_deck(rng, len(writers))))
        if site == NATTSIDA:
            two_regions = set(rng.sample(range(len(own)), round(len(own) * shape.two_region_share)))
        for position, ad in enumerate(own):
            person = person_by_id[ad.person_id]
            phone_parts: tuple[str, ...] = ()
            if ad.shows_phone and person.phone:
                form = form_of[ad.site_profile_id if site in PROFILE_PHONE_SITES else ad.ad_id]
                phone_parts = write_phone(person.phone, form)
            kommun = all_kommuner[ad.kommun_code] if ad.kommun_code else None
            location_text = write_location(kommun, rng) if kommun else WHOLE_COUNTRY_TEXT
            regions: tuple[str, ...] = ()
            if site == NATTSIDA:
                primary = region_for_kommun(kommun)
                regions = (primary, SECOND_REGION[primary]) if position in two_regions else (primary,)
            listings.append(
                Listing(
                    site=site,
                    site_ad_id=f"{AD_ID_PREFIX[site]}{AD_ID_START[site] + position}",
                    ad=ad,
                    phone_e164=person.phone_e164 if phone_parts else None,
                    phone_parts=phone_parts,
                    location_text=location_text,
                    posted_text=relative_posted_text(ad.posted_at, as_of),
                    region_pages=regions,
                )
            )

    used_codes = sorted({p.home_kommun_code for p in persons} | {a.kommun_code for a in ads if a.kommun_code})
    return Market(
        seed=seed,
        as_of=as_of,
        kommuner=tuple(all_kommuner[c] for c in used_codes),
        persons=tuple(persons),
        profiles=tuple(profiles),
        ads=tuple(ads),
        listings=tuple(listings),
    )
