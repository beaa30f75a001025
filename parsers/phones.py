"""Phone-number normalisation: free text on a page to E.164, using Google's libphonenumber."""
from __future__ import annotations

import phonenumbers

DEFAULT_REGION = "SE"


def normalise_phone(text: str | None, region: str = DEFAULT_REGION) -> str | None:
    """The first valid phone number in `text` as E.164 (+467…), or None when there is none."""
    if not text:
        return None
    for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
        return phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
    # Digits run together with odd separators ("070.174.06.05") are not always matched above.
    digits = "".join(ch for ch in text if ch.isdigit() or ch == "+")
    try:
        number = phonenumbers.parse(digits, region)
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.is_valid_number(number):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None
