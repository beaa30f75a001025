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
from parsers.pages import ParseError, parse_detail, parse_details, parse_listing
from parsers.registry import parser_for

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
DETAIL_FIELDS = ("site_ad_id", "site_profile_id", "phone_e164", "location_text", "category", "posted_at", "title",
                 "profile_name", "price_per_hour")


def cases(page_class: str) -> list[Path]:
    return sorted(p for p in FIXTURES.glob(f"*/{page_class}/*") if (p / "input.html").exists())


def load(case: Path):
    site = load_site(BUNDLED_SITES_DIR / f"{case.parts[-3]}.yaml")
    meta = json.loads((case / "meta.json").read_text(encoding="utf-8"))
    expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    html = (case / "input.html").read_text(encoding="utf-8")
    return site, html, meta["url"], datetime.fromisoformat(meta["crawl_time"]), expected


def test_fixture_tree_is_not_empty():
    assert len(cases("DetailPage")) >= 6 and len(cases("ListingPage")) >= 4 and len(cases("ProfilePage")) >= 2
    assert {case.parts[-3] for case in cases("ListingPage")} == {"nattsida", "stjarnsida", "kvallsida"}


def assert_field(record, field: str, expected: dict) -> None:
    actual = getattr(record, field)
    if field == "posted_at":
        truth = datetime.fromisoformat(expected["posted_at"])
        assert actual is not None and local_date(actual) == local_date(truth)
        if expected["posted_has_clock"]:
            assert actual == truth
    else:
        assert actual == expected[field], field


@pytest.mark.parametrize("case", cases("DetailPage"), ids=lambda p: f"{p.parts[-3]}/{p.name}")
@pytest.mark.parametrize("field", DETAIL_FIELDS)
def test_detail_page_field(case, field):
    site, html, url, crawl_time, expected = load(case)
    record = parser_for(site).parse_detail(html, url, site, crawl_time)
    assert_field(record, field, expected)
    [only] = parser_for(site).parse_details(html, url, site, crawl_time)  # one ad per page
    assert_field(only, field, expected)


@pytest.mark.parametrize("case", cases("ProfilePage"), ids=lambda p: f"{p.parts[-3]}/{p.name}")
@pytest.mark.parametrize("field", DETAIL_FIELDS)
def test_profile_page_field_of_every_ad(case, field):
    site, html, url, crawl_time, expected = load(case)
    records = parser_for(site).parse_details(html, url, site, crawl_time, "Stockholm")
    assert len(records.failures) == expected["failures"]
    assert [r.site_ad_id for r in records] == [ad["site_ad_id"] for ad in expected["ads"]]
    for record, ad in zip(records, expected["ads"]):
        assert_field(record, field, ad)
        assert record.region_context == "Stockholm"
    assert parse_detail(html, url, site, crawl_time).site_ad_id == expected["ads"][0]["site_ad_id"]


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


# --- one page, several ads (detail.ad_container) -----------------------------------------------------

KVALLSIDA = load_site(BUNDLED_SITES_DIR / "kvallsida.yaml")
PROFILE_URL = "http://127.0.0.1:1/kvallsida/profil/kp1"


def profile_page(*articles: str, phone: str = "", reviews: str = "") -> str:
    return (f'<section class="profil" data-profil-id="kp1"><p id="nummer">{phone}</p>'
            f'{"".join(articles)}<section class="recensioner">{reviews}</section></section>')


def ad(ad_id: str | None, place: str, posted: str = "igår 21:30", category: str = "Kvinna") -> str:
    attr = f' data-annons-id="{ad_id}"' if ad_id else ""
    return (f'<article class="annons"{attr}><h3 class="rubrik">Titel {ad_id}</h3><p class="text">Text</p>'
            f'<span class="ort">{place}</span><span class="kategori">{category}</span>'
            f'<time class="datum">{posted}</time></article>')


