"""The gazetteer: every name a place text can use — kommun names, aliases, localities, districts, regions and
foreign places — indexed for lookup, with the evidence that weighs a name shared by several kommuner."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from config.geo import Geography, PlaceAlias
from parsers.place_text import exact_key, fold, letters_only, lookup_key, normalise_place

# A shared name goes to one kommun on evidence only if its evidence is at least this many times
# the evidence of all the other kommuner together, and at least EVIDENCE_MIN.
EVIDENCE_RATIO = 5
EVIDENCE_MIN = 5
# Evidence of a kommun's own name.
KOMMUN_NAME_EVIDENCE = 1000
# Weight of a hand-curated big-city district ("Södermalm") against same-named RegSO areas elsewhere.
CURATED_DISTRICT_EVIDENCE = 50
# Name tiers, strongest first: the user's aliases, kommun names, bundled aliases, localities and districts.
USER, KOMMUN, ALIAS, PLACE = 0, 1, 2, 3
TIER_LABEL = {USER: "user alias", KOMMUN: "kommun name", ALIAS: "alias"}


@dataclass(frozen=True)
class Entry:
    """One name in the gazetteer, pointing at one kommun."""

    key: str  # lookup key, diacritics kept
    name: str  # as written in the data
    code: str
    tier: int
    evidence: int
    generic: bool  # a district name that needs its city named ("Centrum", "Söder")
    kind: str  # "kommun name", "alias", "locality", "district", ...


@dataclass(frozen=True)
class Area:
    """A region that is not a kommun: län, landskap, landsdel or police region."""

    label: str
    codes: frozenset[str]


class Gazetteer:
    """The name indexes of one Geography and the user's own aliases (which win over every bundled name)."""

    def __init__(self, geography: Geography, user_aliases: Iterable[PlaceAlias] = ()) -> None:
        self.geography = geography
        self.names = self._build_names(geography, tuple(user_aliases))  # folded lookup key → entries
        self.areas, self.context_areas = self._build_areas(geography)
        self.county_of_kommun = self._build_county_names(geography)
        self.abroad = {lookup_key(normalise_place(p.name)): p for p in geography.abroad}
        self.max_words = max(len(key.split()) for key in self.names)
        self.fuzzy_by_length, self.fuzzy_keys = self._build_fuzzy_pool()

    @staticmethod
    def _build_names(geography: Geography, user_aliases: tuple[PlaceAlias, ...]) -> dict[str, tuple[Entry, ...]]:
        """Folded lookup key → every entry with that key."""
        merged: dict[tuple[str, int, str], Entry] = {}

        def add(name: str, code: str, tier: int, evidence: int, kind: str, generic: bool = False) -> None:
            key = lookup_key(exact_key(name))
            if not key:
                return
            old = merged.get((key, tier, code))
            if old is not None:  # the same name for the same kommun from two lists: keep the stronger facts
                evidence = max(evidence, old.evidence)
                generic = generic or old.generic
                name = old.name
            merged[(key, tier, code)] = Entry(key, name, code, tier, evidence, generic, kind)

        for alias in user_aliases:
            add(alias.alias, alias.kommun_code, USER, 0, "user alias")
        for code, kommun in geography.kommuner.items():
            add(kommun.name, code, KOMMUN, KOMMUN_NAME_EVIDENCE, "kommun name")
        for alias in geography.aliases:
            add(alias.alias, alias.kommun_code, ALIAS, 0, "alias")
        for place in geography.place_names:
            add(place.name, place.kommun_code, PLACE, place.evidence, "locality")
        for district in geography.districts:
            evidence = 0 if district.needs_city_context else CURATED_DISTRICT_EVIDENCE
            add(district.name, district.kommun_code, PLACE, evidence, "district", district.needs_city_context)

        index: dict[str, list[Entry]] = {}
        for (key, tier, code), entry in sorted(merged.items()):
            index.setdefault(fold(key), []).append(entry)
        return {key: tuple(entries) for key, entries in index.items()}

    @staticmethod
    def _build_areas(geography: Geography) -> tuple[dict[str, Area], dict[str, Area]]:
        """Region names as they appear in text, and the extra ones understood only as context."""
        areas: dict[str, Area] = {}

        def add(table: dict[str, Area], name: str, area: Area) -> None:
            table.setdefault(lookup_key(normalise_place(name)), area)

        for lan in geography.lan.values():
            area = Area(lan.name, frozenset(geography.kommun_codes_in("lan", lan.code)))
            base = lan.name.removesuffix(" län")
            stem = base[:-1] if base.endswith("s") else base
            for name in (lan.name, base, stem, f"{stem} län", f"region {stem}", f"{stem}s län"):
                add(areas, name, area)
        for landskap in geography.landskap:
            codes = frozenset(c for lan in landskap.lan_codes for c in geography.kommun_codes_in("lan", lan))
            add(areas, landskap.name, Area(landskap.name, codes))
        context_only: dict[str, Area] = {}
        for region in geography.polisregioner:
            area = Area(f"polisregion {region}", frozenset(geography.kommun_codes_in("polisregion", region)))
            add(areas, f"polisregion {region}", area)
            add(context_only, region, area)
            add(context_only, f"region {region}", area)
        add(areas, "övriga sverige", Area("övriga Sverige", frozenset(geography.kommuner)))
        return areas, context_only

    @staticmethod
    def _build_county_names(geography: Geography) -> dict[str, frozenset[str]]:
        """Kommuner named like their county (Stockholm, Uppsala, Gotland …) → the county's kommuner."""
        counties = {}
        for code, kommun in geography.kommuner.items():
            base = geography.lan[kommun.lan_code].name.removesuffix(" län")
            if kommun.name in (base, base[:-1]):
                counties[code] = frozenset(geography.kommun_codes_in("lan", kommun.lan_code))
        return counties

    def _build_fuzzy_pool(self) -> tuple[dict[int, list[str]], dict[str, tuple[str, ...]]]:
        """What a typo may be read as: names (not generic districts), regions and foreign places.

        Returns the letters-only keys by length, and each letters-only key's folded lookup keys.
        """
        keys = {key for key, entries in self.names.items() if not any(e.generic for e in entries)}
        keys |= set(self.areas) | set(self.abroad)
        lookup: dict[str, list[str]] = {}
        for key in sorted(keys):
            lookup.setdefault(letters_only(key), []).append(key)
        by_length: dict[int, list[str]] = {}
        for letters in sorted(lookup):
            by_length.setdefault(len(letters), []).append(letters)
        return by_length, {letters: tuple(keys) for letters, keys in lookup.items()}
