"""Parsers on saved pages: every fixture under tests/fixtures/<site>/<PageClass>/<case>/, field by field."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from analysis.periods import local_date
from config.settings import BUNDLED_SITES_DIR
from config.sites import load_site
from parsers.pages import ParseError, parse_detail, parse_listing
from parsers.registry import parser_for

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
DETAIL_FIELDS = ("site_ad_id", "site_profile_id", "phone_e164", "location_text", "category", "posted_at", "title")


def cases(page_class: str) -> list[Path]:
    return sorted(p for p in FIXTURES.glob(f"*/{page_class}/*") if (p / "input.html").exists())


def load(case: Path):
    site = load_site(BUNDLED_SITES_DIR / f"{case.parts[-3]}.yaml")
    meta = json.loads((case / "meta.json").read_text(encoding="utf-8"))
    expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    html = (case / "input.html").read_text(encoding="utf-8")
    return site, html, meta["url"], datetime.fromisoformat(meta["crawl_time"]), expected


def test_fixture_tree_is_not_empty():
    assert len(cases("DetailPage")) >= 6 and len(cases("ListingPage")) >= 4


@pytest.mark.parametrize("case", cases("DetailPage"), ids=lambda p: f"{p.parts[-3]}/{p.name}")
@pytest.mark.parametrize("field", DETAIL_FIELDS)
def test_detail_page_field(case, field):
    site, html, url, crawl_time, expected = load(case)
    record = parser_for(site).parse_detail(html, url, site, crawl_time)
    actual = getattr(record, field)
    if field == "posted_at":
        truth = datetime.fromisoformat(expected["posted_at"])
        assert actual is not None and local_date(actual) == local_date(truth)
        if expected["posted_has_clock"]:
            assert actual == truth
    else:
        assert actual == expected[field]


@pytest.mark.parametrize("case", cases("ListingPage"), ids=lambda p: f"{p.parts[-3]}/{p.name}")
def test_listing_page(case):
    site, html, url, _, expected = load(case)
    page = parse_listing(html, url, site)
    assert list(page.next_urls) == expected["next_urls"]
    if "min_region_urls" in expected:
        assert len(page.region_urls) >= expected["min_region_urls"]
    if "detail_ids_subset_of" in expected:
        ids = [urlsplit(u).path.rsplit("/", 1)[-1] for u in page.detail_urls]
        assert len(ids) == expected["detail_count"] == len(set(ids))
        assert set(ids) <= set(expected["detail_ids_subset_of"])
    else:
        assert list(page.detail_urls) == expected["detail_urls"]


NATTSIDA = load_site(BUNDLED_SITES_DIR / "nattsida.yaml")
CRAWL = datetime.fromisoformat("2026-11-20T10:00:00+01:00")


@pytest.mark.parametrize("html", [
    "",
    "<html><body><h1>Annonsera hos oss</h1></body></html>",
    "<article class='ad'><h1 class='ad-title'>Trunc",  # truncated, and no ad id
    "\x00\x01 binary garbage \xff",
])
def test_page_without_an_ad_id_is_a_parse_error(html):
    with pytest.raises(ParseError) as caught:
        parse_detail(html, "http://127.0.0.1/nattsida/annons/x", NATTSIDA, CRAWL)
    assert caught.value.field == "ad_id"


def test_truncated_page_with_an_id_reports_missing_fields():
    html = '<article class="ad" data-ad-id="N9"><dl><dd class="location">Umeå</dd><dd class="pho'
    record = parse_detail(html, "http://127.0.0.1/nattsida/annons/N9", NATTSIDA, CRAWL)
    assert record.site_ad_id == "N9" and record.location_text == "Umeå"
    assert {"phone", "category", "posted", "profile_id"} <= set(record.missing_fields)
    assert record.category == "okänd"


def test_hostile_links_are_dropped():
    html = ('<article class="ad-card"><a class="ad-link" href="javascript:alert(1)">x</a></article>'
            '<article class="ad-card"><a class="ad-link" href="tel:0701740605">y</a></article>'
            '<article class="ad-card"><a class="ad-link" href="/nattsida/annons/N5#top">z</a></article>')
    page = parse_listing(html, "http://127.0.0.1:1/nattsida/region/x", NATTSIDA)
    assert page.detail_urls == ("http://127.0.0.1:1/nattsida/annons/N5",)
