"""The anonymiser keeps of an ad's wording only keyed sketches, feature booleans and a tour destination code."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

import pytest

from config.geo import load_geography
from crawler.anonymiser import IDENTIFIER_KINDS, Anonymiser, Tokeniser
from crawler.keys import SecretKey
from parsers.places import PlaceResolver
from parsers.records import AdRecord
from parsers.sketches import similarity

NOW = datetime(2026, 11, 18, 2, 0, tzinfo=timezone.utc)
TITLE = "Exklusivt sällskap i Umeå: Saga, 21"
TEXT = ("Välkommen! Saga, 21, finns i Umeå några dagar. Brasiliansk och pålitlig. Sms:a mig på noll sju noll "
        "– ett sju fyra – noll sex – noll fem. Turnerar: Luleå 19–21 nov")


def record(**changes) -> AdRecord:
    base = AdRecord(site="nattsida", site_ad_id="N1", site_profile_id="np1", phone_e164="+46701740605",
                    location_text="Umeå", region_context=None, category="Kvinna", posted_at=None,
                    title=TITLE, text=TEXT, profile_name="Saga")
    return dataclasses.replace(base, **changes)


@pytest.fixture(scope="module")
def place_resolver() -> PlaceResolver:
    return PlaceResolver(load_geography())


@pytest.fixture
def anonymiser(place_resolver) -> Anonymiser:
    return Anonymiser(Tokeniser(SecretKey(b"m" * 32)), place_resolver)


def test_wording_becomes_sketches_features_and_a_code(anonymiser):
    seen = anonymiser.observe(record(), NOW)
    assert seen.text_sketch and seen.template_sketch and seen.text_sketch != seen.template_sketch
    assert (seen.obscured_phone, seen.stated_ethnicity, seen.trust_language, seen.youth_language,
            seen.stated_touring) == (True, True, True, False, True)
    assert seen.tour_kommun_code == "2580"  # Luleå
    stored = " ".join(str(v) for v in dataclasses.asdict(seen).values())
    for plaintext in ("Saga", "Umeå", "Luleå", "Brasiliansk", "noll sju", "N1", "np1", "0701740605"):
        assert plaintext not in stored


def test_no_wording_keeps_features_unknown(anonymiser):
    seen = anonymiser.observe(record(title=None, text=None), NOW)
    assert seen.text_sketch is None and seen.template_sketch is None
    assert seen.obscured_phone is None and seen.stated_touring is None and seen.tour_kommun_code is None


def test_the_template_sketch_ignores_the_name_age_and_place_slots(anonymiser):
    other = record(site_ad_id="N2", site_profile_id="np2", profile_name="Mira", location_text="Luleå",
                   title=TITLE.replace("Saga", "Mira").replace("Umeå", "Luleå").replace("21", "24"),
                   text=TEXT.replace("Saga", "Mira").replace("Umeå", "Luleå").replace("21,", "24,"))
    a, b = anonymiser.observe(record(), NOW), anonymiser.observe(other, NOW)
    assert a.template_sketch == b.template_sketch
    assert similarity(a.text_sketch, b.text_sketch) < 0.9


def test_sketch_keys_are_their_own_hkdf_kinds_and_follow_the_study_period_key(place_resolver):
    assert {"text_sketch", "template_sketch"} <= set(IDENTIFIER_KINDS)
    one = Anonymiser(Tokeniser(SecretKey(b"a" * 32)), place_resolver).observe(record(), NOW)
    two = Anonymiser(Tokeniser(SecretKey(b"b" * 32)), place_resolver).observe(record(), NOW)
    assert one.text_sketch != two.text_sketch and similarity(one.text_sketch, two.text_sketch) < 0.3
    with pytest.raises(ValueError):
        Tokeniser(SecretKey(b"a" * 32)).sketch("phone", {"x"})
