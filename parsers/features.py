"""Ad features from an ad's title and text, read in memory: booleans only (see config/lexicons/).

Four features follow the NIJ-funded validation study (Lugo-Graulich et al. 2024): an obscured phone
number, a stated ethnicity or nationality, language suggesting youth and language signalling
trustworthiness. Stated touring is a mobility signal. Only the booleans (and the resolved kommun code
of a stated tour destination) are ever stored; the matched words and the text are dropped.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from config.lexicons import Lexicons, ObscuredPhoneLexicon, PhraseLexicon, TouringLexicon

FEATURE_NAMES = ("obscured_phone", "stated_ethnicity", "youth_language", "trust_language", "stated_touring")

_WORD = re.compile(r"[^\W_]+")
# Words and digit groups, and single punctuation marks (which may sit inside a written number).
_PART = re.compile(r"[^\W_]+|[^\w\s]")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass(frozen=True)
class AdFeatures:
    """What an ad's wording says, as booleans; `tour_destination` is plaintext and stays in memory."""

    obscured_phone: bool = False
    stated_ethnicity: bool = False
    youth_language: bool = False
    trust_language: bool = False
    stated_touring: bool = False
    tour_destination: str | None = field(default=None, repr=False)

    def as_dict(self) -> dict[str, bool]:
        return {name: getattr(self, name) for name in FEATURE_NAMES}


def words(text: str) -> list[str]:
    """Casefolded words and digit groups."""
    return _WORD.findall(text.casefold())


@lru_cache(maxsize=32)
def _phrases(cues: tuple[str, ...]) -> dict[str, tuple[tuple[str, ...], ...]]:
    """Cue phrases as word tuples, indexed by their first word."""
    index: dict[str, list[tuple[str, ...]]] = {}
    for cue in cues:
        tokens = tuple(words(cue))
        if tokens:
            index.setdefault(tokens[0], []).append(tokens)
    return {first: tuple(sorted(found, key=len, reverse=True)) for first, found in index.items()}


NOT_AFTER_REACH = 5  # a cue this many words or fewer after an excluded word ("pratar svenska och ryska") is skipped


def has_cue(tokens: list[str], lexicon: PhraseLexicon) -> bool:
    """True when a cue phrase occurs in one sentence's words, neither shortly after an excluded word
    nor right before one."""
    index = _phrases(lexicon.all_cues)
    before, after = set(lexicon.not_after), set(lexicon.not_before)
    for i, token in enumerate(tokens):
        for phrase in index.get(token, ()):
            end = i + len(phrase)
            if tuple(tokens[i:end]) != phrase:
                continue
            if before.intersection(tokens[max(0, i - NOT_AFTER_REACH):i]):
                continue
            if end < len(tokens) and tokens[end] in after:
                continue
            return True
    return False


def has_obscured_phone(text: str, lexicon: ObscuredPhoneLexicon) -> bool:
    """A run of digit-like parts (digits, spelled-out digits, look-alike letters) that hides a number.

    A run with at least `min_digits` digits counts when it spells out digits, uses letters for digits,
    or spaces the digits out one by one; a plainly written number does not.
    """
    digit_words = {word: digit for language in lexicon.digit_words.values() for word, digit in language.items()}
    lookalikes = set(lexicon.lookalikes)
    separators = set(lexicon.separators)
    run = {"digits": 0, "words": 0, "lookalikes": 0, "singles": 0}

    def obscured() -> bool:
        return run["digits"] >= lexicon.min_digits and (
            run["words"] >= lexicon.min_digit_words or run["lookalikes"] >= lexicon.min_lookalikes
            or run["singles"] >= lexicon.min_single_digits)

    for part in _PART.findall(text):
        folded = part.casefold()
        if folded in digit_words:
            run["digits"] += 1
            run["words"] += 1
        elif all(c.isdigit() or c in lookalikes for c in part) and (
                any(c.isdigit() for c in part) or (len(part) == 1 and run["digits"])):
            letters = sum(c in lookalikes for c in part)
            run["digits"] += len(part)
            run["lookalikes"] += letters
            run["singles"] += len(part) == 1
        elif part in separators:
            continue
        else:
            if obscured():
                return True
            run = dict.fromkeys(run, 0)
    return obscured()


def stated_tour(text: str, lexicon: TouringLexicon) -> tuple[bool, str | None]:
    """Whether a sentence states touring (a cue, then a date), and the place text between them."""
    months = {month for names in lexicon.months.values() for month in names}
    index = _phrases(lexicon.all_cues)
    for sentence in _SENTENCE_END.split(text):
        parts = [(m.group(0), m.start(), m.end()) for m in _WORD.finditer(sentence)]
        tokens = [p[0].casefold() for p in parts]
        for i, token in enumerate(tokens):
            for phrase in index.get(token, ()):
                end = i + len(phrase)
                if tuple(tokens[i:end]) != phrase:
                    continue
                date_at = _date_after(tokens, end, lexicon.max_words_to_date, months)
                if date_at is None:
                    continue
                between = [p[0] for p in parts[end:date_at]]
                while between and between[0].casefold() in {"i", "till", "in", "to", "på"}:
                    between = between[1:]
                destination = " ".join(between) if 0 < len(between) <= lexicon.max_destination_words else None
                return True, destination
    return False, None


def _date_after(tokens: list[str], start: int, limit: int, months: set[str]) -> int | None:
    """Where a date ('12 nov', '12–14 nov', '3/12') starts within `limit` words after `start`."""
    for j in range(start, min(len(tokens), start + limit + 1)):
        if not (tokens[j].isdigit() and len(tokens[j]) <= 2):
            continue
        rest = tokens[j + 1:j + 3]
        if rest and (rest[0] in months or (rest[0].isdigit() and len(rest[0]) <= 2)):
            return j
    return None


def extract_features(title: str | None, text: str | None, lexicons: Lexicons) -> AdFeatures | None:
    """The ad's features from its title and text; None when the ad has no wording at all (unknown)."""
    wording = "\n".join(part for part in (title, text) if part)
    if not wording.strip():
        return None
    sentences = [words(sentence) for sentence in _SENTENCE_END.split(wording)]
    touring, destination = stated_tour(wording, lexicons.stated_touring)

    def cue(lexicon: PhraseLexicon) -> bool:
        return any(has_cue(tokens, lexicon) for tokens in sentences)

    return AdFeatures(
        obscured_phone=has_obscured_phone(wording, lexicons.obscured_phone),
        stated_ethnicity=cue(lexicons.stated_ethnicity),
        youth_language=cue(lexicons.youth_language),
        trust_language=cue(lexicons.trust_language),
        stated_touring=touring,
        tour_destination=destination,
    )
