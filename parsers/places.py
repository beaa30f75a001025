"""Place resolution: free-text ad locations to kommun codes (first version: kommun names only)."""
from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from config.geo import Geography

Status = Literal["resolved", "ambiguous", "unresolved"]
Reason = Literal["none", "nationwide", "abroad", "ambiguous"]

RESOLVED: Status = "resolved"
AMBIGUOUS: Status = "ambiguous"
UNRESOLVED: Status = "unresolved"

REASON_NONE: Reason = "none"
REASON_NATIONWIDE: Reason = "nationwide"
REASON_ABROAD: Reason = "abroad"  # reserved: not produced by this version
REASON_AMBIGUOUS: Reason = "ambiguous"

# Phrases meaning "the whole country", compared after normalise_place().
NATIONWIDE_PHRASES: frozenset[str] = frozenset({
    "hela sverige", "i hela sverige", "hela landet", "i hela landet", "sverige",
    "riket", "hela riket", "overallt", "overallt i sverige",
    "sweden", "all of sweden", "all over sweden", "whole sweden", "everywhere",
})

# Suffixes naming the municipality itself, optionally after a genitive -s ("Stockholms stad").
_SUFFIX = re.compile(r"^(?P<base>.+?)\s+(?P<word>kommun|stad)$")
# Separators between several place names: / , & ; | + " och " and a spaced dash.
_SEPARATOR = re.compile(r"\s*[/,&;|+]\s*|\s+och\s+|\s+[-\u2010-\u2015]\s+")
# Any dash with optional spaces around it; "Malung - Sälen" and "Malung-Sälen" compare equal.
_DASH = re.compile(r"\s*[-\u2010-\u2015]\s*")
_EDGE_PUNCTUATION = re.compile(r"^[\W_]+|[\W_]+$")
# Letters that Unicode decomposition does not split into base letter + mark.
_EXTRA_FOLDS = str.maketrans({
    "ø": "o", "æ": "ae", "œ": "oe", "ð": "d", "þ": "th", "ł": "l", "đ": "d", "ı": "i",
})
_CACHE_SIZE = 65_536


@dataclass(frozen=True)
class PlaceResolution:
    """The outcome of resolving one place text, with a short human-readable explanation."""

    kommun_codes: tuple[str, ...]
    status: str  # "resolved" | "ambiguous" | "unresolved"
    reason: str | None  # None when resolved; "none" | "nationwide" | "abroad" | "ambiguous"
    explanation: str

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


@dataclass(frozen=True)
class _Match:
    codes: tuple[str, ...]
    ambiguous: bool
    explanation: str


class PlaceResolver:
    """Resolves place texts against one Geography; deterministic and cached per instance."""

    def __init__(self, geography: Geography) -> None:
        self.geography = geography
        self._exact_index = self._build_index(geography, fold=False)
        self._folded_index = self._build_index(geography, fold=True)
        self._resolve_cached = functools.lru_cache(maxsize=_CACHE_SIZE)(self._resolve_key)

    @staticmethod
    def _build_index(geography: Geography, *, fold: bool) -> dict[str, tuple[str, ...]]:
        index: dict[str, list[str]] = {}
        for code, kommun in sorted(geography.kommuner.items()):
            key = _lookup_key(_exact_key(kommun.name))
            if fold:
                key = _fold(key)
            index.setdefault(key, []).append(code)
        return {key: tuple(codes) for key, codes in index.items()}

    def resolve(self, text: str | None, context: str | None = None) -> PlaceResolution:
        """Resolve a place text to kommun codes. `context` (other ad text) is not used yet."""
        return self._resolve_cached(_exact_key(text))

    def _resolve_key(self, key: str) -> PlaceResolution:
        if not key:
            return PlaceResolution((), UNRESOLVED, REASON_NONE, "empty place text")
        if _lookup_key(_fold(key)) in NATIONWIDE_PHRASES:
            return PlaceResolution((), UNRESOLVED, REASON_NATIONWIDE, "nationwide phrase")

        match = self._match_name(key)
        if match is None:
            match = self._match_list(key)
        if match is None:
            return PlaceResolution((), UNRESOLVED, REASON_NONE, "no kommun name matched")
        if match.ambiguous:
            return PlaceResolution(match.codes, AMBIGUOUS, REASON_AMBIGUOUS, match.explanation)
        return PlaceResolution(match.codes, RESOLVED, None, match.explanation)

    def _match_name(self, key: str) -> _Match | None:
        """One kommun name, possibly with a 'kommun'/'stad' suffix: exact first, then without diacritics."""
        name = _lookup_key(key)
        candidates = [(name, "")]
        suffix = _SUFFIX.match(name)
        if suffix:
            base, word = suffix.group("base"), suffix.group("word")
            candidates.append((base, f" + '{word}'"))
            if base.endswith("s"):
                candidates.append((base[:-1], f" + genitive 's {word}'"))

        for candidate, note in candidates:
            codes = self._exact_index.get(candidate)
            if codes:
                return self._name_match(codes, "exact kommun name" + note)
        for candidate, note in candidates:
            codes = self._folded_index.get(_fold(candidate))
            if codes:
                return self._name_match(codes, "kommun name without diacritics" + note)
        return None

    def _name_match(self, codes: tuple[str, ...], explanation: str) -> _Match:
        if len(codes) == 1:
            return _Match(codes, False, explanation)
        names = ", ".join(f"{self.geography.kommuner[c].name} ({c})" for c in codes)
        return _Match(codes, True, f"{explanation} fits several kommuner: {names}")

    def _match_list(self, key: str) -> _Match | None:
        """Several kommun names separated by / , & 'och' or a spaced dash; every part must match."""
        parts = [p for p in (_EDGE_PUNCTUATION.sub("", part) for part in _SEPARATOR.split(key)) if p]
        if len(parts) < 2:
            return None
        matches = []
        for part in parts:
            match = self._match_name(part)
            if match is None:
                return None
            matches.append(match)
        codes = tuple(dict.fromkeys(code for match in matches for code in match.codes))
        ambiguous = any(match.ambiguous for match in matches)
        if len(codes) == 1 and not ambiguous:
            return _Match(codes, False, f"same kommun named {len(parts)} times ({matches[0].explanation})")
        details = "; ".join(match.explanation for match in matches)
        prefix = "list of kommun names, one of them ambiguous" if ambiguous else "list of kommun names"
        return _Match(codes, ambiguous, f"{prefix}: {details}")