def test_each_container_is_one_ad_with_page_fields_shared():
    html = profile_page(ad("K1", "Malmö"), ad("K2", "Gbg", "3 dagar sedan", "Par"),
                        phone='<span class="tel"><span>070</span><span>-174</span><span> 06 05</span></span>')
    records = parse_details(html, PROFILE_URL, KVALLSIDA, CRAWL, "Skåne")
    assert [r.site_ad_id for r in records] == ["K1", "K2"] and records.failures == ()
    assert [r.location_text for r in records] == ["Malmö", "Gbg"]
    assert [r.category for r in records] == ["Kvinna", "Par"]
    assert [r.title for r in records] == ["Titel K1", "Titel K2"]
    assert {r.site_profile_id for r in records} == {"kp1"}
    assert {r.phone_e164 for r in records} == {"+46701740605"}
    assert {r.region_context for r in records} == {"Skåne"}
    assert records[0].posted_at.day == 19 and records[1].posted_at.day == 17


def test_a_container_without_an_id_is_a_failure_and_the_rest_are_kept():
    html = profile_page(ad("K1", "Umeå"), ad(None, "Luleå"), ad("K3", "Kiruna"))
    records = parse_details(html, PROFILE_URL, KVALLSIDA, CRAWL)
    assert [r.site_ad_id for r in records] == ["K1", "K3"]
    assert [failure.field for failure in records.failures] == ["ad_id"]
    assert all("phone" in r.missing_fields and r.phone_e164 is None for r in records)  # number not revealed


def test_fields_never_come_from_another_ad_or_a_review():
    # The second ad lacks a place; it must not borrow the first ad's, nor the review's look-alike.
    second = ad("K2", "").replace('<span class="ort"></span>', "")
    review = '<article class="recension"><span class="ort">Visby</span><h3 class="rubrik">Bra</h3></article>'
    records = parse_details(profile_page(ad("K1", "Malmö"), second, reviews=review), PROFILE_URL, KVALLSIDA, CRAWL)
    assert [r.location_text for r in records] == ["Malmö", None]
    assert "location" in records[1].missing_fields and "location" not in records[0].missing_fields
    assert [r.title for r in records] == ["Titel K1", "Titel K2"]


def test_a_page_without_containers_is_a_parse_error():
    with pytest.raises(ParseError) as caught:
        parse_details("<html><body><h1>Recensioner</h1></body></html>", PROFILE_URL, KVALLSIDA, CRAWL)
    assert caught.value.field == "ad_container"
    with pytest.raises(ParseError):
        parse_detail(profile_page(ad(None, "Umeå")), PROFILE_URL, KVALLSIDA, CRAWL)


def test_xpath_fields_work_inside_containers(tmp_path):
    text = (BUNDLED_SITES_DIR / "kvallsida.yaml").read_text(encoding="utf-8")
    text = text.replace('ad_id: {css: "article.annons", attr: "data-annons-id"}',
                        'ad_id: {xpath: "//article/@data-annons-id"}')
    text = text.replace('profile_id: {css: "section.profil", attr: "data-profil-id"}',
                        'profile_id: {xpath: "//section[@class=\'profil\']/@data-profil-id"}')
    path = tmp_path / "kvallsida.yaml"
    path.write_text(text, encoding="utf-8")
    site = load_site(path)
    records = parse_details(profile_page(ad("K1", "Malmö"), ad("K2", "Umeå")), PROFILE_URL, site, CRAWL)
    assert [(r.site_ad_id, r.site_profile_id, r.location_text) for r in records] == [
        ("K1", "kp1", "Malmö"), ("K2", "kp1", "Umeå")]


def test_a_site_module_with_only_parse_detail_yields_one_ad_per_page(monkeypatch):
    import sys
    import types

    module = types.ModuleType("parsers.sites.onlydetail")
    module.parse_detail = lambda html, url, site, crawl_time, region_context=None: parse_detail(
        html, url, site, crawl_time, region_context)
    monkeypatch.setitem(sys.modules, "parsers.sites.onlydetail", module)
    site = NATTSIDA.model_copy(update={"parser": "parsers.sites.onlydetail"})
    html = '<article class="ad" data-ad-id="N7"><dd class="location">Umeå</dd></article>'
    records = parser_for(site).parse_details(html, "http://127.0.0.1/nattsida/annons/N7", site, CRAWL)
    assert [r.site_ad_id for r in records] == ["N7"] and records.failures == ()
