"""Place resolution: free-text ad locations to kommun codes, via names, aliases, districts and context."""
from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Iterable, Literal

from rapidfuzz import process
from rapidfuzz.distance import OSA

from config.geo import Geography, PlaceAlias

Status = Literal["resolved", "ambiguous", "unresolved"]
Reason = Literal["none", "nationwide", "abroad", "ambiguous"]

RESOLVED: Status = "resolved"
AMBIGUOUS: Status = "ambiguous"
UNRESOLVED: Status = "unresolved"

REASON_NONE: Reason = "none"
REASON_NATIONWIDE: Reason = "nationwide"
REASON_ABROAD: Reason = "abroad"
REASON_AMBIGUOUS: Reason = "ambiguous"

# Phrases meaning "the whole country", compared after normalise_place().
NATIONWIDE_PHRASES: frozenset[str] = frozenset({
    "hela sverige", "i hela sverige", "hela landet", "i hela landet", "sverige",
    "riket", "hela riket", "overallt", "overallt i sverige",
    "sweden", "all of sweden", "all over sweden", "whole sweden", "everywhere",
})
# A country word next to a place adds nothing ("Stockholm, Sverige").
COUNTRY_WORDS: frozenset[str] = frozenset({"sverige", "sweden", "i sverige", "in sweden"})
# Region pages that cover the whole country or "the rest": as context they restrict nothing.
UNRESTRICTED_CONTEXTS: frozenset[str] = NATIONWIDE_PHRASES | frozenset({
    "ovriga sverige", "ovriga", "ovrigt", "ovriga landet", "resten av sverige", "alla", "alla orter",
})
# Words around a place name that carry no place: "i Uppsala", "nära Lund", "Möllan området".
FILLER_WORDS: frozenset[str] = frozenset({"i", "in", "nara", "near", "omradet", "omr"})
# Words after a place naming a spot in it: "Malmö C", "Gbg centrum", "Täby C-station".
SUFFIX_WORDS: frozenset[str] = frozenset({
    "c", "centrum", "city", "station", "central", "centralen", "centralstation", "resecentrum",
    "kommun", "stad",
})

# A shared name goes to one kommun on evidence only if its evidence is at least this many times
# the evidence of all the other kommuner together, and at least EVIDENCE_MIN.
EVIDENCE_RATIO = 5
EVIDENCE_MIN = 5
# Evidence of a kommun's own name.
KOMMUN_NAME_EVIDENCE = 1000
# Weight of a hand-curated big-city district ("Södermalm") against same-named RegSO areas elsewhere.
CURATED_DISTRICT_EVIDENCE = 50
# Typos: folded text of at least TYPO_MIN_LETTERS letters, one edit (two from TYPO_TWO_EDITS_FROM letters),
# transpositions counting as one edit; the closest name must be the only one at that distance.
TYPO_MIN_LETTERS = 5
TYPO_TWO_EDITS_FROM = 9
# Longer texts are not read word by word (a location field, not an ad text).
MAX_WORDS = 12

# Name tiers, strongest first: the user's aliases, kommun names, bundled aliases, localities and districts.
_USER, _KOMMUN, _ALIAS, _PLACE = 0, 1, 2, 3
_TIER_LABEL = {_USER: "user alias", _KOMMUN: "kommun name", _ALIAS: "alias"}
# How the typed letters relate to a name's: same, diacritics left out (Malmo/Malmö), or different (Häbo/Håbo).
_EXACT, _OMITTED, _CHANGED = 0, 1, 2

# Suffixes naming the municipality itself, optionally after a genitive -s ("Stockholms stad").
_SUFFIX = re.compile(r"^(?P<base>.+?)\s+(?P<word>kommun|stad)$")
# Separators between several place names: / , & ; | + ( ) " och " "eller" "and" and a spaced dash.
_SEPARATOR = re.compile(r"\s*[/,&;|+()]\s*|\s+(?:och|eller|samt|and|or)\s+|\s+[-\u2010-\u2015]\s+")
# Any dash with optional spaces around it; "Malung - Sälen" and "Malung-Sälen" compare equal.
_DASH = re.compile(r"\s*[-\u2010-\u2015]\s*")
_EDGE_PUNCTUATION = re.compile(r"^[\W_]+|[\W_]+$")
_NON_LETTERS = re.compile(r"[\W\d_]+")
# Letters that Unicode decomposition does not split into base letter + mark.
_EXTRA_FOLDS = str.maketrans({
    "ø": "o", "æ": "ae", "œ": "oe", "ð": "d", "þ": "th", "ł": "l", "đ": "d", "ı": "i",
})
_CACHE_SIZE = 65_536


