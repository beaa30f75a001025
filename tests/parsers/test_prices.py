"""Price texts to SEK per hour (parsers/prices.py): an hour price when one is stated, else None."""
from __future__ import annotations

import random

import pytest

from sandbox.prices import PRICE_FORMS, PRICE_SITES, write_price
from parsers.prices import MAX_PRICE_PER_HOUR, MIN_PRICE_PER_HOUR, parse_price_per_hour


@pytest.mark.parametrize("text, expected", [
    ("1 500 kr/tim", 1500),
    ("1500:-/h", 1500),
    ("30 min 900 kr · 1 tim 1 600 kr", 1600),
    ("2000 SEK per timme", 2000),
    ("1 tim: 1 600 kr", 1600),
    ("Timme 1800kr", 1800),
    ("900 kr/30 min, 1600 kr/tim", 1600),
    ("1600 kr 1 tim 900 kr 30 min", 1600),  # amounts before their durations
    ("Hel natt 8000 kr · 1 tim 2000 kr", 2000),
    ("60 min 1500 kr", 1500),
    ("1.500 kr/h", 1500),
    ("1 500,00 kr/timme", 1500),
    ("1500,-/tim", 1500),
    ("1500 kr i timmen", 1500),
    ("1500 kronor per timme", 1500),
    ("Timpris: 2 200 SEK", 2200),
    ("1600 kr (1 tim)", 1600),
    ("1 tim 1600", 1600),
    ("1h 1500kr", 1500),
    ("1 h: 1 900 kr", 1900),
    ("1 tim 1500 kr 2 tim 2800 kr", 1500),
    ("Tillgänglig 24/7 · 1500 kr/h", 1500),
    ("1\u00a0500\u00a0kr/tim", 1500),  # non-breaking spaces
    ("FRÅN 1 200 KR/TIM", 1200),
])
def test_an_hour_price_is_read(text, expected):
    assert parse_price_per_hour(text) == expected


@pytest.mark.parametrize("text", [
    "30 min 800 kr",          # only a half-hour price: never taken as an hour price
    "½ tim 900 kr",
    "1/2 tim 900 kr",
    "halvtimme 900 kr",
    "1,5 tim 2200 kr",
    "2 tim 3000 kr",          # a two-hour price is not an hour price either
    "2000 kr/2 tim",
    "Hel natt 9000 kr",
    "1 500 kr",               # no duration
    "Pris enligt överenskommelse",
    "Ring för pris",
    "1500-2000 kr/h",         # a range
    "1500 till 2000 kr/h",
    "1 tim 1500 kr (incall), 1 tim 2000 kr (outcall)",  # two hour prices
    "150 €/h",                # another currency
    "1 tim 150 € / 1500 kr",
    "15 000 kr/tim",          # absurd
    "150000 kr/h",
    "50 kr/h",
    "1 kr/tim",
    "",
    None,
])
def test_no_or_an_unclear_hour_price_is_none(text):
    assert parse_price_per_hour(text) is None


def test_the_limits_are_inclusive():
    assert parse_price_per_hour(f"{MIN_PRICE_PER_HOUR} kr/h") == MIN_PRICE_PER_HOUR
    assert parse_price_per_hour(f"{MIN_PRICE_PER_HOUR - 1} kr/h") is None
    assert parse_price_per_hour(f"{MAX_PRICE_PER_HOUR} kr/h") == MAX_PRICE_PER_HOUR
    assert parse_price_per_hour(f"{MAX_PRICE_PER_HOUR + 1} kr/h") is None


def test_every_sandbox_price_form_reads_as_its_truth():
    rng = random.Random(7)
    seen_forms = set()
    for _ in range(3000):
        hour = rng.randrange(8, 51) * 100
        text, stated = write_price(rng, sorted(PRICE_SITES)[0], hour)
        seen_forms.add(text is None)
        assert parse_price_per_hour(text) == stated, text
    assert seen_forms == {True, False}
    assert {form for _, form, _ in PRICE_FORMS if form} >= {"{hs} kr/tim", "{h}:-/h", "{h} SEK per timme",
                                                             "30 min {halfs} kr · 1 tim {hs} kr"}
