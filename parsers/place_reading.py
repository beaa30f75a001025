"""Reading a place text: the names in it, as written, without filler words, between separators, in the
genitive or with a typo — each as a Segment with its candidate kommuner, for analysis by parsers.places."""
from __future__ import annotations

import functools
from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import OSA

from parsers.gazetteer import (
    ALIAS, EVIDENCE_MIN, KOMMUN, KOMMUN_NAME_EVIDENCE, PLACE, TIER_LABEL, USER, Entry, Gazetteer,
)
from parsers.place_text import (
    CHANGED, COUNTRY_WORDS, EDGE_PUNCTUATION, FILLER_WORDS, KOMMUN_SUFFIX, NATIONWIDE_PHRASES, OMITTED, SUFFIX_WORDS,
    filler_cores, fold, letters_only, lookup_key, split_parts, spelling,
)

# Typos: folded text of at least TYPO_MIN_LETTERS letters, one edit (two from TYPO_TWO_EDITS_FROM letters),
# transpositions counting as one edit; the closest name must be the only one at that distance.
TYPO_MIN_LETTERS = 5
TYPO_TWO_EDITS_FROM = 9
# Longer texts are not read word by word (a location field, not an ad text).
MAX_WORDS = 12


@dataclass
class Segment:
    """One place mentioned in the text, and what is known about it while resolving."""

    text: str
    kind: str  # "place" | "area" | "abroad" | "country"
    label: str = ""  # the matched name as written in the data
    source: str = ""  # how it matched, e.g. "kommun name", "locality"
    candidates: dict[str, int] = field(default_factory=dict)  # kommun code → evidence
    names: dict[str, str] = field(default_factory=dict)  # kommun code → the matched name as in the data
    tier: int = PLACE
    generic: bool = False
    typo: bool = False
    county: frozenset[str] = frozenset()  # a kommun named like its county ("Uppsala"): the county's kommuner
    area: frozenset[str] = frozenset()
    country: str = ""  # abroad: the country; place: also a foreign country of that name
    settled: str = ""  # how several candidates became one

    @property
    def names_city(self) -> bool:
        """A single kommun named outright (user alias, kommun name or alias)."""
        return self.kind == "place" and self.tier <= ALIAS and len(self.candidates) == 1 and not self.typo


def only_minor_locality(seg: Segment) -> bool:
    """A plain locality with little evidence: a foreign place of the same name is the likelier reading."""
    return seg.tier == PLACE and not seg.generic and max(seg.candidates.values(), default=0) < EVIDENCE_MIN


def describe(seg: Segment) -> str:
    """One line of the trace: what a segment was read as."""
    if seg.kind == "place":
        codes = ", ".join(sorted(seg.candidates))
        return f"{seg.source} '{seg.text}' → {codes}"
    if seg.kind == "area":
        return f"region '{seg.text}' → {seg.label} ({len(seg.area)} kommuner)"
    if seg.kind == "abroad":
        return f"foreign place '{seg.text}' ({seg.country})"
    return f"country word '{seg.text}'"


