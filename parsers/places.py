"""Place resolution: free-text ad locations to kommun codes, via names, aliases, districts and context.

The names come from the gazetteer (parsers.gazetteer), are read from the text by parsers.place_reading, and
are settled here: one place or several, narrowed by the text, the context string and the evidence.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Iterable, Literal

from config.geo import Geography, PlaceAlias
from parsers.gazetteer import ALIAS, EVIDENCE_MIN, EVIDENCE_RATIO, KOMMUN, PLACE, USER, Gazetteer
from parsers.place_reading import Segment, TextReader
from parsers.place_text import NATIONWIDE_PHRASES, UNRESTRICTED_CONTEXTS, exact_key, fold, lookup_key, split_parts

Status = Literal["resolved", "ambiguous", "unresolved"]
Reason = Literal["none", "nationwide", "abroad", "ambiguous"]

RESOLVED: Status = "resolved"
AMBIGUOUS: Status = "ambiguous"
UNRESOLVED: Status = "unresolved"

REASON_NONE: Reason = "none"
REASON_NATIONWIDE: Reason = "nationwide"
REASON_ABROAD: Reason = "abroad"
REASON_AMBIGUOUS: Reason = "ambiguous"

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
    def status_text(self) -> str:
        """"resolved", "ambiguous" or "unresolved:<reason>", as `lagesbild places` writes it."""
        return f"unresolved:{self.reason}" if self.status == "unresolved" else self.status

    @property
    def primary(self) -> str | None:
        """The first kommun code when resolved, otherwise None."""
        if self.status == RESOLVED and self.kommun_codes:
            return self.kommun_codes[0]
        return None


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
        self.gazetteer = Gazetteer(geography, self.extra_aliases)
        self.reader = TextReader(self.gazetteer)
        self._resolve_text = functools.lru_cache(maxsize=_CACHE_SIZE)(self._resolve_text_uncached)
        self._resolve_key = functools.lru_cache(maxsize=_CACHE_SIZE)(self._resolve_key_uncached)
        self._context = functools.lru_cache(maxsize=1024)(self._context_uncached)

    # --- public entry point -------------------------------------------------------

    def resolve(self, text: str | None, context: str | None = None) -> PlaceResolution:
        """Resolve a place text to kommun codes; `context` (e.g. the site's region page) settles ambiguity."""
        return self._resolve_text(text, context)

    def _resolve_text_uncached(self, text: str | None, context: str | None) -> PlaceResolution:
        return self._resolve_key(exact_key(text), exact_key(context))

    def _resolve_key_uncached(self, key: str, context_key: str) -> PlaceResolution:
        trace = [f"normalised: '{key}'"]
        if not key:
            return _result((), UNRESOLVED, REASON_NONE, "empty place text", trace)
        if lookup_key(fold(key)) in NATIONWIDE_PHRASES:
            return _result((), UNRESOLVED, REASON_NATIONWIDE, "nationwide phrase", trace)
        context = self._context(context_key)
        trace.extend(context.trace)
        segments = self.reader.parse(key, trace)
        if segments is None:
            return _result((), UNRESOLVED, REASON_NONE, "no place name matched", trace)
        return self._combine(segments, context, trace)

    # --- the context string ------------------------------------------------------------

    def _context_uncached(self, context_key: str) -> _Context:
        if not context_key:
            return _NO_CONTEXT
        folded = lookup_key(fold(context_key))
        if folded in UNRESTRICTED_CONTEXTS:
            return _Context(None, (), context_key, (f"context '{context_key}': no restriction",))
        area: set[str] = set()
        cities: list[str] = []
        labels: list[str] = []
        for part in split_parts(context_key):
            words = lookup_key(part).split()
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
        folded = fold(phrase)
        seg = self.reader.name(phrase, tiers=(USER, KOMMUN, ALIAS))
        city = next(iter(seg.candidates)) if seg is not None and len(seg.candidates) == 1 else None
        area = self.gazetteer.areas.get(folded) or self.gazetteer.context_areas.get(folded)
        if area is not None:
            return area.label, area.codes, city
        if city is not None:
            kommun = self.geography.kommuner[city]
            county = frozenset(self.geography.kommun_codes_in("lan", kommun.lan_code))
            return f"{kommun.name} (in {self.geography.lan[kommun.lan_code].name})", county, city
        return None

    # --- putting the pieces together ----------------------------------------------------

    def _combine(self, segments: list[Segment], context: _Context, trace: list[str]) -> PlaceResolution:
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
                abroad.append(Segment(seg.text, "abroad", label=seg.country, country=seg.country))
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

    def _settle_generic(self, seg: Segment, text_cities: list[str], context: _Context, trace: list[str]) -> None:
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

    def _settle(self, seg: Segment, text_cities: list[str], text_areas: frozenset[str],
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
        if seg.typo or seg.tier != PLACE:
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

    def _drop_counties(self, places: list[Segment], trace: list[str]) -> list[Segment]:
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

    def _one(self, seg: Segment) -> str:
        code = next(iter(seg.candidates))
        where = self.geography.kommuner[code].name
        name = seg.names.get(code, seg.label)
        text = f"{seg.source} '{name}'"
        if name.casefold() != where.casefold():
            text += f" in {where}"
        return f"{text} ({seg.settled})" if seg.settled else text

    def _same(self, places: list[Segment]) -> str:
        return f"{len(places)} names for the same kommun: " + "; ".join(self._one(s) for s in places)

    def _ambiguity(self, unclear: list[Segment]) -> str:
        parts = []
        for seg in unclear:
            names = ", ".join(f"{self.geography.kommuner[c].name} ({c})" for c in sorted(seg.candidates))
            what = "generic district name" if seg.generic else seg.source
            parts.append(f"{what} '{seg.text}' fits {len(seg.candidates)} kommuner: {names}")
        return "; ".join(parts)


def _first_per_code(places: list[Segment]) -> list[Segment]:
    seen: set[str] = set()
    firsts = []
    for seg in places:
        code = next(iter(seg.candidates))
        if code not in seen:
            seen.add(code)
            firsts.append(seg)
    return firsts


def _result(codes: tuple[str, ...], status: str, reason: str | None, explanation: str,
            trace: list[str]) -> PlaceResolution:
    return PlaceResolution(codes, status, reason, explanation, tuple(trace))
