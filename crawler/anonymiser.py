"""The anonymiser: plaintext AdRecords in, keyed tokens and a kommun code out; everything else dropped."""
from __future__ import annotations

import hashlib
import hmac
import re
from collections import Counter
from datetime import datetime

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crawler.keys import SecretKey
from parsers.places import PlaceResolver
from parsers.records import AdRecord, ObservedAd

IDENTIFIER_KINDS = ("phone", "site_ad_id", "site_profile_id", "text_signature", "reviewer_handle")
WITHHELD_PLACE_TEXT = "(utelämnad)"
MAX_PLACE_TEXT = 60
_SAFE_PLACE_TEXT = re.compile(r"^[^\W\d_]+(?:[ .,'&()/-]+[^\W\d_]+)*\.?$")


def safe_place_text(text: str) -> str:
    """A place text fit to keep as an aggregate: letters and light punctuation only, else withheld.

    Anything with digits, @, URLs or other symbols could carry a phone number or a handle.
    """
    collapsed = " ".join(text.split()).casefold()
    if len(collapsed) > MAX_PLACE_TEXT or not _SAFE_PLACE_TEXT.match(collapsed):
        return WITHHELD_PLACE_TEXT
    return collapsed


def derive_subkey(master: SecretKey, kind: str) -> bytes:
    """A separate HMAC key per identifier kind, derived with HKDF-SHA256."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"lagesbild/v1/{kind}".encode())
    return hkdf.derive(master.reveal())


class Tokeniser:
    """HMAC-SHA256 tokens of normalised identifiers, one subkey per kind."""

    def __init__(self, master: SecretKey) -> None:
        self._subkeys = {kind: derive_subkey(master, kind) for kind in IDENTIFIER_KINDS}

    def __repr__(self) -> str:
        return "Tokeniser(<redacted>)"

    def token(self, kind: str, normalised_value: str) -> str:
        return hmac.new(self._subkeys[kind], normalised_value.encode("utf-8"), hashlib.sha256).hexdigest()

    def phone(self, e164: str | None) -> str | None:
        return self.token("phone", e164) if e164 else None

    def site_id(self, kind: str, site: str, value: str | None) -> str | None:
        # The site name is part of the value: equal ids on two sites are different ads.
        return self.token(kind, f"{site}\x1f{value}") if value else None


class Anonymiser:
    """Turns one parsed ad into what may be stored of it."""

    def __init__(self, tokeniser: Tokeniser, places: PlaceResolver) -> None:
        self.tokeniser = tokeniser
        self.places = places
        self._unresolved: dict[str, Counter] = {}

    def take_unresolved(self, site: str) -> dict[tuple[str, str], int]:
        """(place text, reason) counts of the site's places that could not be resolved, since the last call."""
        return dict(self._unresolved.pop(site, Counter()))

    def observe(self, record: AdRecord, observed_at: datetime) -> ObservedAd:
        place = self.places.resolve(record.location_text, context=record.region_context)
        if place.primary is None and record.location_text:
            tally = self._unresolved.setdefault(record.site, Counter())
            tally[(safe_place_text(record.location_text), place.reason or "none")] += 1
        return ObservedAd(
            site=record.site,
            ad_token=self.tokeniser.site_id("site_ad_id", record.site, record.site_ad_id),
            profile_token=self.tokeniser.site_id("site_profile_id", record.site, record.site_profile_id),
            phone_token=self.tokeniser.phone(record.phone_e164),
            kommun_code=place.primary,
            unresolved_reason=place.reason,
            category=record.category,
            observed_at=observed_at,
            posted_at=record.posted_at,
        )
