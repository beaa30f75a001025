"""Ad features from wording: the four features of the validation study and stated touring, as booleans."""
from __future__ import annotations

import random

import pytest

from config.lexicons import load_lexicons
from sandbox import wording
from parsers.features import FEATURE_NAMES, extract_features, has_obscured_phone, stated_tour

LEXICONS = load_lexicons()


def features(text: str, title: str | None = None) -> dict[str, bool]:
    found = extract_features(title, text, LEXICONS)
    assert found is not None
    return found.as_dict()


@pytest.mark.parametrize("text", [
    "Sms:a mig på noll sju noll – ett sju fyra – noll sex – noll fem.",
    "Ring zero seven zero one seven four zero six zero five",
    "Nummer: O7O-l74 O6 O5.",
    "Kontakt O 7 0 1 7 4 0 6 0 5",
    "Ring noll sju noll 174 06 05 efter tolv",
    "0 7 0 1 7 4 0 6 0 5",
])
def test_obscured_numbers_are_found(text):
    assert has_obscured_phone(text, LEXICONS.obscured_phone)


@pytest.mark.parametrize("text", [
    "Ring 070-174 06 05.", "+46 70 174 06 05", "0701740605", "Sms 070.174.06.05",
    "1500 kr per timme, tider mellan 10 och 22.", "Turnerar: Göteborg 12–14 nov", "Jag är 23 år.",
    "En kopp kaffe och en stunds avkoppling, sex dagar i veckan.", "",
])
def test_plain_numbers_prices_and_dates_are_not_obscured(text):
    assert not has_obscured_phone(text, LEXICONS.obscured_phone)


@pytest.mark.parametrize("text, feature", [
    ("Brasiliansk kvinna med glatt humör.", "stated_ethnicity"),
    ("Sweet Asian lady.", "stated_ethnicity"),
    ("Ung och blyg, nyss fyllt 18.", "youth_language"),
    ("Just turned 18.", "youth_language"),
    ("100 % äkta bilder, inga fejk.", "trust_language"),
    ("Real pics, 100% genuine.", "trust_language"),
    ("Verifierad profil.", "trust_language"),
])
def test_each_cue_sets_its_feature_and_no_other(text, feature):
    found = features(text)
    assert found[feature]
    assert not any(value for name, value in found.items() if name != feature)


@pytest.mark.parametrize("text", [
    "Jag pratar svenska, engelska och ryska.",  # languages spoken are no stated ethnicity
    "Thai massage med varma oljor.",  # a massage technique
    "Ny i stan, bara denna vecka!",  # 'new in town' was not associated: never a feature
    "Jag är 19 år.",  # a stated age under 23 was not associated: never a feature
    "Endast seriösa förfrågningar.",  # client screening was not associated
    "Jag har ett fräscht hem.",  # fräsch = clean, not youth
])
def test_near_misses_set_no_feature(text):
    assert not any(features(text).values())


def test_touring_needs_a_date_and_yields_the_place_between():
    assert stated_tour("Turnerar: Göteborg 12–14 nov", LEXICONS.stated_touring) == (True, "Göteborg")
    assert stated_tour("På turné i Upplands Väsby 3/12 och 4/12.", LEXICONS.stated_touring) == (True, "Upplands Väsby")
    assert stated_tour("Touring Stockholm 5-7 december", LEXICONS.stated_touring) == (True, "Stockholm")
    assert stated_tour("Turnerar 12 nov", LEXICONS.stated_touring) == (True, None)
    assert stated_tour("Lina besöker Umeå några dagar.", LEXICONS.stated_touring) == (False, None)
    assert stated_tour("Jag turnerar ibland. Bokning 12 nov.", LEXICONS.stated_touring) == (False, None)


def test_no_wording_is_unknown_not_false():
    assert extract_features(None, None, LEXICONS) is None
    assert extract_features("", "   ", LEXICONS) is None
    assert extract_features("Titel", None, LEXICONS) is not None


def _filled(sentence: str) -> str:
    return sentence.format(name="Lina", age=31, city="Västerås")


def test_the_simulated_base_wording_carries_no_feature():
    # The sandbox plants features only with truth; its ordinary sentences must not trigger any.
    pools = [getattr(wording, name) for name in dir(wording) if name.startswith("ADVERT_")]
    sentences = [_filled(s) for pool in pools for s in pool]
    assert len(sentences) > 100
    for sentence in sentences:
        assert not any(features(sentence).values()), sentence


def test_every_planted_feature_sentence_is_found():
    name_of = {"obscured_phone": "obscured_phone", "ethnicity": "stated_ethnicity", "youth": "youth_language",
               "trust": "trust_language"}
    for feature, sentences in wording.FEATURE_SENTENCES.items():
        for form in wording.OBSCURED_PHONE_FORMS:
            phone = wording.obscure_phone("0701740605", form)
            for sentence in sentences:
                found = features(sentence.replace("{phone}", phone))
                assert [n for n, v in found.items() if v] == [name_of[feature]], (sentence, form)


def test_composed_adverts_carry_exactly_their_planted_features():
    rng = random.Random(5)
    name_of = {"obscured_phone": "obscured_phone", "ethnicity": "stated_ethnicity", "youth": "youth_language",
               "trust": "trust_language"}
    for _ in range(200):
        planted = frozenset(f for f in wording.AD_FEATURES if rng.random() < 0.3)
        advert = wording.compose_advert(rng, couple=rng.random() < 0.1, has_city=rng.random() < 0.9,
                                        features=planted, obscured_phone=wording.obscure_phone("0846500412", "lookalike"))
        title, text = advert.fill("Maja", 28, "Luleå")
        found = features(text, title)
        assert {name_of[f] for f in planted} == {n for n in FEATURE_NAMES if found[n]}