class TextReader:
    """Reads place texts against one gazetteer."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer

    def parse(self, key: str, trace: list[str]) -> list[Segment] | None:
        """The places in the text: the whole as one name, else its parts between separators."""
        seg = self._phrase_or_core(key, trace)
        if seg is not None:
            return [seg]
        parts = split_parts(key)
        if len(parts) < 2:
            return self._parse_part(key, trace)
        steps = ["split into parts: " + " | ".join(f"'{p}'" for p in parts)]
        segments: list[Segment] | None = []
        for part in parts:
            found = self._parse_part(part, steps)
            if found is None:
                steps.append(f"no place name in '{part}'")
                segments = None
                break
            segments.extend(found)
        return self._prefer_typo(key, segments, steps, trace, listed=True)

    def _parse_part(self, part: str, trace: list[str]) -> list[Segment] | None:
        """One part between separators: a name (with filler words around it), several names, or a typo."""
        seg = self._phrase_or_core(part, trace)
        if seg is not None:
            return [seg]
        words = lookup_key(part).split()
        steps: list[str] = []
        found = self._words(words, steps, fuzzy=False)
        found = self._prefer_typo(part, found, steps, trace)
        if found is not None:
            return found
        return self._words(words, trace, fuzzy=True)

    def _prefer_typo(self, text: str, segments: list[Segment] | None, steps: list[str],
                     trace: list[str], listed: bool = False) -> list[Segment] | None:
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
                trace.append(describe(seg))
                return [seg]
        if segments is not None:
            trace.extend(steps)
        return segments

    def _phrase_or_core(self, text: str, trace: list[str]) -> Segment | None:
        """A known phrase, as written or without filler words around it ("i Uppsala", "Gbg centrum")."""
        seg = self.phrase(text)
        if seg is None:
            words = lookup_key(text).split()
            for start, end in filler_cores(words):
                seg = self.phrase(" ".join(words[start:end]))
                if seg is not None:
                    trace.extend(f"ignored '{word}'" for word in words[:start] + words[end:])
                    break
        if seg is not None:
            trace.append(describe(seg))
        return seg

    def _words(self, words: list[str], trace: list[str], *, fuzzy: bool) -> list[Segment] | None:
        """Read the words as known names, skipping filler and suffix words and words without letters:
        the reading with the fewest typos, then the fewest names ("Trosa Östra Göinge" is Trosa + Östra Göinge)."""
        if not 2 <= len(words) <= MAX_WORDS:
            return None

        @functools.cache
        def best(i: int) -> tuple[int, int, tuple[Segment, ...], tuple[str, ...]] | None:
            if i == len(words):
                return (0, 0, (), ())
            word = words[i]
            options = []
            if (fold(word) in FILLER_WORDS or (i > 0 and fold(word) in SUFFIX_WORDS)
                    or not any(ch.isalpha() for ch in word)):
                if (rest := best(i + 1)) is not None:
                    options.append((rest[0], rest[1], rest[2], (f"ignored '{word}'", *rest[3])))
            for j in range(min(len(words), i + self.gazetteer.max_words), i, -1):
                seg = self.phrase(" ".join(words[i:j]))
                if seg is None and j == i + 1 and j < len(words):
                    seg = self._genitive(word)
                if seg is not None and (rest := best(j)) is not None:
                    options.append((rest[0], rest[1] + 1, (seg, *rest[2]), (describe(seg), *rest[3])))
            if fuzzy and not options:
                steps: list[str] = []
                seg = self._typo(word, steps)
                if seg is not None and (rest := best(i + 1)) is not None:
                    options.append((rest[0] + 1, rest[1] + 1, (seg, *rest[2]), (*steps, describe(seg), *rest[3])))
            return min(options, key=lambda option: option[:2]) if options else None

        reading = best(0)
        if reading is None or not reading[2]:
            return None
        trace.append("words: " + " + ".join(f"'{w}'" for w in words))
        trace.extend(reading[3])
        return list(reading[2])

    def _genitive(self, word: str) -> Segment | None:
        """'Stockholms' before another word ("Stockholms Södermalm"): the kommun in the genitive."""
        if len(word) > 3 and word.endswith("s"):
            seg = self.name(word[:-1], tiers=(USER, KOMMUN))
            if seg is not None:
                seg.source += " (genitive)"
                return seg
        return None

    def phrase(self, key: str) -> Segment | None:
        """A known phrase as a whole: a name, a region, a kommun with 'kommun'/'stad', a foreign place."""
        key = lookup_key(EDGE_PUNCTUATION.sub("", key))
        if not key:
            return None
        folded = fold(key)
        seg = self.name(key)
        abroad = self.gazetteer.abroad.get(folded)
        if seg is not None and abroad is not None and only_minor_locality(seg):
            # "Danmark" is a hamlet in Uppsala too, but an ad naming it means the country.
            return Segment(key, "abroad", label=abroad.name, country=abroad.country)
        if seg is not None and only_minor_locality(seg) and (spot := self._kommun_spot(key, seg)) is not None:
            return spot
        if seg is not None:
            if abroad is not None and abroad.name.casefold() == abroad.country.casefold():
                seg.country = abroad.country
            return seg
        area = self.gazetteer.areas.get(folded)
        if area is not None:
            return Segment(key, "area", label=area.label, area=area.codes)
        suffix = KOMMUN_SUFFIX.match(key)
        if suffix:
            base, word = suffix.group("base"), suffix.group("word")
            forms = [(base, f"+ '{word}'")]
            if base.endswith("s"):
                forms.append((base[:-1], f"+ genitive 's {word}'"))
            for candidate, note in forms:
                seg = self.name(candidate, tiers=(USER, KOMMUN))
                if seg is not None:
                    seg.source += f" {note}"
                    seg.county = frozenset()  # "Uppsala kommun" names the kommun, not the county
                    return seg
        abroad = self.gazetteer.abroad.get(folded)
        if abroad is not None:
            return Segment(key, "abroad", label=abroad.name, country=abroad.country)
        if folded in COUNTRY_WORDS or folded in NATIONWIDE_PHRASES:
            return Segment(key, "country", label=key)
        return None

    def _kommun_spot(self, key: str, locality: Segment) -> Segment | None:
        """'<kommun name> <spot word>' that is also a minor locality elsewhere ("Sjöbo centrum" is an area
        in Borås): both readings, the kommun with its name's evidence, for _settle to decide (a city
        named in the text or context, else the evidence). None when the words name no kommun."""
        words = key.split()
        if len(words) < 2 or fold(words[-1]) not in SUFFIX_WORDS:
            return None
        kommun = self.name(" ".join(words[:-1]), tiers=(USER, KOMMUN))
        if kommun is None or len(kommun.candidates) != 1 or kommun.candidates.keys() <= locality.candidates.keys():
            return None
        code = next(iter(kommun.candidates))
        return Segment(key, "place", label=kommun.label, source=f"{kommun.source} + '{words[-1]}' / {locality.source}",
                        candidates={**locality.candidates, code: KOMMUN_NAME_EVIDENCE},
                        names={**locality.names, code: kommun.label}, tier=PLACE)

    def name(self, key: str, tiers: tuple[int, ...] = (USER, KOMMUN, ALIAS, PLACE),
              any_spelling: bool = False) -> Segment | None:
        """The best group of gazetteer entries for a key: strongest tier, exact spelling before folded."""
        entries = [e for e in self.gazetteer.names.get(fold(key), ()) if e.tier in tiers]
        if not entries:
            return None

        def rank(entry: Entry) -> tuple[bool, int, int]:
            quality = CHANGED if any_spelling else spelling(key, entry.key)
            return (quality == CHANGED, entry.tier, quality)

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
        source = TIER_LABEL[tier] if tier != PLACE else "/".join(kinds)
        if best[2] == OMITTED:
            source += " without diacritics"
        elif best[2] == CHANGED and not any_spelling:
            source += " with other diacritics"
        seg = Segment(key, "place", label=group[0].name, source=source, candidates=candidates,
                       names=names, tier=tier, generic=generic)
        if len(candidates) == 1 and tier <= KOMMUN:
            seg.county = self.gazetteer.county_of_kommun.get(next(iter(candidates)), frozenset())
        return seg

    def _typo(self, key: str, trace: list[str], max_edits: int = 2) -> Segment | None:
        """A name with one typing error (two in long names), when exactly one name is that close."""
        if any(ch.isdigit() for ch in key):
            return None
        folded = letters_only(fold(lookup_key(key)))
        letters = sum(ch.isalpha() for ch in folded)
        if letters < TYPO_MIN_LETTERS:
            return None
        limit = min(max_edits, 2 if letters >= TYPO_TWO_EDITS_FROM else 1)
        choices = [k for n in range(len(folded) - limit, len(folded) + limit + 1)
                   for k in self.gazetteer.fuzzy_by_length.get(n, ())]
        hits = process.extract(folded, choices, scorer=OSA.distance, score_cutoff=limit, limit=None)
        if not hits:
            return None
        distance = min(hit[1] for hit in hits)
        best = sorted(k for hit in hits if hit[1] == distance for k in self.gazetteer.fuzzy_keys[hit[0]])
        edits = f"{distance} edit{'s' if distance > 1 else ''}"
        readings = [seg for name in best if (seg := self.name(name, any_spelling=True) or self.phrase(name))]
        places = [seg for seg in readings if seg.kind == "place"]
        codes = sorted({code for seg in places for code in seg.candidates})
        # A region as close as a place inside it adds nothing ("stockholmx": Stockholm, Stockholms län).
        others = [seg for seg in readings if seg.kind != "place" and not (codes and set(codes) <= seg.area)]
        if len(places) + len(others) > 1 and not (len(codes) == 1 and not others):
            # Several names equally close: ambiguous among Swedish ones, nothing if a foreign one is as close.
            trace.append(f"typo: '{key}' is {edits} from each of " + ", ".join(f"'{b}'" for b in best))
            if not codes or any(seg.kind == "abroad" for seg in others):
                return None
            return Segment(key, "place", label=key, source="typo close to several names",
                            candidates=dict.fromkeys(codes, 0), typo=True)
        if not readings:
            return None
        seg = places[0] if places else readings[0]
        seg.typo = True
        seg.source = f"typo ({edits}) of {seg.source}"
        trace.append(f"typo: '{key}' read as '{seg.label}' ({edits})")
        return seg
