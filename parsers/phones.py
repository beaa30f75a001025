"""Phone-number normalisation: a field's text on a page to one E.164 number, using Google's libphonenumber.

A wrong phone token is worse than none (it corrupts unique phones, shared-phone networks and mobility), so
a field gives a number only when it holds exactly one: never a number cut out of a longer run of digits,
never one of two different numbers. When unsure it gives None and says why.
"""
from __future__ import annotations

import re

import phonenumbers

DEFAULT_REGION = "SE"
# What may stand between the digit groups of one written number.
_NUMBER_CHARS = re.compile(r"^[\d\s+\-./()]+$")
_SEPARATORS = " \t\u00a0-./"

UNREADABLE = "phone_unreadable"  # digits on the page, but not exactly one whole valid number


def read_phone(text: str | None, region: str = DEFAULT_REGION) -> tuple[str | None, str | None]:
    """(E.164 number, None) when `text` holds exactly one valid number; (None, reason) otherwise.

    The reason is None when the text holds no digits at all (nothing to read), UNREADABLE when it
    holds digits that are not exactly one whole number: two different numbers, a number inside a
    longer run of digits, or digits that make no valid number.
    """
    if not text or not any(ch.isdigit() for ch in text):
        return None, None
    numbers = set()
    for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
        opening = len(match.raw_string) - len(match.raw_string.lstrip("(["))  # "(070 …" starts at its digits
        if _touches_digits(text, match.start + opening, match.end):
            return None, UNREADABLE
        numbers.add(phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164))
    if len(numbers) == 1:
        return numbers.pop(), None
    if numbers:
        return None, UNREADABLE
    # Digit groups with odd separators ("070.174.06.05") are not always matched above: read the whole
    # field as one number, but only when it holds nothing else.
    if _NUMBER_CHARS.match(text.strip()):
        digits = "".join(ch for ch in text if ch.isdigit() or ch == "+")
        try:
            number = phonenumbers.parse(digits, region)
        except phonenumbers.NumberParseException:
            return None, UNREADABLE
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), None
    return None, UNREADABLE


def normalise_phone(text: str | None, region: str = DEFAULT_REGION) -> str | None:
    """The one valid phone number in `text` as E.164 (+467…), or None (see read_phone)."""
    return read_phone(text, region)[0]


def _touches_digits(text: str, start: int, end: int) -> bool:
    """True when more digits follow or precede the match with only separators between: a longer run."""
    after = text[end:].lstrip(_SEPARATORS)
    before = text[:start].rstrip(_SEPARATORS + "+")
    return bool(after[:1].isdigit() or before[-1:].isdigit())
