"""Ad features and sketches from saved pages: every fixture's planted features are found, nothing more."""
from __future__ import annotations

import json

import pytest

from config.lexicons import load_lexicons
from parsers.features import extract_features
from parsers.registry import parser_for
from parsers.sketches import keyed_sketch, text_shingles
from test_page_fixtures import cases, load

NAMES = {"obscured_phone": "obscured_phone", "ethnicity": "stated_ethnicity", "youth": "youth_language",
         "trust": "trust_language"}
LEXICONS = load_lexicons()


def expected_ads(case) -> list[dict]:
    expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    return expected.get("ads", [expected])


@pytest.mark.parametrize("case", cases("DetailPage") + cases("ProfilePage"), ids=lambda p: f"{p.parts[-3]}/{p.name}")
def test_saved_pages_yield_the_planted_features(case):
    site, html, url, crawl_time, _ = load(case)
    records = parser_for(site).parse_details(html, url, site, crawl_time)
    for record, ad in zip(records, expected_ads(case), strict=True):
        found = extract_features(record.title, record.text, LEXICONS)
        assert {name for name, attr in NAMES.items() if getattr(found, attr)} == set(ad["features"])
        assert found.stated_touring == ad["touring"]
        assert record.profile_name == ad["profile_name"]


def test_fixtures_cover_features_and_touring():
    ads = [ad for case in cases("DetailPage") + cases("ProfilePage") for ad in expected_ads(case)]
    assert any(ad["features"] for ad in ads) and any(ad["touring"] for ad in ads)
    assert any(not ad["features"] for ad in ads)


def test_one_advert_on_two_pages_of_a_profile_gives_one_sketch_per_wording():
    [case] = [c for c in cases("ProfilePage") if c.name == "rendered-several-ads"]
    site, html, url, crawl_time, _ = load(case)
    records = parser_for(site).parse_details(html, url, site, crawl_time)
    sketches = {keyed_sketch(b"k" * 32, text_shingles(r.title, r.text)) for r in records}
    assert len(sketches) == len(records)  # a profile's adverts read differently
