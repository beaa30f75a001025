"""Where a dashboard page is: period labels (parsed, shifted, the default choice) and regions (by code or
name, their breadcrumbs and children), with the Swedish labels every page uses."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Mapping, Sequence
from urllib.parse import quote

from analysis import periods
from analysis.counts import LEVELS, UNRESOLVED
from config.geo import Geography
from web.quality import OPEN, STARTED, PeriodQuality

LEVEL_LABELS = {"riket": "Riket", "polisregion": "Polisregion", "lan": "Län", "kommun": "Kommun"}
LEVEL_PLURAL = {"riket": "Riket", "polisregion": "Polisregioner", "lan": "Län", "kommun": "Kommuner"}
PERIOD_LABELS = {"week": "Vecka", "month": "Månad", "quarter": "Kvartal", "year": "År"}
PERIOD_NOUNS = {"week": "veckan", "month": "månaden", "quarter": "kvartalet", "year": "året"}
CHILD_LEVEL = {"riket": "polisregion", "polisregion": "lan", "lan": "kommun"}
RIKET = "SE"
UNRESOLVED_NAME = "Okänd plats"
SUPPRESSED_TEXT = ".."


class NotFound(LookupError):
    """A region or period the dashboard does not know."""


# --- periods --------------------------------------------------------------------------

def period_kind(label: str) -> str:
    """The kind of a period label (analysis.periods.period_kind); NotFound when it is none."""
    kind = periods.period_kind(label)
    if kind is None:
        raise NotFound(f"okänd period {label!r}")
    return kind


def parse_period(label: str) -> tuple[str, str]:
    """(kind, normalised label) of a period such as 2026-Q3, 2026-11, 2026-W47 or 2026; NotFound if invalid."""
    text = label.strip().upper()
    try:
        if "-W" in text:
            year, week = text.split("-W")
            date.fromisocalendar(int(year), int(week), 1)
            return "week", f"{int(year)}-W{int(week):02d}"
        if "-Q" in text:
            year, quarter = text.split("-Q")
            if not 1 <= int(quarter) <= 4:
                raise ValueError
            return "quarter", f"{int(year)}-Q{int(quarter)}"
        if "-" in text:
            year, month = text.split("-")
            if not 1 <= int(month) <= 12 or len(year) != 4:
                raise ValueError
            return "month", f"{int(year)}-{int(month):02d}"
        if text.isdigit() and len(text) == 4:
            return "year", text
    except ValueError:
        pass
    raise NotFound(f"{label!r} är ingen period; skriv till exempel 2026-Q3, 2026-11, 2026-W47 eller 2026")


def shift_period(label: str, kind: str, steps: int) -> str | None:
    """The label `steps` periods after (negative: before) `label`."""
    if kind == "week":
        year, week = label.split("-W")
        monday = date.fromisocalendar(int(year), int(week), 1) + timedelta(weeks=steps)
        iso = monday.isocalendar()
        return f"{iso[0]}-W{iso[1]:02d}"
    if kind == "month":
        year, month = map(int, label.split("-"))
        index = year * 12 + month - 1 + steps
        return f"{index // 12}-{index % 12 + 1:02d}"
    if kind == "quarter":
        year, quarter = label.split("-Q")
        index = int(year) * 4 + int(quarter) - 1 + steps
        return f"{index // 4}-Q{index % 4 + 1}"
    if kind == "year":
        return str(int(label) + steps)
    raise NotFound(f"okänd periodtyp {kind!r}")


def same_period_last_year(label: str, kind: str) -> str | None:
    if kind == "week":
        year, week = label.split("-W")
        try:
            date.fromisocalendar(int(year) - 1, int(week), 1)
        except ValueError:
            return None  # week 53 has no twin
        return f"{int(year) - 1}-W{week}"
    if kind in ("month", "quarter"):
        year, rest = label.split("-", 1)
        return f"{int(year) - 1}-{rest}"
    return str(int(label) - 1)


def default_selection(labels: Sequence[str], qualities: Mapping[str, PeriodQuality]) -> str | None:
    """The latest whole period: ended (an ongoing one undercounts) and not cut by the start of the series;
    else the latest ended one; else the latest. `labels` are sorted; `qualities` gives their badges."""
    for acceptable in ((OPEN, STARTED), (OPEN,), ()):
        chosen = [label for label in labels
                  if not set(acceptable) & set(qualities[label].badges if qualities.get(label) else ())]
        if chosen:
            return chosen[-1]
    return None


# --- regions --------------------------------------------------------------------------

@dataclass(frozen=True)
class RegionRef:
    level: str
    code: str
    name: str

    @property
    def url(self) -> str:
        return "/" if self.level == "riket" else f"/{self.level}/{quote(self.code)}"

    @property
    def title(self) -> str:
        if self.level in ("riket", "lan"):
            return self.name
        return f"{LEVEL_LABELS[self.level]} {self.name}"


def region_ref(geography: Geography, level: str, code: str) -> RegionRef:
    """A known region, or NotFound. Police regions are named by their name ("Väst")."""
    if level not in LEVELS:
        raise NotFound(f"okänd nivå {level!r}")
    if level == "riket":
        return RegionRef("riket", RIKET, "Riket")
    try:
        return RegionRef(level, code, geography.region_name(level, code))
    except (KeyError, ValueError):
        raise NotFound(f"okänd {LEVEL_LABELS[level].lower()} {code!r}") from None


def find_region(geography: Geography, level: str, text: str) -> RegionRef:
    """A region by code or name (case-insensitive), e.g. "Väst", "14", "Västra Götalands län", "Göteborg"."""
    wanted = text.strip().casefold()
    if level == "riket":
        return region_ref(geography, "riket", RIKET)
    if level == "polisregion":
        candidates = {name: name for name in geography.polisregioner}
    elif level == "lan":
        candidates = {code: lan.name for code, lan in geography.lan.items()}
    elif level == "kommun":
        candidates = {code: kommun.name for code, kommun in geography.kommuner.items()}
    else:
        raise NotFound(f"okänd nivå {level!r}")
    for code, name in candidates.items():
        if wanted in (code.casefold(), name.casefold()):
            return region_ref(geography, level, code)
    raise NotFound(f"okänd {LEVEL_LABELS[level].lower()} {text!r}")


def breadcrumbs(geography: Geography, region: RegionRef) -> list[RegionRef]:
    """Riket › polisregion › län › kommun down to `region`."""
    crumbs = [region_ref(geography, "riket", RIKET)]
    if region.level == "kommun":
        lan = geography.lan_of(region.code)
        crumbs += [region_ref(geography, "polisregion", lan.polisregion), region_ref(geography, "lan", lan.code)]
    elif region.level == "lan":
        crumbs.append(region_ref(geography, "polisregion", geography.lan[region.code].polisregion))
    if region.level != "riket":
        crumbs.append(region)
    return crumbs


def children_of(geography: Geography, region: RegionRef) -> tuple[str, set[str]] | None:
    """(level, codes) of the regions one step below, or None for a kommun."""
    level = CHILD_LEVEL.get(region.level)
    if level is None:
        return None
    if region.level == "riket":
        return level, set(geography.polisregioner) | {UNRESOLVED}
    if region.level == "polisregion":
        return level, {lan.code for lan in geography.lan_in_polisregion(region.code)}
    return level, {kommun.code for kommun in geography.kommuner_in_lan(region.code)}


def hierarchy(geography: Geography) -> list[dict]:
    """Police regions with their län and kommuner, for the region picker and the API."""
    result = []
    for name in geography.polisregioner:
        lans = []
        for lan in geography.lan_in_polisregion(name):
            lans.append({"kod": lan.code, "namn": lan.name, "folkmangd": geography.population_of("lan", lan.code),
                         "kommuner": [{"kod": k.code, "namn": k.name, "folkmangd": geography.population[k.code]}
                                      for k in geography.kommuner_in_lan(lan.code)]})
        result.append({"namn": name, "folkmangd": geography.population_of("polisregion", name), "lan": lans})
    return result

