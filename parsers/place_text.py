"""The words of place texts: normalising them for lookup, and the phrases and small words that carry no place."""
from __future__ import annotations

import re
import unicodedata

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

# How the typed letters relate to a name's: same, diacritics left out (Malmo/Malmö), or different (Häbo/Håbo).
EXACT, OMITTED, CHANGED = 0, 1, 2

# Suffixes naming the municipality itself, optionally after a genitive -s ("Stockholms stad").
KOMMUN_SUFFIX = re.compile(r"^(?P<base>.+?)\s+(?P<word>kommun|stad)$")
# Separators between several place names: / , & ; | + ( ) " och " "eller" "and" and a spaced dash.
_SEPARATOR = re.compile(r"\s*[/,&;|+()]\s*|\s+(?:och|eller|samt|and|or)\s+|\s+[-\u2010-\u2015]\s+")
# Any dash with optional spaces around it; "Malung - Sälen" and "Malung-Sälen" compare equal.
_DASH = re.compile(r"\s*[-\u2010-\u2015]\s*")
EDGE_PUNCTUATION = re.compile(r"^[\W_]+|[\W_]+$")
_NON_LETTERS = re.compile(r"[\W\d_]+")
# Letters that Unicode decomposition does not split into base letter + mark.
_EXTRA_FOLDS = str.maketrans({
    "ø": "o", "æ": "ae", "œ": "oe", "ð": "d", "þ": "th", "ł": "l", "đ": "d", "ı": "i",
})


def normalise_place(text: str | None) -> str:
    """Casefold, trim, collapse whitespace, strip edge punctuation, and fold diacritics (å→a, é→e)."""
    return fold(exact_key(text))


def exact_key(text: str | None) -> str:
    """Like normalise_place but keeping diacritics (NFC), for exact name matches."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = " ".join(text.split())
    text = EDGE_PUNCTUATION.sub("", text)
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """Diacritics left out (å→a, ø→o)."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.translate(_EXTRA_FOLDS)


def lookup_key(key: str) -> str:
    """Key used in the name indexes: dashes count as spaces."""
    return " ".join(_DASH.sub(" ", key).split())


def spelling(typed: str, name: str) -> int:
    """How the typed letters relate to a name's: EXACT, OMITTED or CHANGED."""
    if typed == name:
        return EXACT
    if len(typed) == len(name) and all(t == n or t == fold(n) for t, n in zip(typed, name)):
        return OMITTED
    return CHANGED


def filler_cores(words: list[str]) -> list[tuple[int, int]]:
    """(start, end) of the words left when filler words in front and filler/suffix words at the end
    are dropped, longest first ("i Nyhem centrum" → "Nyhem centrum", then "Nyhem")."""
    lead = 0
    while lead < len(words) - 1 and fold(words[lead]) in FILLER_WORDS:
        lead += 1
    trail = 0
    while trail < len(words) - 1 - lead and fold(words[len(words) - 1 - trail]) in FILLER_WORDS | SUFFIX_WORDS:
        trail += 1
    cores = [(start, len(words) - cut) for start in range(lead + 1) for cut in range(trail + 1) if start or cut]
    return sorted(cores, key=lambda core: (core[0] - core[1], core))


def letters_only(text: str) -> str:
    """Letters only, runs of anything else as one space."""
    return " ".join(_NON_LETTERS.sub(" ", text).split())


def split_parts(text: str) -> list[str]:
    """The parts of a text between separators, without edge punctuation; empty parts left out."""
    return [p for p in (EDGE_PUNCTUATION.sub("", part) for part in _SEPARATOR.split(text)) if p]
