"""The anonymiser: plaintext AdRecords in, keyed tokens and a kommun code out; everything else dropped.

Of an ad's wording only keyed MinHash sketches (parsers/sketches.py) and feature booleans
(parsers/features.py, lexicons in config/lexicons/) are kept, computed here in memory.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from collections import Counter
from datetime import datetime

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from config.lexicons import Lexicons, load_lexicons
from crawler.keys import SecretKey
from parsers.features import extract_features
from parsers.places import PlaceResolver
from parsers.records import AdRecord, ObservedAd
from parsers.sketches import keyed_sketch, template_shingles, text_shingles

# One HKDF subkey per kind. text_sketch and template_sketch key the MinHash sketches of ad wording.
IDENTIFIER_KINDS = ("phone", "site_ad_id", "site_profile_id", "text_signature", "reviewer_handle",
                    "text_sketch", "template_sketch")
SKETCH_KINDS = ("text_sketch", "template_sketch")
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

    def sketch(self, kind: str, shingles: set[str]) -> str | None:
        """The keyed MinHash sketch of a shingle set (kind: text_sketch or template_sketch)."""
        if kind not in SKETCH_KINDS:
            raise ValueError(f"not a sketch kind: {kind}")
        return keyed_sketch(self._subkeys[kind], shingles)


class Anonymiser:
    """Turns one parsed ad into what may be stored of it."""

    def __init__(self, tokeniser: Tokeniser, places: PlaceResolver, lexicons: Lexicons | None = None) -> None:
        self.tokeniser = tokeniser
        self.places = places
        self.lexicons = lexicons if lexicons is not None else load_lexicons()
        self._unresolved: dict[str, Counter] = {}

    def take_unresolved(self, site: str) -> dict[tuple[str, str], int]:
        """(place text, reason) counts of the site's places that could not be resolved, since the last call."""
        return dict(self._unresolved.pop(site, Counter()))

    def observe(self, record: AdRecord, observed_at: datetime) -> ObservedAd:
        place = self.places.resolve(record.location_text, context=record.region_context)
        if place.primary is None and record.location_text:
            tally = self._unresolved.setdefault(record.site, Counter())
            tally[(safe_place_text(record.location_text), place.reason or "none")] += 1
        features = extract_features(record.title, record.text, self.lexicons)
        destination = features.tour_destination if features else None
        tour_code = self.places.resolve(destination).primary if destination else None
        # The ad's own place words are slots of its template: its location, its kommun, a tour destination.
        places = [record.location_text, destination, *(self._kommun_name(code) for code in place.kommun_codes)]
        names = [record.profile_name] if record.profile_name else []
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
            text_sketch=self.tokeniser.sketch("text_sketch", text_shingles(record.title, record.text)),
            template_sketch=self.tokeniser.sketch("template_sketch", template_shingles(
                record.title, record.text, names=names, places=[p for p in places if p])),
            obscured_phone=features.obscured_phone if features else None,
            stated_ethnicity=features.stated_ethnicity if features else None,
            youth_language=features.youth_language if features else None,
            trust_language=features.trust_language if features else None,
            stated_touring=features.stated_touring if features else None,
            tour_kommun_code=tour_code,
            price_per_hour=record.price_per_hour,
        )

    def _kommun_name(self, code: str) -> str | None:
        kommun = self.places.geography.kommuner.get(code)
        return kommun.name if kommun else None
