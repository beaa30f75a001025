"""The simulation's knobs: planted trends, touring circuits, site mixes, templates, feature shares, incidents, config."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sandbox.market import KVALLSIDA, NATTSIDA, SITES, STJARNSIDA

PhoneSpace = Literal["generated", "fiction"]


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
