"""Prices in the simulated market: each advert's price per hour, and how a site writes it.

An advert's hour price is seeded by (seed, person, advert): a level per category, higher in
Stockholm and a little higher in Göteborg and Malmö, with a log-normal spread, in whole hundreds.
Nattsidan and Kvällsidan show prices, written the messy ways ads write them ("1 500 kr/tim",
"1500:-/h", "30 min 900 kr · 1 tim 1 600 kr", "2000 SEK per timme"); some ads show none, some only
a half-hour price or "Pris enligt överenskommelse". Stjärnsidan shows no prices.

`write_price` returns the text and the hour price a reader can take from it (None when the text
states no hour price): that is the truth lagesbild is scored against.
"""
from __future__ import annotations

import math
import random

from sandbox.market import KVALLSIDA, NATTSIDA

PRICE_SITES = frozenset({NATTSIDA, KVALLSIDA})
CATEGORY_PRICE = {"Kvinna": 1600, "Man": 1300, "Trans": 1500, "Par": 2800}
LAN_FACTOR = {"01": 1.25}  # Stockholms län
KOMMUN_FACTOR = {"1480": 1.1, "1280": 1.1}  # Göteborg, Malmö
PRICE_SPREAD = 0.2  # sigma of the log-normal spread around the level
PRICE_RANGE = (800, 5000)


def advert_price(seed: int, person_code: str, advert_number: int, category: str, home_kommun: str) -> int:
    """An advert's price per hour in SEK (whole hundreds), the same on every site and in every repost."""
    rng = random.Random(f"{seed}:price:{person_code}:{advert_number}")
    level = CATEGORY_PRICE.get(category, 1600) * LAN_FACTOR.get(home_kommun[:2], 1.0)
    level *= KOMMUN_FACTOR.get(home_kommun, 1.0)
    price = round(level * math.exp(rng.gauss(0.0, PRICE_SPREAD)) / 100) * 100
    return min(max(price, PRICE_RANGE[0]), PRICE_RANGE[1])


def _spaced(value: int) -> str:
    """1500 → '1 500' (a space between thousands, as Swedish writes it)."""
    return f"{value:,}".replace(",", " ")


def _half(hour: int) -> int:
    return round(hour * 0.6 / 50) * 50


# (weight, form, states the hour price). {h}: the hour price, {hs}: with a thousands space,
# {half}/{halfs}: a 30-minute price, {two}: a two-hour price.
PRICE_FORMS: tuple[tuple[float, str | None, bool], ...] = (
    (0.22, None, False),  # no price on the ad
    (0.16, "{hs} kr/tim", True),
    (0.12, "{h}:-/h", True),
    (0.12, "30 min {halfs} kr · 1 tim {hs} kr", True),
    (0.10, "{h} SEK per timme", True),
    (0.07, "1 tim: {hs} kr", True),
    (0.05, "Timme {h}kr", True),
    (0.05, "{half} kr/30 min, {h} kr/tim", True),
    (0.05, "30 min {halfs} kr", False),  # only a half-hour price: no hour price to read
    (0.02, "Pris enligt överenskommelse", False),
    (0.02, "Ring för pris", False),
    (0.02, "1 tim {hs} kr · 2 tim {twos} kr", True),
)


def write_price(rng: random.Random, site: str, hour_price: int) -> tuple[str | None, int | None]:
    """How a listing on `site` shows the price: (text or None, the hour price the text states or None)."""
    if site not in PRICE_SITES:
        return None, None
    weights = [weight for weight, _, _ in PRICE_FORMS]
    _, form, states_hour = rng.choices(PRICE_FORMS, weights=weights)[0]
    if form is None:
        return None, None
    half, two = _half(hour_price), round(hour_price * 1.8 / 100) * 100
    text = form.format(h=hour_price, hs=_spaced(hour_price), half=half, halfs=_spaced(half), twos=_spaced(two))
    return text, hour_price if states_hour else None
