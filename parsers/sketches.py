"""Keyed MinHash sketches of ad wording: near-duplicate detection without keeping any text.

A sketch is computed in memory while crawling and is all that is stored of an ad's wording:
- the *text sketch* covers the normalised title and text (word 3-shingles), to find reposts and
  cross-posts of one advert;
- the *template sketch* covers the same wording with its slots masked — the profile's display name,
  numbers, the ad's place words and other proper nouns — so that network adverts whose name, age and
  city vary still match.

Each of SLOTS slots keeps the minimum, over the shingles, of a keyed hash (HMAC-SHA512 with an
HKDF subkey of the study-period key, crawler/anonymiser.py); the low 16 bits of each minimum are
stored (b-bit MinHash). The share of equal slots estimates the Jaccard similarity of the two shingle
sets. Without the key a sketch reveals nothing about the wording and cannot be recomputed; sketches
of different study periods never match.

Format: base64url of [version byte, shingle count (capped at 255), SLOTS × uint16 little-endian].
"""
from __future__ import annotations

import base64
import hmac
import re
import struct
from typing import Iterable, Sequence

import numpy as np

SLOTS = 32
SHINGLE_WORDS = 3
SKETCH_VERSION = 1
SKETCH_LEN = 88  # characters of an encoded sketch
_HEADER = struct.Struct("<BB")
_BODY = struct.Struct(f"<{SLOTS}H")
_WORD = re.compile(r"[^\W_]+")
_TOKEN = re.compile(r"[^\W_]+|[.!?:]")
_SENTENCE_END = frozenset(".!?:")
# Names, places and other proper nouns are all one kind of slot; numbers another.
SLOT_MASK, NUMBER_MASK = "<namn>", "<tal>"
NAME_MASK = PLACE_MASK = PROPER_MASK = SLOT_MASK
# Words of a location text that name no place of their own ("Malmö centrum", "Hela Sverige").
GENERIC_PLACE_WORDS = frozenset({
    "centrum", "city", "station", "central", "centralen", "centralstation", "resecentrum", "kommun", "stad",
    "nära", "near", "området", "omr", "hela", "whole", "all", "och", "eller", "and",
})
# Spelled-out digits: next to another digit or digit word they are part of a number ("noll sju noll").
DIGIT_WORDS = frozenset({
    "noll", "nolla", "ett", "en", "etta", "två", "tvåa", "tre", "trea", "fyra", "fem", "femma", "sex", "sexa",
    "sju", "sjua", "åtta", "nio", "nia", "zero", "oh", "one", "two", "three", "four", "five", "six", "seven",
    "eight", "nine",
})


def normalised_words(*parts: str | None) -> list[str]:
    """Casefolded words and digit groups of the given texts, punctuation dropped."""
    return [word for part in parts if part for word in _WORD.findall(part.casefold())]


def shingles(tokens: Sequence[str], size: int = SHINGLE_WORDS) -> set[str]:
    """Word n-grams; a text shorter than `size` words is one shingle."""
    if not tokens:
        return set()
    if len(tokens) < size:
        return {" ".join(tokens)}
    return {" ".join(tokens[i:i + size]) for i in range(len(tokens) - size + 1)}


def text_shingles(title: str | None, text: str | None) -> set[str]:
    return shingles(normalised_words(title, text))


def template_tokens(title: str | None, text: str | None, *, names: Iterable[str] = (),
                    places: Iterable[str] = ()) -> list[str]:
    """The wording with its slots masked: name words, numbers, place words and other proper nouns.

    A capitalised word that does not start a sentence is taken for a proper noun (Swedish capitalises
    little else). Names, places and proper nouns share one mask, numbers (also spelled out) another;
    runs of one mask collapse into one, so "Upplands Väsby" and "Umeå" mask alike.
    """
    name_words = {w for name in names for w in normalised_words(name) if len(w) >= 2}
    place_words = {w for place in places for w in normalised_words(place)
                   if len(w) >= 3 and w not in GENERIC_PLACE_WORDS}
    masked: list[str] = []
    for part in (title, text):
        if not part:
            continue
        tokens = _TOKEN.findall(part)
        numeric = [any(c.isdigit() for c in t) or t.casefold() in DIGIT_WORDS for t in tokens]
        starts_sentence = True
        for i, token in enumerate(tokens):
            if token in _SENTENCE_END:
                starts_sentence = True
                continue
            folded = token.casefold()
            spelled_number = folded in DIGIT_WORDS and (
                (i > 0 and numeric[i - 1]) or (i + 1 < len(tokens) and numeric[i + 1]))
            if folded in name_words:
                word = NAME_MASK
            elif any(c.isdigit() for c in token) or spelled_number:
                word = NUMBER_MASK
            elif folded in place_words:
                word = PLACE_MASK
            elif token[0].isupper() and not starts_sentence:
                word = PROPER_MASK
            else:
                word = folded
            starts_sentence = False
            if not (masked and word == masked[-1] and word.startswith("<")):
                masked.append(word)
    return masked


def template_shingles(title: str | None, text: str | None, *, names: Iterable[str] = (),
                      places: Iterable[str] = ()) -> set[str]:
    return shingles(template_tokens(title, text, names=names, places=places))


def keyed_sketch(key: bytes, shingle_set: Iterable[str]) -> str | None:
    """The keyed MinHash sketch of a shingle set (None for an empty set)."""
    encoded = sorted({s.encode("utf-8") for s in shingle_set})
    if not encoded:
        return None
    digests = b"".join(hmac.digest(key, prefix + s, "sha512") for s in encoded for prefix in (b"\x00", b"\x01"))
    minima = np.frombuffer(digests, dtype="<u4").reshape(len(encoded), SLOTS).min(axis=0)
    body = _BODY.pack(*(int(value) & 0xFFFF for value in minima))
    raw = _HEADER.pack(SKETCH_VERSION, min(len(encoded), 255)) + body
    return base64.urlsafe_b64encode(raw).decode("ascii")


class SketchError(ValueError):
    """A stored value that is not a sketch of this format."""


def decode_sketch(sketch: str) -> tuple[int, tuple[int, ...]]:
    """(shingle count, slot values) of an encoded sketch."""
    try:
        raw = base64.urlsafe_b64decode(sketch.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise SketchError("not a base64 sketch") from None
    if len(raw) != _HEADER.size + _BODY.size or raw[0] != SKETCH_VERSION:
        raise SketchError("not a version-1 sketch")
    return raw[1], _BODY.unpack(raw[_HEADER.size:])


def sketch_matrix(sketches: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Slot values (n × SLOTS, uint16) and shingle counts (n) of many sketches."""
    if not sketches:
        return np.zeros((0, SLOTS), dtype=np.uint16), np.zeros(0, dtype=np.int64)
    raw = b"".join(base64.urlsafe_b64decode(s.encode("ascii")) for s in sketches)
    width = _HEADER.size + _BODY.size
    if len(raw) != width * len(sketches):
        raise SketchError("a value is not a sketch of this format")
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(len(sketches), width)
    if (rows[:, 0] != SKETCH_VERSION).any():
        raise SketchError("not a version-1 sketch")
    slots = rows[:, _HEADER.size:].copy().view("<u2").reshape(len(sketches), SLOTS)
    return slots, rows[:, 1].astype(np.int64)


def similarity(a: str, b: str) -> float:
    """Estimated Jaccard similarity of the two sketched shingle sets: the share of equal slots."""
    _, slots_a = decode_sketch(a)
    _, slots_b = decode_sketch(b)
    return sum(x == y for x, y in zip(slots_a, slots_b)) / SLOTS
