"""Swedish municipalities for the sandbox: loading, region pages and how ads write place names."""
from __future__ import annotations

import csv
import random
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

_REPO_ROOT = Path(__file__).resolve().parents[1]
KOMMUNER_CSV_CANDIDATES = (
    _REPO_ROOT / "config" / "geo" / "kommuner.csv",
    Path("/work/shared/geo/kommuner.csv"),
)

WHOLE_COUNTRY_TEXT = "Hela Sverige"


@dataclass(frozen=True)
class Kommun:
    code: str
    name: str
    lan_code: str
    lan_name: str


@dataclass(frozen=True)
class RegionPage:
    """One region page on nattsida: a group of counties (län)."""

    slug: str
    name: str
    lan_codes: tuple[str, ...]  # empty = every county not claimed by another page


REGION_PAGES: tuple[RegionPage, ...] = (
    RegionPage("stockholm", "Stockholm", ("01",)),
    RegionPage("uppsala", "Uppsala län", ("03",)),
    RegionPage("vastra-gotaland", "Västra Götaland", ("14",)),
    RegionPage("skane", "Skåne", ("12",)),
    RegionPage("ovriga", "Övriga Sverige", ()),
)
CATCH_ALL_REGION = "ovriga"

# Where an ad listed on two region pages shows up the second time.
SECOND_REGION = {
    "stockholm": "uppsala",
    "uppsala": "stockholm",
    "vastra-gotaland": "ovriga",
    "skane": "ovriga",
    "ovriga": "stockholm",
}


def fold_diacritics(text: str) -> str:
    """'Göteborg' → 'Goteborg'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def find_kommuner_csv() -> Path:
    for candidate in KOMMUNER_CSV_CANDIDATES:
        if candidate.is_file():
            return candidate
    tried = ", ".join(str(c) for c in KOMMUNER_CSV_CANDIDATES)
    raise FileNotFoundError(f"kommuner.csv not found (tried {tried})")


def load_kommuner(path: Path | None = None) -> dict[str, Kommun]:
    """All municipalities by code; codes are kept as strings (leading zeros matter)."""
    with open(path or find_kommuner_csv(), encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {
        row["kommunkod"]: Kommun(row["kommunkod"], row["kommunnamn"], row["lanskod"], row["lansnamn"])
        for row in rows
    }


def ambiguous_when_folded(kommuner: dict[str, Kommun]) -> set[str]:
    """Codes of municipalities whose name, without diacritics and case, matches another's (Håbo/Habo)."""
    counts = Counter(fold_diacritics(k.name).casefold() for k in kommuner.values())
    return {k.code for k in kommuner.values() if counts[fold_diacritics(k.name).casefold()] > 1}


def region_for_kommun(kommun: Kommun | None) -> str:
    """Slug of the region page an ad in this municipality belongs to (None = whole country)."""
    if kommun is not None:
        for page in REGION_PAGES:
            if kommun.lan_code in page.lan_codes:
                return page.slug
    return CATCH_ALL_REGION


# How an ad writes its municipality, with weights; forms that do not apply fall back to the exact name.
LOCATION_FORM_WEIGHTS: dict[str, int] = {
    "exact": 45, "lower": 10, "no_diacritics": 15, "suffix": 10,
    "abbreviation": 6, "district": 6, "typo": 3, "two_cities": 5,
}
# Real-world ways ads write the big cities (the ad's kommun stays the truth).
ABBREVIATIONS = {"0180": ("Sthlm", "Stholm"), "1480": ("Gbg", "Göttet"), "0680": ("Jkpg",),
                 "1283": ("Hbg",), "0580": ("Lkpg",)}
DISTRICTS = {"0180": ("Södermalm", "Kungsholmen", "Östermalm", "Sthlm Söder"),
             "1480": ("Hisingen", "Majorna", "Gbg centrum"),
             "1280": ("Möllan", "Limhamn", "Malmö C")}
TYPOS = {"1480": "Götebrog", "0180": "Stokholm", "0380": "Uppsla", "1283": "Helsingbrog", "0580": "Linköpnig"}
SECOND_CITIES = ("Stockholm", "Göteborg", "Malmö", "Uppsala", "Linköping", "Örebro")


def write_location(kommun: Kommun, rng: random.Random, *, keep_diacritics: bool = False) -> str:
    """How one ad writes its kommun. keep_diacritics: for names that clash without them (Håbo/Habo)."""
    forms = list(LOCATION_FORM_WEIGHTS)
    form = rng.choices(forms, weights=[LOCATION_FORM_WEIGHTS[f] for f in forms])[0]
    if keep_diacritics and form in ("lower", "no_diacritics", "typo"):
        form = "exact"
    if form == "lower":
        return kommun.name.lower()
    if form == "no_diacritics" and fold_diacritics(kommun.name) != kommun.name:
        return fold_diacritics(kommun.name)
    if form == "suffix":
        return kommun.name + rng.choice((" C", " centrum"))
    if form == "abbreviation" and kommun.code in ABBREVIATIONS:
        return rng.choice(ABBREVIATIONS[kommun.code])
    if form == "district" and kommun.code in DISTRICTS:
        return rng.choice(DISTRICTS[kommun.code])
    if form == "typo" and kommun.code in TYPOS:
        return TYPOS[kommun.code]
    if form == "two_cities":
        other = rng.choice([city for city in SECOND_CITIES if city != kommun.name])
        return f"{kommun.name} / {other}"  # the first named city is the ad's own
    return kommun.name
