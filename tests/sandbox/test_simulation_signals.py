"""The simulation plants the signals with truth: copied cross-posts, distinct adverts, templates, features."""
from __future__ import annotations

from collections import defaultdict

import pytest

from config.lexicons import load_lexicons
from sandbox.simulation import Simulation
from sandbox.model import SimulationConfig
from sandbox.weeks import occasion
from sandbox.wording import AD_FEATURES
from parsers.features import extract_features
from parsers.sketches import template_tokens, text_shingles

WEEKS = range(60, 70, 3)
FEATURE_ATTRS = {"obscured_phone": "obscured_phone", "ethnicity": "stated_ethnicity", "youth": "youth_language",
                 "trust": "trust_language"}


@pytest.fixture(scope="module")
def markets():
    simulation = Simulation(SimulationConfig(seed=5))
    return [simulation.market_at(occasion(week)) for week in WEEKS]


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b)


def test_cross_posts_carry_the_same_wording_on_every_site(markets):
    for market in markets:
        wording = defaultdict(set)
        for listing in market.listings:
            wording[listing.ad.advert_id].add((listing.ad.title, listing.ad.text))
        assert all(len(w) == 1 for w in wording.values())
        assert sum(1 for lst in market.listings if lst.ad.advert_id) > len(wording)  # some are cross-posted


def test_a_persons_adverts_read_clearly_differently(markets):
    by_person = defaultdict(dict)
    for market in markets:
        for listing in market.listings:
            by_person[listing.ad.person_id][listing.ad.advert_id] = text_shingles(listing.ad.title, listing.ad.text)
    pairs = [(a, b) for adverts in by_person.values() for i, a in enumerate(adverts.values())
             for b in list(adverts.values())[i + 1:]]
    assert len(pairs) >= 10
    assert max(jaccard(a, b) for a, b in pairs) < 0.5


def test_network_adverts_share_a_template_whose_slots_vary(markets):
    templates = defaultdict(set)
    slots = defaultdict(set)
    members = defaultdict(dict)
    for market in markets:
        for listing in market.listings:
            if listing.ad.template_id is None:
                continue
            person = market.person(listing.ad.person_id)
            profile = market.profile(listing.site, listing.ad.site_profile_id)
            tokens = template_tokens(listing.ad.title, listing.ad.text, names=[profile.display_name, person.name],
                                     places=[listing.location_text])
            templates[listing.ad.template_id].add(tuple(tokens))
            slots[listing.ad.template_id].add((person.name, person.age, listing.ad.kommun_code))
            members[listing.ad.network_id][person.person_id] = person.name
    assert templates and all(len(variants) == 1 for variants in templates.values())
    assert max(len(filled) for filled in slots.values()) >= 2  # one template, different names, ages, places
    for network in members.values():  # members of one network go by different names
        assert len(set(network.values())) == len(network)


def test_features_are_planted_with_truth_in_a_share_of_adverts(markets):
    lexicons = load_lexicons()
    adverts = {}
    for market in markets:
        for listing in market.listings:
            found = extract_features(listing.ad.title, listing.ad.text, lexicons)
            for feature, attr in FEATURE_ATTRS.items():
                assert (feature in listing.ad.features) == getattr(found, attr), (feature, listing.ad.text)
            assert found.stated_touring == listing.ad.touring
            adverts[listing.ad.advert_id] = listing.ad.features
    for feature in AD_FEATURES:
        share = sum(feature in f for f in adverts.values()) / len(adverts)
        assert 0.01 < share < 0.5, (feature, share)


def test_truth_exposes_features_and_profile_names(markets):
    listing = markets[0].truth_dict()["listings"][0]
    assert isinstance(listing["features"], list) and listing["profile_name"]
    assert set(f for m in markets for item in m.truth_dict()["listings"] for f in item["features"]) == set(AD_FEATURES)
