"""Keyed tokens: HMAC with a 0600 key file, never plain hashes, never shown in repr or logs."""
import hashlib

import pytest

from config.geo import load_geography
from crawler.anonymiser import Anonymiser, Tokeniser
from crawler.keys import SecretKey
from parsers.places import PlaceResolver
from parsers.records import AdRecord

PHONE = "+46701740605"


def make_record(**changes):
    fields = dict(site="nattsida", site_ad_id="N1001", site_profile_id="np001", phone_e164=PHONE,
                  location_text="Goteborg", region_context=None, category="Kvinna", posted_at=None,
                  title="Lina i Göteborg", text="Hej, jag heter Lina")
    fields.update(changes)
    return AdRecord(**fields)


def test_secret_key_hides_itself():
    key = SecretKey(b"k" * 32)
    assert "k" * 8 not in repr(key) and "k" * 8 not in str(key)
    assert "redacted" in repr(Tokeniser(key))
    with pytest.raises(TypeError):
        import pickle
        pickle.dumps(key)


def test_tokens_are_keyed_hmac_not_plain_hashes():
    one, two = Tokeniser(SecretKey(b"a" * 32)), Tokeniser(SecretKey(b"b" * 32))
    token = one.phone(PHONE)
    assert token == one.phone(PHONE)
    assert token != two.phone(PHONE)
    assert token != hashlib.sha256(PHONE.encode()).hexdigest()
    assert len(token) == 64


def test_identifier_kinds_and_sites_are_separated():
    tok = Tokeniser(SecretKey(b"a" * 32))
    assert tok.site_id("site_ad_id", "nattsida", "N1") != tok.site_id("site_profile_id", "nattsida", "N1")
    assert tok.site_id("site_ad_id", "nattsida", "N1") != tok.site_id("site_ad_id", "stjarnsida", "N1")
    assert tok.site_id("site_ad_id", "nattsida", None) is None and tok.phone(None) is None


def test_observation_keeps_only_tokens_and_a_kommun_code():
    anonymiser = Anonymiser(Tokeniser(SecretKey(b"a" * 32)), PlaceResolver(load_geography()))
    observed = anonymiser.observe(make_record(), observed_at=None)
    assert observed.kommun_code == "1480" and observed.unresolved_reason is None
    flat = repr(observed)
    for plaintext in (PHONE, "701740605", "N1001", "np001", "Lina", "Goteborg"):
        assert plaintext not in flat
    nationwide = anonymiser.observe(make_record(location_text="Hela Sverige"), observed_at=None)
    assert nationwide.kommun_code is None and nationwide.unresolved_reason == "nationwide"


def test_ad_record_repr_hides_plaintext():
    record = make_record()
    assert PHONE not in repr(record) and "Lina" not in str(record)


@pytest.mark.parametrize("text, kept", [
    ("Hela Sverige", "hela sverige"),
    ("  Möllan  ", "möllan"),
    ("Norrköping / Linköping", "norrköping / linköping"),
    ("Ring 070-174 06 05", "(utelämnad)"),
    ("lina@example.se", "(utelämnad)"),
    ("https://x.test/lina", "(utelämnad)"),
    ("snapchat: lina_93", "(utelämnad)"),
    ("a" * 61, "(utelämnad)"),
])
def test_only_harmless_place_texts_are_kept(text, kept):
    from crawler.anonymiser import safe_place_text

    assert safe_place_text(text) == kept


def test_unresolved_places_are_tallied_per_site_without_ad_links():
    anonymiser = Anonymiser(Tokeniser(SecretKey(b"a" * 32)), PlaceResolver(load_geography()))
    for location in ("Hela Sverige", "hela sverige", "Göteborg", "Xyzzyville"):
        anonymiser.observe(make_record(location_text=location), observed_at=None)
    anonymiser.observe(make_record(site="stjarnsida", location_text="Hela Sverige"), observed_at=None)
    assert anonymiser.take_unresolved("nattsida") == {("hela sverige", "nationwide"): 2, ("xyzzyville", "none"): 1}
    assert anonymiser.take_unresolved("nattsida") == {}
    assert anonymiser.take_unresolved("stjarnsida") == {("hela sverige", "nationwide"): 1}
