"""Tests for parsers.place_text: normalising place texts and splitting them into names."""
from __future__ import annotations

import pytest

from parsers.place_text import filler_cores, lookup_key, normalise_place, split_parts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  Örebro  ", "orebro"),
        ("Västerås.", "vasteras"),
        ("Upplands   Väsby", "upplands vasby"),
        ("«Malmö»", "malmo"),
        ("Zürich", "zurich"),
        ("Café", "cafe"),
        ("Tromsø", "tromso"),
        ("", ""),
        (None, ""),
    ],
)
def test_normalise_place(text: str | None, expected: str) -> None:
    assert normalise_place(text) == expected


def test_dashes_count_as_spaces_in_lookup_keys() -> None:
    assert lookup_key("malung - sälen") == lookup_key("malung-sälen") == "malung sälen"


def test_parts_are_split_at_separators_but_not_inside_names() -> None:
    assert split_parts("Solna / Sundbyberg, (Kista)") == ["Solna", "Sundbyberg", "Kista"]
    assert split_parts("Malmö och Lund") == ["Malmö", "Lund"]
    assert split_parts("Malung-Sälen") == ["Malung-Sälen"]


def test_filler_cores_drop_filler_in_front_and_suffix_words_at_the_end() -> None:
    words = ["i", "nyhem", "centrum"]
    cores = [" ".join(words[a:b]) for a, b in filler_cores(words)]
    assert set(cores[:2]) == {"nyhem centrum", "i nyhem"} and cores[2:] == ["nyhem"]  # longest first
