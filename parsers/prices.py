"""Price per hour from an ad's price text: "1 500 kr/tim", "1500:-/h", "30 min 900 kr · 1 tim 1 600 kr".

A pure function: text in, whole SEK per hour (or None) out. It returns an hour price only when the
text states one — a price for 30 minutes, two hours or a night is never turned into an hour price —
and None when the text is unclear: no duration, two different hour prices, a price range, another
currency, or a value outside MIN_PRICE_PER_HOUR..MAX_PRICE_PER_HOUR.

How it reads a text: it is cut into segments at separators (·, |, ;, a comma before a space, a line
break, "och"), and each segment into amounts, durations and "per" words ("/", "per", "i", "pr").
Within a segment an amount belongs to the duration written after it ("1 500 kr/tim", "1600 kr (1 tim)")
or before it ("1 tim: 1 600 kr"), in the order the segment starts with; a segment whose amounts and
durations do not alternate is unclear.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

MIN_PRICE_PER_HOUR = 300  # SEK; anything lower is a typo, a deposit or not a price
MAX_PRICE_PER_HOUR = 12_000  # SEK; anything higher is a typo or a price for something else
HOUR = 60

_SPACES = re.compile(r"[\u00a0\u2007\u2009\u202f\t ]+")
_SEPARATORS = re.compile(r"[·•|;\n\r]+|,(?=\s)|\boch\b|\beller\b|\+")
_UNIT_MINUTES = {"min": 1, "minut": 1, "minuter": 1, "minuters": 1, "mins": 1,
                 "tim": HOUR, "timme": HOUR, "timmen": HOUR, "timmar": HOUR, "timmes": HOUR, "t": HOUR,
                 "h": HOUR, "hour": HOUR, "hours": HOUR, "hr": HOUR, "hrs": HOUR}
_WORD_MINUTES = {"timme": HOUR, "timmen": HOUR, "tim": HOUR, "h": HOUR, "hour": HOUR, "hr": HOUR,
                 "timpris": HOUR, "timtaxa": HOUR,
                 "halvtimme": 30, "halvtimmen": 30, "halvtimma": 30,
                 "natt": None, "natten": None, "hel natt": None, "kväll": None, "kvällen": None, "dygn": None,
                 "helg": None, "night": None, "overnight": None}
_SEK = {"kr", "kr.", "kronor", "sek", ":-", ",-"}
_FOREIGN = {"€", "eur", "euro", "euros", "$", "usd", "nok", "dkk", "£", "gbp"}

_TOKEN = re.compile(
    r"""
    (?P<duration>(?P<dnum>\d+(?:[.,]\d+)?|½|1/2)\s*
        (?P<dunit>minuters|minuter|minut|mins|min|timmes|timmar|timmen|timme|tim|hours|hour|hrs|hr|h|t)\b)
  | (?P<amount>(?:(?P<pre>€|\$|£)\s*)?
        (?P<num>\d{1,3}(?:[ .]\d{3})+(?![\d.])|\d+)(?P<dec>,\d{1,2}(?!\d))?
        (?:\s*(?P<cur>:-|,-|kr\.?|kronor|sek|€|eur(?:os?)?|usd|nok|dkk|gbp|\$|£)(?![a-zåäö]))?)
  | \b(?P<word>hel\ natt|halvtimmen|halvtimme|halvtimma|timpris|timtaxa|timmen|timme|tim|natten|natt|kvällen|kväll
        |dygn|helg|overnight|night|hour|hr|h)\b
  | (?P<per>/|\bper\b|\bpr\b|\bi\b|\bà\b)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Token:
    kind: str  # "amount", "duration" or "per"
    value: float | None = None  # SEK for an amount; minutes for a duration (None: a night, an evening)
    currency: str | None = None  # "sek", "foreign" or None (no currency written)


def _amount(match: re.Match) -> _Token:
    number = float(re.sub(r"[ .]", "", match["num"]) + (match["dec"] or "").replace(",", "."))
    written = (match["cur"] or match["pre"] or "").strip()
    currency = "sek" if written in _SEK else "foreign" if written in _FOREIGN else None
    return _Token("amount", number, currency)


def _duration(match: re.Match) -> _Token:
    raw = match["dnum"]
    number = 0.5 if raw in ("½", "1/2") else float(raw.replace(",", "."))
    return _Token("duration", number * _UNIT_MINUTES[match["dunit"]])


def _tokens(segment: str) -> list[_Token]:
    found = []
    for match in _TOKEN.finditer(segment):
        if match["duration"]:
            found.append(_duration(match))
        elif match["amount"]:
            found.append(_amount(match))
        elif match["word"]:
            found.append(_Token("duration", _WORD_MINUTES[match["word"]]))
        else:
            found.append(_Token("per"))
    return found


def _pairs(tokens: list[_Token]) -> list[tuple[_Token, _Token]] | None:
    """(amount, duration) pairs of one segment; None when the segment is unclear."""
    amount_first = any(a.kind == "amount" and b.kind == "per" for a, b in zip(tokens, tokens[1:]))
    items = [t for t in tokens if t.kind != "per"]
    if not items or all(t.kind == "duration" for t in items):
        return []
    if len(items) == 1:  # an amount with no duration: not an hour price, but not a contradiction either
        return []
    if not amount_first and items[0].kind == "amount":
        amount_first = True
    first, second = ("amount", "duration") if amount_first else ("duration", "amount")
    if len(items) % 2 or any(t.kind != (first if i % 2 == 0 else second) for i, t in enumerate(items)):
        return None
    pairs = list(zip(items[0::2], items[1::2]))
    return [(b, a) for a, b in pairs] if not amount_first else pairs


def parse_price_per_hour(text: str | None) -> int | None:
    """Whole SEK per hour stated in a price text, or None when it states none or is unclear."""
    if not text:
        return None
    normalised = _SPACES.sub(" ", text.casefold().replace("–", "-").replace("—", "-"))
    hour_prices: set[int] = set()
    foreign = any(word in normalised for word in ("€", "$", "£")) or bool(
        re.search(r"\b(eur|euro|euros|usd|nok|dkk|gbp)\b", normalised))
    for segment in _SEPARATORS.split(normalised):
        if re.search(r"\d\s*-\s*\d", segment) or re.search(r"\d\s+till\s+\d", segment):
            return None  # a range ("1500-2000 kr/h") is no single price
        tokens = _tokens(segment)
        pairs = _pairs(tokens)
        if pairs is None:  # unclear: fatal when it may hold a price ("24/7" holds none)
            if any(t.value == HOUR if t.kind == "duration" else t.currency is not None
                   for t in tokens if t.kind != "per"):
                return None
            continue
        for amount, duration in pairs:
            if duration.value != HOUR:
                continue
            if amount.currency == "foreign" or (amount.currency is None and foreign):
                return None
            hour_prices.add(round(amount.value))
    if len(hour_prices) != 1:
        return None
    [price] = hour_prices
    return price if MIN_PRICE_PER_HOUR <= price <= MAX_PRICE_PER_HOUR else None
