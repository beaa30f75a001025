"""Offer/request classification and review pages (issue 9), on saved sandbox pages and the simulator's truth."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from config.demand_lexicon import load_demand_lexicon
from config.errors import ConfigError
from config.settings import BUNDLED_SITES_DIR
from config.sites import load_site
from parsers.demand import OFFER, REQUEST, classify_ad, classify_wording, parse_review_page, review_links, section_links
from parsers.pages import parse_detail, parse_listing

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "demand"
SITES = {name: load_site(BUNDLED_SITES_DIR / f"{name}.yaml") for name in ("nattsida", "stjarnsida", "kvallsida")}


def cases(page_class: str) -> list[Path]:
    return sorted(p for p in (FIXTURES / page_class).glob("*") if (p / "input.html").exists())


def load(case: Path) -> tuple[str, str, datetime, dict]:
    meta = json.loads((case / "meta.json").read_text(encoding="utf-8"))
    expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    return ((case / "input.html").read_text(encoding="utf-8"), meta["url"],
            datetime.fromisoformat(meta["crawl_time"]), expected)


@pytest.mark.parametrize("wording", [
    ("Man söker tjej i Umeå", "Hör av dig."),
    ("Köper massage med avslutning", ""),
    ("Diskret träff", "Gift man, 52, vill träffa en tjej dagtid. Betalar bra."),
    ("Looking for a girl in Malmö tonight", "Will pay well."),
    (None, "SÖKER  TJEJ för regelbundna träffar mot ersättning"),
    ("Want to meet a nice girl in Lund", "Discreet, message me here."),
    ("Looking for a girl tonight – Umeå", ""),
    ("Any girl in Kiruna who wants to meet?", "Can pay, discretion assured."),
    ("Söker sällskap ikväll i Gävle", "Man, 45, söker sällskap ikväll. Betalar bra för rätt tjej."),
    ("Söker du extrapengar? Borås", "Trevlig herre vill ses en kväll, gärna redan i helgen."),
    ("Diskret", "Vill du tjäna extra? Vårdad man söker diskreta träffar."),
    ("Do you want to meet a generous man tonight?", ""),
])
def test_request_wordings_are_requests(wording):
    assert classify_wording(*wording) == REQUEST


@pytest.mark.parametrize("wording", [
    ("Paret Anna & Erik söker sällskap i Lund", "Välkommen till oss. Ring för bokning."),
    ("Söker du sällskap ikväll?", "Jag tar emot i diskret lägenhet nära centrum. Ring mig."),
    ("Lisa söker nya bekantskaper", "För dig som söker en lugn stund. Bokning via sms."),
    ("Are you looking for a relaxing evening?", "Incall and outcall. Book me today."),
    ("Ny tjej i Göteborg", "Hej, jag heter Mia. Äkta bilder."),
    (None, None),
    ("Söker du sällskap i Lund? – Mia", "Jag söker trevliga och respektfulla män."),
    ("Ella söker trevliga män i Gävle", "Passar dig som söker en tjej med värme och humor."),
    ("Want to meet me? Nora, 29", "Are you looking for a girl tonight? Send me a message."),
    ("Trevligt sällskap – Jolina", "Söker en generös man som vill bli bortskämd."),
    ("Middag och samtal i Hylte", "Du som vill träffa en tjej med glimten i ögat är välkommen."),
    ("Glad och social – Freja", "Do you want to meet? Send me a message. Looking for company? I am looking for you."),
])
def test_offers_stay_offers_even_when_they_say_soker(wording):
    assert classify_wording(*wording) == OFFER


def test_a_lone_request_cue_is_outweighed_by_offer_cues():
    assert classify_wording("Betalar du kontant?", "Ring mig för bokning, jag erbjuder massage.") == OFFER
    assert classify_wording("Betalar kontant", "Söker tjej.") == REQUEST


def test_section_class_wins_and_sites_without_wording_classification_keep_offers():
    request_words = ("Man söker tjej", "Betalar bra")
    assert classify_ad(SITES["nattsida"], "request", "Ny tjej i stan", "Ring mig") == REQUEST
    assert classify_ad(SITES["nattsida"], None, *request_words) == OFFER  # nattsida has a section instead
    assert classify_ad(SITES["kvallsida"], None, *request_words) == OFFER
    assert classify_ad(SITES["stjarnsida"], None, *request_words) == REQUEST
    assert classify_ad(SITES["stjarnsida"], "offer", *request_words) == OFFER


def test_the_classifier_agrees_with_the_simulated_truth():
    from sandbox.weeks import occasion
    from sandbox.simulation import simulation_for

    simulation = simulation_for(3, 0.5)
    total = right = 0
    for week in (60, 75, 90):
        market = simulation.market_at(occasion(week))
        for listing in (*market.listings, *market.requests):
            total += 1
            right += classify_wording(listing.ad.title, listing.ad.text) == listing.ad.kind
    assert total > 200 and any(lst.ad.kind == "request" for lst in market.requests)
    assert right / total >= 0.99


def test_the_simulated_wording_needs_the_masks_and_the_new_cues(tmp_path):
    """Without the masks and cues of lexicon version 2 the simulated offers and buyers' ads would be misread:
    the simulation is hard enough to test the lexicon, not only the easy phrases."""
    from sandbox.weeks import occasion
    from sandbox.simulation import simulation_for

    bundled = load_demand_lexicon()
    assert bundled.version >= 2
    masks_removed = bundled.model_copy(update={
        "offer_masks": {lang: [m for m in masks if m not in ("du som vill träffa", "söker en generös man",
                                                             "do you want to meet", "want to meet me",
                                                             "looking for you")]
                        for lang, masks in bundled.offer_masks.items()},
        "request_cues": {lang: [c for c in cues if c not in ("want to meet", "extrapengar", "can pay")]
                         for lang, cues in bundled.request_cues.items()}})
    market = simulation_for(3, 0.5).market_at(occasion(90))
    ads = [*market.listings, *market.requests]
    right = sum(classify_wording(lst.ad.title, lst.ad.text) == lst.ad.kind for lst in ads)
    weaker = sum(classify_wording(lst.ad.title, lst.ad.text, masks_removed) == lst.ad.kind for lst in ads)
    assert right / len(ads) >= 0.99 and weaker < right - 2


def test_a_broken_lexicon_is_a_one_line_config_error(tmp_path):
    path = tmp_path / "demand.yaml"
    path.write_text("version: 1\nrequest_cues: {sv: ['söker tjej', '']}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_demand_lexicon(path)
    assert "demand.yaml" in str(error.value) and "\n" not in str(error.value)
    path.write_text("request_cues: [", encoding="utf-8")
    with pytest.raises(ConfigError, match="YAML"):
        load_demand_lexicon(path)


def test_section_and_review_links_on_the_saved_home_page():
    (case,) = cases("SectionLinks")
    html, url, _, expected = load(case)
    assert [list(pair) for pair in section_links(html, url, SITES["nattsida"])] == expected["sections"]
    assert list(review_links(html, url, SITES["nattsida"])) == expected["review_links"]
    assert section_links(html, url, SITES["kvallsida"]) == [] and review_links(html, url, SITES["kvallsida"]) == ()


def test_the_soker_section_lists_buyers_ads_with_the_usual_selectors():
    (case,) = cases("DemandListingPage")
    html, url, _, expected = load(case)
    page = parse_listing(html, url, SITES["nattsida"])
    assert [u.rsplit("/", 1)[1] for u in page.detail_urls] == expected["detail_ids"]
    assert list(page.next_urls) == expected["next_urls"]


@pytest.mark.parametrize("case", cases("DemandDetailPage"), ids=lambda p: p.name)
def test_saved_ad_pages_get_the_truths_class(case):
    html, url, crawl_time, expected = load(case)
    site = SITES[expected["site"]]
    record = parse_detail(html, url, site, crawl_time)
    assert classify_ad(site, expected["section_class"], record.title, record.text) == expected["class"]
    # The wording alone agrees too (nattsida classifies by its section, but the text says the same).
    assert classify_wording(record.title, record.text) == expected["class"]


def test_saved_review_page_gives_every_review_with_its_fields():
    (case,) = cases("ReviewPage")
    html, url, crawl_time, expected = load(case)
    page = parse_review_page(html, url, SITES["nattsida"], crawl_time)
    assert not page.failures and list(page.next_urls) == expected["next_urls"]
    assert len(page.reviews) == len(expected["reviews"]) > 0
    for record, want in zip(page.reviews, expected["reviews"]):
        assert record.review_id == want["review_id"]
        assert record.reviewer_handle == want["reviewer_handle"]
        assert record.reviewed_at == datetime.fromisoformat(want["reviewed_at"])
        assert record.site_profile_id == want["site_profile_id"]
        assert record.location_text == want["location_text"]
        assert want["reviewer_handle"] not in repr(record)  # plaintext never in a log line


def test_a_review_without_an_id_is_a_failure_the_others_are_kept():
    html = ('<section class="recensioner"><article class="review-card" data-review-id="r1">'
            '<a class="reviewer-link">Nattugglan_101</a><time class="review-date" datetime="2026-11-02T10:00:00+01:00">'
            '</time></article><article class="review-card"><a class="reviewer-link">X</a></article></section>')
    page = parse_review_page(html, "http://127.0.0.1:8765/nattsida/recensioner", SITES["nattsida"],
                             datetime.fromisoformat("2026-11-20T10:00:00+01:00"))
    assert [r.review_id for r in page.reviews] == ["r1"] and len(page.failures) == 1
    assert page.reviews[0].site_profile_id is None and page.reviews[0].location_text is None