@dataclass(frozen=True)
class PlaceResolution:
    """The outcome of resolving one place text, with a short explanation and the steps taken."""

    kommun_codes: tuple[str, ...]
    status: str  # "resolved" | "ambiguous" | "unresolved"
    reason: str | None  # None when resolved; "none" | "nationwide" | "abroad" | "ambiguous"
    explanation: str
    trace: tuple[str, ...] = field(default=(), compare=False)

    @property
    def primary(self) -> str | None:
        """The first kommun code when resolved, otherwise None."""
        if self.status == RESOLVED and self.kommun_codes:
            return self.kommun_codes[0]
        return None


def normalise_place(text: str | None) -> str:
    """Casefold, trim, collapse whitespace, strip edge punctuation, and fold diacritics (å→a, é→e)."""
    return _fold(_exact_key(text))


def _exact_key(text: str | None) -> str:
    """Like normalise_place but keeping diacritics (NFC), for exact name matches."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = " ".join(text.split())
    text = _EDGE_PUNCTUATION.sub("", text)
    return unicodedata.normalize("NFC", text)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.translate(_EXTRA_FOLDS)


def _lookup_key(key: str) -> str:
    """Key used in the name indexes: dashes count as spaces."""
    return " ".join(_DASH.sub(" ", key).split())


def _quality(typed: str, name: str) -> int:
    if typed == name:
        return _EXACT
    if len(typed) == len(name) and all(t == n or t == _fold(n) for t, n in zip(typed, name)):
        return _OMITTED
    return _CHANGED


@dataclass(frozen=True)
class _Entry:
    """One name in the gazetteer, pointing at one kommun."""

    key: str  # lookup key, diacritics kept
    name: str  # as written in the data
    code: str
    tier: int
    evidence: int
    generic: bool  # a district name that needs its city named ("Centrum", "Söder")
    kind: str  # "kommun name", "alias", "locality", "district", ...


@dataclass(frozen=True)
class _Area:
    """A region that is not a kommun: län, landskap, landsdel or police region."""

    label: str
    codes: frozenset[str]


@dataclass
class _Segment:
    """One place mentioned in the text, and what is known about it while resolving."""

    text: str
    kind: str  # "place" | "area" | "abroad" | "country"
    label: str = ""  # the matched name as written in the data
    source: str = ""  # how it matched, e.g. "kommun name", "locality"
    candidates: dict[str, int] = field(default_factory=dict)  # kommun code → evidence
    names: dict[str, str] = field(default_factory=dict)  # kommun code → the matched name as in the data
    tier: int = _PLACE
    generic: bool = False
    typo: bool = False
    county: frozenset[str] = frozenset()  # a kommun named like its county ("Uppsala"): the county's kommuner
    area: frozenset[str] = frozenset()
    country: str = ""  # abroad: the country; place: also a foreign country of that name
    settled: str = ""  # how several candidates became one

    @property
    def names_city(self) -> bool:
        """A single kommun named outright (user alias, kommun name or alias)."""
        return self.kind == "place" and self.tier <= _ALIAS and len(self.candidates) == 1 and not self.typo


def _only_minor_locality(seg: _Segment) -> bool:
    """A plain locality with little evidence: a foreign place of the same name is the likelier reading."""
    return seg.tier == _PLACE and not seg.generic and max(seg.candidates.values(), default=0) < EVIDENCE_MIN


@dataclass(frozen=True)
class _Context:
    """What the context string (a site's region page) says: an area and the cities it names."""

    area: frozenset[str] | None
    cities: tuple[str, ...]
    label: str
    trace: tuple[str, ...]


_NO_CONTEXT = _Context(None, (), "", ())


class PlaceResolver:
    """Resolves place texts against one Geography; deterministic and cached per instance.

    `extra_aliases` are the user's own aliases; they win over every bundled name.
    """

    def __init__(self, geography: Geography, extra_aliases: Iterable[PlaceAlias] = ()) -> None:
        self.geography = geography
        self.extra_aliases = tuple(extra_aliases)
        self._names = self._build_names(geography, self.extra_aliases)
        self._areas, self._context_areas = self._build_areas(geography)
        self._county_of_kommun = self._build_county_names(geography)
        self._abroad = {_lookup_key(normalise_place(p.name)): p for p in geography.abroad}
        self._max_words = max(len(key.split()) for key in self._names)
        self._fuzzy_by_length, self._fuzzy_keys = self._build_fuzzy_pool()
        self._resolve_text = functools.lru_cache(maxsize=_CACHE_SIZE)(self._resolve_text_uncached)
        self._resolve_key = functools.lru_cache(maxsize=_CACHE_SIZE)(self._resolve_key_uncached)
        self._context = functools.lru_cache(maxsize=1024)(self._context_uncached)

    # --- building the indexes ---------------------------------------------------

    @staticmethod
    def _build_names(geography: Geography, user_aliases: tuple[PlaceAlias, ...]) -> dict[str, tuple[_Entry, ...]]:
        """Folded lookup key → every entry with that key."""
        merged: dict[tuple[str, int, str], _Entry] = {}

        def add(name: str, code: str, tier: int, evidence: int, kind: str, generic: bool = False) -> None:
            key = _lookup_key(_exact_key(name))
            if not key:
                return
            old = merged.get((key, tier, code))
            if old is not None:  # the same name for the same kommun from two lists: keep the stronger facts
                evidence = max(evidence, old.evidence)
                generic = generic or old.generic
                name = old.name
            merged[(key, tier, code)] = _Entry(key, name, code, tier, evidence, generic, kind)

        for alias in user_aliases:
            add(alias.alias, alias.kommun_code, _USER, 0, "user alias")
        for code, kommun in geography.kommuner.items():
            add(kommun.name, code, _KOMMUN, KOMMUN_NAME_EVIDENCE, "kommun name")
        for alias in geography.aliases:
            add(alias.alias, alias.kommun_code, _ALIAS, 0, "alias")
        for place in geography.place_names:
            add(place.name, place.kommun_code, _PLACE, place.evidence, "locality")
        for district in geography.districts:
            evidence = 0 if district.needs_city_context else CURATED_DISTRICT_EVIDENCE
            add(district.name, district.kommun_code, _PLACE, evidence, "district", district.needs_city_context)

        index: dict[str, list[_Entry]] = {}
        for (key, tier, code), entry in sorted(merged.items()):
            index.setdefault(_fold(key), []).append(entry)
        return {key: tuple(entries) for key, entries in index.items()}

    @staticmethod
    def _build_areas(geography: Geography) -> tuple[dict[str, _Area], dict[str, _Area]]:
        """Region names as they appear in text, and the extra ones understood only as context."""
        areas: dict[str, _Area] = {}

        def add(table: dict[str, _Area], name: str, area: _Area) -> None:
            table.setdefault(_lookup_key(normalise_place(name)), area)

        for lan in geography.lan.values():
            area = _Area(lan.name, frozenset(geography.kommun_codes_in("lan", lan.code)))
            base = lan.name.removesuffix(" län")
            stem = base[:-1] if base.endswith("s") else base
            for name in (lan.name, base, stem, f"{stem} län", f"region {stem}", f"{stem}s län"):
                add(areas, name, area)
        for landskap in geography.landskap:
            codes = frozenset(c for lan in landskap.lan_codes for c in geography.kommun_codes_in("lan", lan))
            add(areas, landskap.name, _Area(landskap.name, codes))
        context_only: dict[str, _Area] = {}
        for region in geography.polisregioner:
            area = _Area(f"polisregion {region}", frozenset(geography.kommun_codes_in("polisregion", region)))
            add(areas, f"polisregion {region}", area)
            add(context_only, region, area)
            add(context_only, f"region {region}", area)
        add(areas, "övriga sverige", _Area("övriga Sverige", frozenset(geography.kommuner)))
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
        keys = {key for key, entries in self._names.items() if not any(e.generic for e in entries)}
        keys |= set(self._areas) | set(self._abroad)
        lookup: dict[str, list[str]] = {}
        for key in sorted(keys):
            lookup.setdefault(_letters_only(key), []).append(key)
        by_length: dict[int, list[str]] = {}
        for letters in sorted(lookup):
            by_length.setdefault(len(letters), []).append(letters)
        return by_length, {letters: tuple(keys) for letters, keys in lookup.items()}

    # --- public entry point -------------------------------------------------------

    def resolve(self, text: str | None, context: str | None = None) -> PlaceResolution:
        """Resolve a place text to kommun codes; `context` (e.g. the site's region page) settles ambiguity."""
        return self._resolve_text(text, context)

    def _resolve_text_uncached(self, text: str | None, context: str | None) -> PlaceResolution:
        return self._resolve_key(_exact_key(text), _exact_key(context))

    def _resolve_key_uncached(self, key: str, context_key: str) -> PlaceResolution:
        trace = [f"normalised: '{key}'"]
        if not key:
            return _result((), UNRESOLVED, REASON_NONE, "empty place text", trace)
        if _lookup_key(_fold(key)) in NATIONWIDE_PHRASES:
            return _result((), UNRESOLVED, REASON_NATIONWIDE, "nationwide phrase", trace)
        context = self._context(context_key)
        trace.extend(context.trace)
        segments = self._parse(key, trace)
        if segments is None:
            return _result((), UNRESOLVED, REASON_NONE, "no place name matched", trace)
        return self._combine(segments, context, trace)

    # --- reading the text -----------------------------------------------------------

    def _parse(self, key: str, trace: list[str]) -> list[_Segment] | None:
        """The places in the text: the whole as one name, else its parts between separators."""
        seg = self._phrase_or_core(key, trace)
        if seg is not None:
            return [seg]
        parts = [p for p in (_EDGE_PUNCTUATION.sub("", part) for part in _SEPARATOR.split(key)) if p]
        if len(parts) < 2:
            return self._parse_part(key, trace)
        steps = ["split into parts: " + " | ".join(f"'{p}'" for p in parts)]
        segments: list[_Segment] | None = []
        for part in parts:
            found = self._parse_part(part, steps)
            if found is None:
                steps.append(f"no place name in '{part}'")
                segments = None
                break
            segments.extend(found)
        return self._prefer_typo(key, segments, steps, trace, listed=True)

    def _parse_part(self, part: str, trace: list[str]) -> list[_Segment] | None:
        """One part between separators: a name (with filler words around it), several names, or a typo."""
        seg = self._phrase_or_core(part, trace)
        if seg is not None:
            return [seg]
        words = _lookup_key(part).split()
        steps: list[str] = []
        found = self._words(words, steps, fuzzy=False)
        found = self._prefer_typo(part, found, steps, trace)
        if found is not None:
            return found
        return self._words(words, trace, fuzzy=True)

    def _prefer_typo(self, text: str, segments: list[_Segment] | None, steps: list[str],
                     trace: list[str], listed: bool = False) -> list[_Segment] | None:
        """The whole text as one name with a typo, instead of `segments` read part by part, when:
        nothing was read; or the parts needed typos themselves and one edit fixes the whole; or words
        without list separators read as several kommuner while one edit gives a name in one of them
        ("Tyringe nora" is Tyringe norra, not Tyringe and Nora)."""
        codes = {code for seg in segments or () for code in seg.candidates}
        typos = any(seg.typo for seg in segments or ())
        if segments is None or typos or (len(codes) > 1 and not listed):
            typo_steps: list[str] = []
            seg = self._typo(text, typo_steps, max_edits=2 if segments is None else 1)
            fits = seg is not None and len(seg.candidates) == 1 and (typos or seg.candidates.keys() <= codes)
            if seg is not None and (segments is None or fits):
                trace.extend(typo_steps)
                trace.append(_describe(seg))
                return [seg]
        if segments is not None:
            trace.extend(steps)
        return segments

    def _phrase_or_core(self, text: str, trace: list[str]) -> _Segment | None:
        """A known phrase, as written or without filler words around it ("i Uppsala", "Gbg centrum")."""
        seg = self._phrase(text)
        if seg is None:
            words = _lookup_key(text).split()
            for start, end in _cores(words):
                seg = self._phrase(" ".join(words[start:end]))
                if seg is not None:
                    trace.extend(f"ignored '{word}'" for word in words[:start] + words[end:])
                    break
        if seg is not None:
            trace.append(_describe(seg))
        return seg

    def _words(self, words: list[str], trace: list[str], *, fuzzy: bool) -> list[_Segment] | None:
        """Read the words as known names, skipping filler and suffix words and words without letters:
        the reading with the fewest typos, then the fewest names ("Trosa Östra Göinge" is Trosa + Östra Göinge)."""
        if not 2 <= len(words) <= MAX_WORDS:
            return None

        @functools.cache
        def best(i: int) -> tuple[int, int, tuple[_Segment, ...], tuple[str, ...]] | None:
            if i == len(words):
                return (0, 0, (), ())
            word = words[i]
            options = []
            if (_fold(word) in FILLER_WORDS or (i > 0 and _fold(word) in SUFFIX_WORDS)
                    or not any(ch.isalpha() for ch in word)):
                if (rest := best(i + 1)) is not None:
                    options.append((rest[0], rest[1], rest[2], (f"ignored '{word}'", *rest[3])))
            for j in range(min(len(words), i + self._max_words), i, -1):
                seg = self._phrase(" ".join(words[i:j]))
                if seg is None and j == i + 1 and j < len(words):
                    seg = self._genitive(word)
                if seg is not None and (rest := best(j)) is not None:
                    options.append((rest[0], rest[1] + 1, (seg, *rest[2]), (_describe(seg), *rest[3])))
            if fuzzy and not options:
                steps: list[str] = []
                seg = self._typo(word, steps)
                if seg is not None and (rest := best(i + 1)) is not None:
                    options.append((rest[0] + 1, rest[1] + 1, (seg, *rest[2]), (*steps, _describe(seg), *rest[3])))
            return min(options, key=lambda option: option[:2]) if options else None

        reading = best(0)
        if reading is None or not reading[2]:
            return None
        trace.append("words: " + " + ".join(f"'{w}'" for w in words))
        trace.extend(reading[3])
        return list(reading[2])

    def _genitive(self, word: str) -> _Segment | None:
        """'Stockholms' before another word ("Stockholms Södermalm"): the kommun in the genitive."""
        if len(word) > 3 and word.endswith("s"):
            seg = self._name(word[:-1], tiers=(_USER, _KOMMUN))
            if seg is not None:
                seg.source += " (genitive)"
                return seg
        return None

    def _phrase(self, key: str) -> _Segment | None:
        """A known phrase as a whole: a name, a region, a kommun with 'kommun'/'stad', a foreign place."""
        key = _lookup_key(_EDGE_PUNCTUATION.sub("", key))
        if not key:
            return None
        folded = _fold(key)
        seg = self._name(key)
        abroad = self._abroad.get(folded)
        if seg is not None and abroad is not None and _only_minor_locality(seg):
            # "Danmark" is a hamlet in Uppsala too, but an ad naming it means the country.
            return _Segment(key, "abroad", label=abroad.name, country=abroad.country)
        if seg is not None and _only_minor_locality(seg) and (spot := self._kommun_spot(key, seg)) is not None:
            return spot
        if seg is not None:
            if abroad is not None and abroad.name.casefold() == abroad.country.casefold():
                seg.country = abroad.country
            return seg
        area = self._areas.get(folded)
        if area is not None:
            return _Segment(key, "area", label=area.label, area=area.codes)
        suffix = _SUFFIX.match(key)
        if suffix:
            base, word = suffix.group("base"), suffix.group("word")
            forms = [(base, f"+ '{word}'")]
            if base.endswith("s"):
                forms.append((base[:-1], f"+ genitive 's {word}'"))
            for candidate, note in forms:
                seg = self._name(candidate, tiers=(_USER, _KOMMUN))
                if seg is not None:
                    seg.source += f" {note}"
                    seg.county = frozenset()  # "Uppsala kommun" names the kommun, not the county
                    return seg
        abroad = self._abroad.get(folded)
        if abroad is not None:
            return _Segment(key, "abroad", label=abroad.name, country=abroad.country)
        if folded in COUNTRY_WORDS or folded in NATIONWIDE_PHRASES:
            return _Segment(key, "country", label=key)
        return None

    def _kommun_spot(self, key: str, locality: _Segment) -> _Segment | None:
        """'<kommun name> <spot word>' that is also a minor locality elsewhere ("Sjöbo centrum" is an area
        in Borås): both readings, the kommun with its name's evidence, for _settle to decide (a city
        named in the text or context, else the evidence). None when the words name no kommun."""
        words = key.split()
        if len(words) < 2 or _fold(words[-1]) not in SUFFIX_WORDS:
            return None
        kommun = self._name(" ".join(words[:-1]), tiers=(_USER, _KOMMUN))
        if kommun is None or len(kommun.candidates) != 1 or kommun.candidates.keys() <= locality.candidates.keys():
            return None
        code = next(iter(kommun.candidates))
        return _Segment(key, "place", label=kommun.label, source=f"{kommun.source} + '{words[-1]}' / {locality.source}",
                        candidates={**locality.candidates, code: KOMMUN_NAME_EVIDENCE},
                        names={**locality.names, code: kommun.label}, tier=_PLACE)

    def _name(self, key: str, tiers: tuple[int, ...] = (_USER, _KOMMUN, _ALIAS, _PLACE),
              any_spelling: bool = False) -> _Segment | None:
        """The best group of gazetteer entries for a key: strongest tier, exact spelling before folded."""
        entries = [e for e in self._names.get(_fold(key), ()) if e.tier in tiers]
        if not entries:
            return None

        def rank(entry: _Entry) -> tuple[bool, int, int]:
            quality = _CHANGED if any_spelling else _quality(key, entry.key)
            return (quality == _CHANGED, entry.tier, quality)

        best = min(rank(e) for e in entries)
        group = [e for e in entries if rank(e) == best]
        tier = best[1]
        generic = any(e.generic for e in group)
        candidates: dict[str, int] = {}
        names: dict[str, str] = {}
        for entry in group:
            candidates[entry.code] = max(candidates.get(entry.code, 0), entry.evidence)
            names.setdefault(entry.code, entry.name)
        kinds = sorted({e.kind for e in group})
        source = _TIER_LABEL[tier] if tier != _PLACE else "/".join(kinds)
        if best[2] == _OMITTED:
            source += " without diacritics"
        elif best[2] == _CHANGED and not any_spelling:
            source += " with other diacritics"
        seg = _Segment(key, "place", label=group[0].name, source=source, candidates=candidates,
                       names=names, tier=tier, generic=generic)
        if len(candidates) == 1 and tier <= _KOMMUN:
            seg.county = self._county_of_kommun.get(next(iter(candidates)), frozenset())
        return seg

    def _typo(self, key: str, trace: list[str], max_edits: int = 2) -> _Segment | None:
        """A name with one typing error (two in long names), when exactly one name is that close."""
        if any(ch.isdigit() for ch in key):
            return None
        folded = _letters_only(_fold(_lookup_key(key)))
        letters = sum(ch.isalpha() for ch in folded)
        if letters < TYPO_MIN_LETTERS:
            return None
        limit = min(max_edits, 2 if letters >= TYPO_TWO_EDITS_FROM else 1)
        choices = [k for n in range(len(folded) - limit, len(folded) + limit + 1)
                   for k in self._fuzzy_by_length.get(n, ())]
        hits = process.extract(folded, choices, scorer=OSA.distance, score_cutoff=limit, limit=None)
        if not hits:
            return None
        distance = min(hit[1] for hit in hits)
        best = sorted(k for hit in hits if hit[1] == distance for k in self._fuzzy_keys[hit[0]])
        edits = f"{distance} edit{'s' if distance > 1 else ''}"
        readings = [seg for name in best if (seg := self._name(name, any_spelling=True) or self._phrase(name))]
        places = [seg for seg in readings if seg.kind == "place"]
        codes = sorted({code for seg in places for code in seg.candidates})
        # A region as close as a place inside it adds nothing ("stockholmx": Stockholm, Stockholms län).
        others = [seg for seg in readings if seg.kind != "place" and not (codes and set(codes) <= seg.area)]
        if len(places) + len(others) > 1 and not (len(codes) == 1 and not others):
            # Several names equally close: ambiguous among Swedish ones, nothing if a foreign one is as close.
            trace.append(f"typo: '{key}' is {edits} from each of " + ", ".join(f"'{b}'" for b in best))
            if not codes or any(seg.kind == "abroad" for seg in others):
                return None
            return _Segment(key, "place", label=key, source="typo close to several names",
                            candidates=dict.fromkeys(codes, 0), typo=True)
        if not readings:
            return None
        seg = places[0] if places else readings[0]
        seg.typo = True
        seg.source = f"typo ({edits}) of {seg.source}"
        trace.append(f"typo: '{key}' read as '{seg.label}' ({edits})")
        return seg

    # --- the context string ------------------------------------------------------------

    def _context_uncached(self, context_key: str) -> _Context:
        if not context_key:
            return _NO_CONTEXT
        folded = _lookup_key(_fold(context_key))
        if folded in UNRESTRICTED_CONTEXTS:
            return _Context(None, (), context_key, (f"context '{context_key}': no restriction",))
        area: set[str] = set()
        cities: list[str] = []
        labels: list[str] = []
        for part in (p for p in (_EDGE_PUNCTUATION.sub("", s) for s in _SEPARATOR.split(context_key)) if p):
            words = _lookup_key(part).split()
            i = 0
            while i < len(words):
                for j in range(len(words), i, -1):
                    phrase = " ".join(words[i:j])
                    found = self._context_phrase(phrase)
                    if found is not None:
                        label, codes, city = found
                        area |= codes
                        labels.append(label)
                        if city:
                            cities.append(city)
                        i = j
                        break
                else:
                    i += 1
        if not labels:
            return _Context(None, (), context_key, (f"context '{context_key}' not understood: no restriction",))
        label = ", ".join(dict.fromkeys(labels))
        trace = (f"context '{context_key}' → {label} ({len(area)} kommuner)",)
        return _Context(frozenset(area), tuple(dict.fromkeys(cities)), label, trace)

    def _context_phrase(self, phrase: str) -> tuple[str, frozenset[str], str | None] | None:
        """A region (län, landskap, police region) or a kommun named in the context, as an area (+ city)."""
        folded = _fold(phrase)
        seg = self._name(phrase, tiers=(_USER, _KOMMUN, _ALIAS))
        city = next(iter(seg.candidates)) if seg is not None and len(seg.candidates) == 1 else None
        area = self._areas.get(folded) or self._context_areas.get(folded)
        if area is not None:
            return area.label, area.codes, city
        if city is not None:
            kommun = self.geography.kommuner[city]
            county = frozenset(self.geography.kommun_codes_in("lan", kommun.lan_code))
            return f"{kommun.name} (in {self.geography.lan[kommun.lan_code].name})", county, city
        return None

    # --- putting the pieces together ----------------------------------------------------

    def _combine(self, segments: list[_Segment], context: _Context, trace: list[str]) -> PlaceResolution:
        places = [s for s in segments if s.kind == "place"]
        abroad = [s for s in segments if s.kind == "abroad"]
        areas = [s for s in segments if s.kind == "area"]
        for seg in segments:
            if seg.kind == "country":
                trace.append(f"dropped country word '{seg.text}'")
        # "Köpenhamn, Danmark": a country named after a foreign place is that place's country.
        abroad_countries = {s.country.casefold() for s in abroad}
        for seg in list(places):
            if seg.country and seg.country.casefold() in abroad_countries:
                places.remove(seg)
                abroad.append(_Segment(seg.text, "abroad", label=seg.country, country=seg.country))
                trace.append(f"'{seg.text}' is the country of a foreign place named with it")
        if not places:
            if abroad:
                where = ", ".join(dict.fromkeys(
                    s.label if s.label.casefold() == s.country.casefold() else f"{s.label} ({s.country})"
                    for s in abroad))
                return _result((), UNRESOLVED, REASON_ABROAD, f"foreign place: {where}", trace)
            if areas:
                where = ", ".join(s.label for s in areas)
                return _result((), UNRESOLVED, REASON_NONE, f"names a region, not a kommun: {where}", trace)
            return _result((), UNRESOLVED, REASON_NATIONWIDE, "only a country word", trace)
        for seg in abroad:
            trace.append(f"ignored foreign place '{seg.text}' ({seg.country}) next to Swedish ones")

        text_cities = [next(iter(s.candidates)) for s in places if s.names_city]
        text_areas = frozenset().union(*(s.area for s in areas)) if areas else frozenset()
        for index, seg in enumerate(places):
            if seg.generic:
                self._settle_generic(seg, text_cities, context, trace)
            elif len(seg.candidates) > 1:
                later_counties = [s.county for s in places[index + 1:] if s.county]
                self._settle(seg, text_cities, text_areas, later_counties, context, trace)
            elif context.area is not None and not seg.candidates.keys() & context.area:
                trace.append(f"'{seg.text}' names one kommun; the context does not override it")
        places = self._drop_counties(places, trace)

        codes: list[str] = []
        ambiguous = False
        for seg in places:
            if len(seg.candidates) != 1:
                ambiguous = True
            for code in sorted(seg.candidates):
                if code not in codes:
                    codes.append(code)
        if ambiguous:
            unclear = [s for s in places if len(s.candidates) != 1]
            trace.append(f"result: ambiguous between {', '.join(codes)}")
            return _result(tuple(codes), AMBIGUOUS, REASON_AMBIGUOUS, self._ambiguity(unclear), trace)
        if len(codes) == 1:
            explanation = self._one(places[0]) if len(places) == 1 else self._same(places)
        else:
            explanation = "several places: " + "; ".join(self._one(s) for s in _first_per_code(places))
        trace.append(f"result: {', '.join(self._kommun(c) for c in codes)}")
        return _result(tuple(codes), RESOLVED, None, explanation, trace)

    def _settle_generic(self, seg: _Segment, text_cities: list[str], context: _Context, trace: list[str]) -> None:
        """A generic district ("Centrum", "Söder") belongs to the city named in the text or context."""
        for cities, where in ((text_cities, "the text"), (list(context.cities), "the context")):
            known = [c for c in cities if c in seg.candidates]
            if known or len(set(cities)) == 1:
                code = (known or cities)[0]
                seg.candidates = {code: seg.candidates.get(code, 0)}
                seg.settled = f"generic district name, city {self._kommun(code)} named in {where}"
                trace.append(f"'{seg.text}' is a generic district name; {seg.settled.split(', ')[1]}")
                return
        trace.append(f"'{seg.text}' is a generic district name and no city is named")

    def _settle(self, seg: _Segment, text_cities: list[str], text_areas: frozenset[str],
                later_counties: list[frozenset[str]], context: _Context, trace: list[str]) -> None:
        """Narrow a name shared by several kommuner: text, then context, then evidence."""
        steps = (
            (frozenset(text_cities), "a kommun named in the text"),
            (text_areas.union(*later_counties), "a region named in the text"),
            (context.area or frozenset(), f"context '{context.label}'"),
        )
        for allowed, why in steps:
            kept = {c: e for c, e in seg.candidates.items() if c in allowed}
            if kept and len(kept) < len(seg.candidates):
                trace.append(f"'{seg.text}': {len(seg.candidates)} kommuner, {len(kept)} left by {why}")
                seg.candidates = kept
                seg.settled = f"settled by {why}"
            if len(seg.candidates) == 1:
                return
        if seg.typo or seg.tier != _PLACE:
            return
        ranked = sorted(seg.candidates.items(), key=lambda item: (-item[1], item[0]))
        top_code, top = ranked[0]
        rest = sum(evidence for _, evidence in ranked[1:])
        if top >= EVIDENCE_MIN and top >= EVIDENCE_RATIO * rest:
            trace.append(f"'{seg.text}': evidence {top} for {self._kommun(top_code)} vs {rest} for the others")
            seg.candidates = {top_code: top}
            seg.settled = (seg.settled + "; " if seg.settled else "") + f"by evidence {top} vs {rest}"
        else:
            trace.append(f"'{seg.text}': evidence {top} vs {rest} is not decisive")

    def _drop_counties(self, places: list[_Segment], trace: list[str]) -> list[_Segment]:
        """'Solna, Stockholm': a later kommun named like its county is the county of an earlier place."""
        kept = []
        for index, seg in enumerate(places):
            earlier = [s for s in places[:index] if s.candidates]
            if (seg.county and earlier and len(seg.candidates) == 1
                    and any(s.candidates.keys() <= seg.county and not s.candidates.keys() & seg.candidates.keys()
                            for s in earlier)):
                trace.append(f"'{seg.text}' read as the county of the place before it, not a second place")
                continue
            kept.append(seg)
        return kept

    # --- wording ---------------------------------------------------------------------

    def _kommun(self, code: str) -> str:
        return f"{code} {self.geography.kommuner[code].name}"

    def _one(self, seg: _Segment) -> str:
        code = next(iter(seg.candidates))
        where = self.geography.kommuner[code].name
        name = seg.names.get(code, seg.label)
        text = f"{seg.source} '{name}'"
        if name.casefold() != where.casefold():
            text += f" in {where}"
        return f"{text} ({seg.settled})" if seg.settled else text

    def _same(self, places: list[_Segment]) -> str:
        return f"{len(places)} names for the same kommun: " + "; ".join(self._one(s) for s in places)

    def _ambiguity(self, unclear: list[_Segment]) -> str:
        parts = []
        for seg in unclear:
            names = ", ".join(f"{self.geography.kommuner[c].name} ({c})" for c in sorted(seg.candidates))
            what = "generic district name" if seg.generic else seg.source
            parts.append(f"{what} '{seg.text}' fits {len(seg.candidates)} kommuner: {names}")
        return "; ".join(parts)


def _cores(words: list[str]) -> list[tuple[int, int]]:
    """(start, end) of the words left when filler words in front and filler/suffix words at the end
    are dropped, longest first ("i Nyhem centrum" → "Nyhem centrum", then "Nyhem")."""
    lead = 0
    while lead < len(words) - 1 and _fold(words[lead]) in FILLER_WORDS:
        lead += 1
    trail = 0
    while trail < len(words) - 1 - lead and _fold(words[len(words) - 1 - trail]) in FILLER_WORDS | SUFFIX_WORDS:
        trail += 1
    cores = [(start, len(words) - cut) for start in range(lead + 1) for cut in range(trail + 1) if start or cut]
    return sorted(cores, key=lambda core: (core[0] - core[1], core))


def _letters_only(text: str) -> str:
    return " ".join(_NON_LETTERS.sub(" ", text).split())


def _first_per_code(places: list[_Segment]) -> list[_Segment]:
    seen: set[str] = set()
    firsts = []
    for seg in places:
        code = next(iter(seg.candidates))
        if code not in seen:
            seen.add(code)
            firsts.append(seg)
    return firsts


def _describe(seg: _Segment) -> str:
    if seg.kind == "place":
        codes = ", ".join(sorted(seg.candidates))
        return f"{seg.source} '{seg.text}' → {codes}"
    if seg.kind == "area":
        return f"region '{seg.text}' → {seg.label} ({len(seg.area)} kommuner)"
    if seg.kind == "abroad":
        return f"foreign place '{seg.text}' ({seg.country})"
    return f"country word '{seg.text}'"


def _result(codes: tuple[str, ...], status: str, reason: str | None, explanation: str,
            trace: list[str]) -> PlaceResolution:
    return PlaceResolution(codes, status, reason, explanation, tuple(trace))
