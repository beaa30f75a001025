"""Keyed MinHash sketches of ad wording: near-duplicates match, slots are masked, no text survives."""
from __future__ import annotations

import base64
import secrets

import pytest

from parsers.sketches import (
    SKETCH_LEN,
    SLOTS,
    SketchError,
    decode_sketch,
    keyed_sketch,
    shingles,
    similarity,
    sketch_matrix,
    template_shingles,
    template_tokens,
    text_shingles,
)

KEY = b"k" * 32
TITLE = "Lina – trevligt sällskap i Malmö"
TEXT = ("Hej! Jag heter Lina och är 31 år. Jag läser mycket och pratar gärna om böcker. Konst, film och teater "
        "är mina stora intressen. Jag bor i Malmö och tar emot hemma. Dusch och handduk finns alltid. Vi hörs!")


def sketch(title: str | None, text: str | None, key: bytes = KEY) -> str | None:
    return keyed_sketch(key, text_shingles(title, text))


def test_a_sketch_is_fixed_size_keyed_and_deterministic():
    first = sketch(TITLE, TEXT)
    assert first is not None and len(first) == SKETCH_LEN
    assert sketch(TITLE, TEXT) == first
    assert sketch(TITLE, TEXT, key=secrets.token_bytes(32)) != first
    count, slots = decode_sketch(first)
    assert count == len(text_shingles(TITLE, TEXT)) and len(slots) == SLOTS


def test_the_sketch_holds_no_word_of_the_text():
    raw = base64.urlsafe_b64decode(sketch(TITLE, TEXT))
    for word in ("Lina", "Malmö", "böcker", "teater"):
        assert word.encode() not in raw and word not in sketch(TITLE, TEXT)


def test_similarity_estimates_word_overlap():
    same = sketch(TITLE, TEXT)
    assert similarity(same, sketch(TITLE.upper(), TEXT.replace("!", "."))) == 1.0  # case and punctuation
    edited = sketch(TITLE, TEXT.replace("Dusch och handduk finns alltid.", "Parkering finns nära."))
    assert 0.5 <= similarity(same, edited) < 1.0
    other = sketch("Maja i Umeå", "Välkommen! Massage med varma oljor är min specialitet. Kvällar passar bäst. "
                                  "Jag har en förkärlek för jazz och gamla filmer. Ring eller sms:a.")
    assert similarity(same, other) < 0.2


def test_empty_wording_has_no_sketch_and_short_wording_one_shingle():
    assert sketch(None, None) is None and sketch("", "  ") is None
    assert shingles(["hej", "då"]) == {"hej då"}
    assert decode_sketch(sketch("Hej", None))[0] == 1


def test_malformed_values_are_refused():
    for value in ("not a sketch", base64.urlsafe_b64encode(b"\x02" + b"\x00" * 65).decode()):
        with pytest.raises(SketchError):
            decode_sketch(value)
    with pytest.raises(SketchError):
        sketch_matrix([sketch(TITLE, TEXT), "AAAA"])


def test_template_masks_names_numbers_places_and_proper_nouns():
    tokens = template_tokens("Ny tjej i Upplands Väsby – Kim 22",
                             "Hej, jag heter Kim. Ring noll sju noll 174 06 05 eller O7O-l74. Träffa Anna på Café Ritz.",
                             names=["Kim"], places=["Upplands Väsby"])
    assert tokens == ["ny", "tjej", "i", "<namn>", "<tal>", "hej", "jag", "heter", "<namn>", "ring", "<tal>",
                      "eller", "<tal>", "träffa", "<namn>", "på", "<namn>"]


def test_network_adverts_differing_only_in_their_slots_share_a_template():
    pattern = ("{name} här, {age} år. Jag har precis kommit till {city}. 100 % äkta bilder. Tider varje dag "
               "mellan 10 och 22. Skriv ett sms så svarar min assistent.")
    members = [("Signe", 21, "Gävle"), ("Mira", 20, "Kristianstad"), ("Nova", 25, "Upplands Väsby")]
    templates = {frozenset(template_shingles(f"{n} ({a}) i {c}", pattern.format(name=n, age=a, city=c),
                                             names=[n], places=[c])) for n, a, c in members}
    assert len(templates) == 1
    texts = {frozenset(text_shingles(None, pattern.format(name=n, age=a, city=c))) for n, a, c in members}
    assert len(texts) == 3  # the full-text sketch still tells them apart
