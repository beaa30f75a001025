"""Tests for the sandbox sites: markup contract, pagination, truth, fiction phone ranges, determinism."""
from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

import pytest
from bs4 import BeautifulSoup

from sandbox.geography import REGION_PAGES, region_for_kommun
from sandbox.simulation import build_market
from sandbox.phones import PHONE_FORM_WEIGHTS
from sandbox.server import SandboxServer
from support import FICTION_RANGES

AS_OF = "2025-11-20T15:00:00+01:00"
SITES = ("nattsida", "stjarnsida", "kvallsida")


@pytest.fixture(scope="module")
def server():
    with SandboxServer(port=0, seed=1, as_of=AS_OF) as running:
        yield running


@pytest.fixture(scope="module")
def truth(server):
    return server.market.truth_dict()


def fetch(server, path: str) -> str:
    with urllib.request.urlopen(server.url + path, timeout=5) as response:
        assert response.status == 200
        assert "charset=utf-8" in response.headers["Content-Type"]
        return response.read().decode("utf-8")


def soup(server, path: str) -> BeautifulSoup:
    return BeautifulSoup(fetch(server, path), "html.parser")


def status_of(server, path: str) -> int:
    try:
        with urllib.request.urlopen(server.url + path, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def listings(truth, site):
    return [item for item in truth["listings"] if item["site"] == site]


def national_digits(phone_text: str) -> str:
    """'+46 70 174 06 05' / '+46 (0)70-…' / '0046 70-1740605' / '070-174 06 05' → '701740605'."""
    digits = re.sub(r"\D", "", phone_text.replace("(0)", ""))
    if phone_text.strip().startswith("+46"):
        return digits[2:]
    if digits.startswith("0046"):
        return digits[4:]
    assert digits.startswith("0"), phone_text
    return digits[1:]


# --- common pages ---------------------------------------------------------------------------------


def test_index_robots_and_truth_endpoint(server, truth):
    index = soup(server, "/")
    hrefs = {a["href"] for a in index.find_all("a")}
    assert {"/nattsida/", "/stjarnsida/", "/kvallsida/"} <= hrefs
    assert index.html["lang"] == "sv"
    assert "Allow: /" in fetch(server, "/robots.txt")
    assert json.loads(fetch(server, "/_truth.json")) == truth
    assert status_of(server, "/finns-inte") == 404


def test_every_site_has_listings(truth):
    assert {item["site"] for item in truth["listings"]} == set(SITES)


def test_pages_have_no_external_resources_or_images(server, truth):
    paths = ["/", "/nattsida/", "/nattsida/region/stockholm", "/stjarnsida/", "/kvallsida/",
             "/kvallsida/stad/stockholm"]
    first_review = {site: "r1" for site in SITES} | {r["site"]: r["review_id"] for r in truth["reviews"]}
    paths += [f"/{site}/{page}" for site in SITES for page in ("annonsera", "recensioner", f"recension/{first_review[site]}",
                                                               "populara-stader", "populara-stader/malmo")]
    first = {site: listings(truth, site)[0] for site in SITES}
    paths += [f"/nattsida/annons/{first['nattsida']['site_ad_id']}",
              f"/stjarnsida/annons/{first['stjarnsida']['site_ad_id']}",
              f"/kvallsida/profil/{first['kvallsida']['site_profile_id']}"]
    for path in paths:
        page = soup(server, path)
        assert page.find("meta", charset="utf-8") is not None
        assert page.find("img") is None
        assert not page.find_all(["script", "link", "iframe"], src=True)
        assert not page.find_all("link", href=True)
        for anchor in page.find_all("a", href=True):
            assert anchor["href"].startswith("/"), anchor["href"]


# --- nattsida --------------------------------------------------------------------------------------


def test_nattsida_home_has_region_links_and_decoy_outside_nav(server):
    home = soup(server, "/nattsida/")
    regions = home.select("nav.regions a.region")
    assert [a["href"] for a in regions][:2] == ["/nattsida/region/stockholm", "/nattsida/region/uppsala"]
    assert {a["href"].rsplit("/", 1)[1] for a in regions} >= {"stockholm", "vastra-gotaland", "skane", "ovriga"}
    decoy = home.find("a", href="/nattsida/annonsera")
    assert decoy is not None and decoy.get_text() == "Annonsera"
    assert decoy.find_parent("nav", class_="regions") is None
    assert not soup(server, "/nattsida/annonsera").select("a.ad-link")


def test_nattsida_pagination_reaches_every_listing(server, truth):
    seen_on: dict[str, set[str]] = {}
    for region_link in soup(server, "/nattsida/").select("nav.regions a.region"):
        slug = region_link["href"].rsplit("/", 1)[1]
        path: str | None = region_link["href"]
        pages = 0
        while path:
            page = soup(server, path)
            pages += 1
            assert page.select_one("h1.region-name").get_text() == region_link.get_text()
            cards = page.select("article.ad-card a.ad-link")
            assert len(cards) <= 10
            for card in cards:
                seen_on.setdefault(card["href"].rsplit("/", 1)[1], set()).add(slug)
            assert page.select_one("article.ad-card span.city") is not None or not cards
            next_link = page.select_one("nav.pagination a[rel=next]")
            if next_link is not None:
                assert len(cards) == 10
                assert next_link["href"] == f"/nattsida/region/{slug}?sida={pages + 1}"
            path = next_link["href"] if next_link else None
        assert status_of(server, f"/nattsida/region/{slug}?sida={pages + 1}") == 404

    expected = {item["site_ad_id"]: set(item["region_pages"]) for item in listings(truth, "nattsida")}
    assert seen_on == expected
    assert any(len(slugs) == 2 for slugs in seen_on.values())
    assert status_of(server, "/nattsida/region/atlantis") == 404


def test_nattsida_detail_pages_match_truth(server, truth):
    for item in listings(truth, "nattsida"):
        page = soup(server, f"/nattsida/annons/{item['site_ad_id']}")
        ad = page.select_one("article.ad")
        assert ad["data-ad-id"] == item["site_ad_id"]
        assert ad.select_one("h1.ad-title").get_text() == item["title"]
        assert ad.select_one("div.ad-text").get_text() == item["text"]
        assert ad.select_one("dd.location").get_text() == item["location_text"]
        assert ad.select_one("dd.category").get_text() == item["category"]
        assert ad.select_one("dd.posted").get_text() == item["posted_text"]
        phone = ad.select_one("dd.phone")
        if item["phone_text"] is None:
            assert phone is None
        else:
            assert phone.get_text() == item["phone_text"]
        profile_href = ad.select_one("a.profile-link")["href"]
        assert profile_href == f"/nattsida/profil/{item['site_profile_id']}"
        profile = soup(server, profile_href)
        assert f"/nattsida/annons/{item['site_ad_id']}" in {a["href"] for a in profile.select("a.profile-ad")}


def test_some_phones_are_split_across_spans(server, truth):
    split = 0
    for item in listings(truth, "nattsida"):
        phone = soup(server, f"/nattsida/annons/{item['site_ad_id']}").select_one("dd.phone")
        if phone is not None and phone.find("span"):
            split += 1
            assert "".join(span.get_text() for span in phone.find_all("span")) == item["phone_text"]
    assert split >= 1


# --- stjarnsida ------------------------------------------------------------------------------------


def test_stjarnsida_static_html_has_no_ads_but_api_has_all(server, truth):
    static = fetch(server, "/stjarnsida/")
    assert "/stjarnsida/annons/" not in static
    assert "Fler annonser" not in static
    page = BeautifulSoup(static, "html.parser")
    assert page.select_one("#age-gate button#age-ok").get_text() == "Ja, jag är över 18"
    assert page.select_one("main#cards").get_text() == ""
    assert not page.select("div.card, a.card-link, a.more")
    assert page.select_one("#scroll-sentinel") is not None

    ids: list[str] = []
    number: int | None = 1
    while number is not None:
        data = json.loads(fetch(server, f"/stjarnsida/api/annonser?sida={number}"))
        assert len(data["items"]) <= 12
        for item in data["items"]:
            assert set(item) == {"id", "title", "city"}
            ids.append(item["id"])
        if data["next"] is not None:
            assert data["next"] == number + 1 and len(data["items"]) == 12
        # The decoys (sponsored card, popular cities, reviews) come with the first page only.
        assert ("recensioner" in data) == (number == 1) == ("populara_stader" in data)
        number = data["next"]
    assert len(ids) == len(set(ids))
    # Offers and buyers' ads (mixed in on this site) alike.
    offers_and_requests = [*listings(truth, "stjarnsida"), *(r for r in truth["requests"] if r["site"] == "stjarnsida")]
    assert set(ids) == {item["site_ad_id"] for item in offers_and_requests}
    assert json.loads(fetch(server, "/stjarnsida/api/annonser?sida=999"))["items"] == []
    assert status_of(server, "/stjarnsida/api/annonser?sida=noll") == 400


def test_stjarnsida_detail_pages_match_truth(server, truth):
    for item in listings(truth, "stjarnsida"):
        section = soup(server, f"/stjarnsida/annons/{item['site_ad_id']}").select_one("section.annons")
        assert section["data-annons"] == item["site_ad_id"]
        assert section.select_one("h2.rubrik").get_text() == item["title"]
        assert section.select_one("div.beskrivning").get_text() == item["text"]
        assert section.select_one("p.stad").get_text() == item["location_text"]
        assert section.select_one("p.kategori").get_text() == item["category"]
        posted = section.select_one("time.publicerad")
        assert posted.get_text() == item["posted_text"]
        assert posted["datetime"] == item["posted_at"]
        phone = section.select_one("p.tel")
        assert (phone.get_text() if phone else None) == item["phone_text"]
        assert section.select_one("a.profil")["href"] == f"/stjarnsida/profil/{item['site_profile_id']}"


# --- kvallsida -------------------------------------------------------------------------------------


def kvallsida_cities_of_profiles(server) -> dict[str, set[str]]:
    """Profile id → the city pages it should be listed on (the areas of its ads), from the market."""
    market = server.market
    expected: dict[str, set[str]] = {}
    for lst in market.listings_on("kvallsida"):
        slug = region_for_kommun(market.kommun(lst.ad.kommun_code))
        expected.setdefault(lst.ad.site_profile_id, set()).add(slug)
    return expected


def test_kvallsida_catalogue_reaches_every_profile(server):
    home = soup(server, "/kvallsida/")
    cities = home.select("nav.stader a.stad")
    assert [a["href"].rsplit("/", 1)[1] for a in cities] == [page.slug for page in REGION_PAGES]
    seen_on: dict[str, set[str]] = {}
    paginated = False
    for city in cities:
        slug = city["href"].rsplit("/", 1)[1]
        path: str | None = city["href"]
        pages = 0
        while path:
            page = soup(server, path)
            pages += 1
            assert page.select_one("h1.stad-namn").get_text() == city.get_text()
            cards = page.select("div.profilkort a.profil-lank")
            assert len(cards) <= 4
            for card in cards:
                seen_on.setdefault(card["href"].rsplit("/", 1)[1], set()).add(slug)
            next_link = page.select_one("nav.sidor a[rel=next]")
            if next_link is not None:
                paginated = True
                assert len(cards) == 4 and next_link["href"] == f"/kvallsida/stad/{slug}?sida={pages + 1}"
            path = next_link["href"] if next_link else None
        assert status_of(server, f"/kvallsida/stad/{slug}?sida={pages + 1}") == 404
    assert seen_on == kvallsida_cities_of_profiles(server)
    assert paginated
    assert status_of(server, "/kvallsida/stad/atlantis") == 404


def test_kvallsida_profile_page_lists_all_its_ads_but_not_the_number(server, truth):
    by_profile: dict[str, list[dict]] = {}
    for item in listings(truth, "kvallsida"):
        by_profile.setdefault(item["site_profile_id"], []).append(item)
    assert any(len(items) >= 2 for items in by_profile.values())
    for profile_id, items in by_profile.items():
        html = fetch(server, f"/kvallsida/profil/{profile_id}")
        page = BeautifulSoup(html, "html.parser")
        assert page.select_one("section.profil")["data-profil-id"] == profile_id
        articles = {a["data-annons-id"]: a for a in page.select("article.annons")}
        assert set(articles) == {item["site_ad_id"] for item in items}
        for item in items:
            article = articles[item["site_ad_id"]]
            assert article.select_one("h3.rubrik").get_text() == item["title"]
            assert article.select_one("p.text").get_text() == item["text"]
            assert article.select_one("span.ort").get_text() == item["location_text"]
            assert article.select_one("span.kategori").get_text() == item["category"]
            assert article.select_one("time.datum").get_text() == item["posted_text"]
        button = page.select_one("button#visa-nummer")
        assert button.get_text() == "Visa nummer" and button["data-profil"] == profile_id
        assert page.select_one("#nummer").get_text() == ""
        # The number is in no written form in the static page.
        for item in items:
            if item["phone_e164"]:
                national = "0" + item["phone_e164"][3:]
                digits_only = re.sub(r"\D", "", re.sub(r"<[^>]+>", "", html))
                assert item["phone_text"] not in html
                assert national not in digits_only and item["phone_e164"][1:] not in digits_only


def test_kvallsida_number_api_gives_the_profiles_phone(server, truth):
    from parsers.phones import normalise_phone

    by_profile: dict[str, set] = {}
    for item in listings(truth, "kvallsida"):
        by_profile.setdefault(item["site_profile_id"], set()).add(item["phone_e164"])
    assert all(len(phones) == 1 for phones in by_profile.values())  # one number per profile
    with_phone = without_phone = 0
    for profile_id, phones in by_profile.items():
        data = json.loads(fetch(server, f"/kvallsida/api/nummer/{profile_id}"))
        [phone] = phones
        if phone is None:
            without_phone += 1
            assert data["nummer"] is None
        else:
            with_phone += 1
            assert normalise_phone("".join(data["nummer"])) == phone
    assert with_phone > 0
    assert status_of(server, "/kvallsida/api/nummer/finns-inte") == 404
    assert status_of(server, "/kvallsida/profil/finns-inte") == 404


# --- decoys ----------------------------------------------------------------------------------------


def configured(site: str):
    from config.settings import BUNDLED_SITES_DIR
    from config.sites import load_site

    return load_site(BUNDLED_SITES_DIR / f"{site}.yaml")


def test_decoy_pages_exist_and_are_linked_from_crawled_pages(server, truth):
    first_ad = listings(truth, "nattsida")[0]["site_ad_id"]
    first_profile = listings(truth, "kvallsida")[0]["site_profile_id"]
    crawled = {  # pages the bundled configs make the crawler fetch (stjarnsida: its static start page)
        "nattsida": ["/nattsida/", "/nattsida/region/stockholm", f"/nattsida/annons/{first_ad}"],
        "stjarnsida": ["/stjarnsida/"],
        "kvallsida": ["/kvallsida/", "/kvallsida/stad/stockholm", f"/kvallsida/profil/{first_profile}"],
    }
    for site, paths in crawled.items():
        for path in paths:
            hrefs = {a["href"] for a in soup(server, path).find_all("a", href=True)}
            assert {f"/{site}/annonsera", f"/{site}/recensioner", f"/{site}/populara-stader"} <= hrefs, path
        reviews = soup(server, f"/{site}/recensioner")
        assert reviews.find("h1").get_text() == "Recensioner"
        review_links = [a["href"] for a in reviews.find_all("a", href=re.compile(f"^/{site}/recension/"))]
        assert len(review_links) >= 3
        for link in review_links:
            assert status_of(server, link) == 200
        assert "Annonsera" in soup(server, f"/{site}/annonsera").find("h1").get_text()
        cities = soup(server, f"/{site}/populara-stader")
        assert cities.find("h1").get_text() == "Populära städer"
        for link in cities.find_all("a", href=re.compile(f"^/{site}/populara-stader/")):
            assert status_of(server, link["href"]) == 200
        assert status_of(server, f"/{site}/recension/r999") == 404
        assert status_of(server, f"/{site}/populara-stader/atlantis") == 404


def test_sloppy_selectors_count_decoys_but_the_configured_ones_do_not(server, truth):
    from parsers.pages import parse_details, parse_listing

    # nattsida: a region page. Naive selectors pick up the sponsored card, review cards and "Annonsera".
    site = configured("nattsida")
    html = fetch(server, "/nattsida/region/stockholm")
    page = BeautifulSoup(html, "html.parser")
    on_page = {a["href"] for a in page.select("article a")}
    ads = set(parse_listing(html, server.url + "/nattsida/region/stockholm", site).detail_urls)
    assert ads and {server.url + href for href in on_page} > ads
    assert all("/annons/" in url for url in ads)
    assert any("/recension/" in href for href in on_page) and "/nattsida/annonsera" in on_page
    assert "/nattsida/annonsera" in {a["href"] for a in page.select("a[href*=annons]")}
    assert page.select("article.ad-card a.promo-link")  # looks like an ad card
    home = soup(server, "/nattsida/")
    assert home.select("section.popular-cities article a") and not home.select(site.listing.detail_links)

    # kvallsida: counting <article>s on a profile page counts reviews too; the containers do not.
    site = configured("kvallsida")
    profile_id = listings(truth, "kvallsida")[0]["site_profile_id"]
    html = fetch(server, f"/kvallsida/profil/{profile_id}")
    articles = BeautifulSoup(html, "html.parser").select("article")
    records = parse_details(html, server.url + f"/kvallsida/profil/{profile_id}", site, server.as_of)
    truth_ids = {i["site_ad_id"] for i in listings(truth, "kvallsida") if i["site_profile_id"] == profile_id}
    assert {r.site_ad_id for r in records} == truth_ids and not records.failures
    assert len(articles) > len(truth_ids)
    city = BeautifulSoup(fetch(server, "/kvallsida/stad/stockholm"), "html.parser")
    assert len(city.select("div.profilkort a")) > len(city.select(site.listing.detail_links))
    home = BeautifulSoup(fetch(server, "/kvallsida/"), "html.parser")
    assert home.select("div.profilkort a") and not home.select(site.listing.detail_links)

    # stjarnsida: the first API page brings a sponsored card, popular cities and reviews for the grid.
    data = json.loads(fetch(server, "/stjarnsida/api/annonser?sida=1"))
    assert data["sponsrad"] and data["populara_stader"] and data["recensioner"]


# --- truth content ---------------------------------------------------------------------------------


def classify_phone(parts: tuple[str, ...]) -> str:
    """Which written form (sandbox.phones) the pieces of a number are in."""
    if len(parts) > 1:
        return "split_spans" if parts[1].startswith("-") else "split_digits"
    text = parts[0]
    patterns = {
        "e164": r"\+46\d+", "intl_trunk": r"\+46 \(0\)\d+-[\d ]+", "intl_spaced": r"\+46 \d+ [\d ]+",
        "double_zero": r"0046 \d+-\d+", "compact": r"0\d+", "all_dashes": r"0\d+(-\d+){3}",
        "dash_grouped": r"0\d+-\d+ [\d ]+", "spaced": r"0\d+ [\d ]+", "dotted": r"0\d+(\.\d+){3}",
    }
    [form] = [name for name, pattern in patterns.items() if re.fullmatch(pattern, text)]
    return form


def test_every_phone_form_appears_across_the_sites(server):
    forms_on: dict[str, set[str]] = {}
    for lst in server.market.listings:
        if lst.phone_parts:
            forms_on.setdefault(lst.site, set()).add(classify_phone(lst.phone_parts))
    assert set().union(*forms_on.values()) == set(PHONE_FORM_WEIGHTS)
    assert set(forms_on) == set(SITES)


def test_fiction_market_phones_are_in_the_pts_fiction_ranges():
    truth = build_market(1, AS_OF, phone_space="fiction").truth_dict()
    with_phone = [item for item in truth["listings"] if item["phone_text"] is not None]
    assert 0 < len(truth["listings"]) - len(with_phone) <= 0.2 * len(truth["listings"])
    for item in with_phone:
        national = national_digits(item["phone_text"])
        assert item["phone_e164"] == "+46" + national
        assert any(low <= int(national) <= high for low, high in FICTION_RANGES), item["phone_text"]
    for item in truth["listings"]:
        if item["phone_text"] is None:
            assert item["phone_e164"] is None


def test_written_phones_match_their_e164(truth):
    for item in truth["listings"]:
        if item["phone_text"] is not None:
            assert item["phone_e164"] == "+46" + national_digits(item["phone_text"]), item["phone_text"]


def test_market_is_deterministic_per_seed():
    first = build_market(1, AS_OF)
    assert first.truth_dict() == build_market(1, AS_OF).truth_dict()
    assert first.truth_dict() != build_market(2, AS_OF).truth_dict()
    assert first.truth_dict()["as_of"] == AS_OF


# --- server behaviour ------------------------------------------------------------------------------


def test_server_refuses_non_loopback_hosts():
    for host in ("0.0.0.0", "192.0.2.10", "example.org"):
        with pytest.raises(ValueError):
            SandboxServer(host=host)


def test_server_is_silent_and_stops_cleanly(capfd):
    sandbox = SandboxServer(as_of=AS_OF).start()
    url = sandbox.url
    first_ad = listings(sandbox.truth(), "nattsida")[0]["site_ad_id"]
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
    with urllib.request.urlopen(f"{url}/nattsida/annons/{first_ad}", timeout=5) as response:
        assert response.status == 200
    try:
        urllib.request.urlopen(url + "/nattsida/annons/N0000", timeout=5)
    except urllib.error.HTTPError:
        pass
    sandbox.stop()
    sandbox.stop()
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""
    with pytest.raises(OSError):
        urllib.request.urlopen(url + "/", timeout=2)


# --- the JavaScript sites in a real browser ---------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    from crawler.browser import BrowserNotFound, find_chromium, launch_options

    try:
        executable = find_chromium()
    except BrowserNotFound as error:  # pragma: no cover - depends on the machine
        pytest.skip(str(error))
    playwright = sync_api.sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(**launch_options(executable))
        yield chromium
        chromium.close()
    finally:
        playwright.stop()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    tab = context.new_page()
    tab.outside = []
    tab.on("request", lambda request: None if request.url.startswith(server.url) else tab.outside.append(request.url))
    yield tab
    context.close()


def test_stjarnsida_loads_more_cards_only_when_scrolled_to_the_bottom(page, server, truth):
    mixed = [*listings(truth, "stjarnsida"), *(r for r in truth["requests"] if r["site"] == "stjarnsida")]
    expected = sorted(item["site_ad_id"] for item in mixed)  # offers and buyers' ads, mixed
    assert len(expected) > 12, "the market should need more than one API page"
    page.goto(server.url + "/stjarnsida/")
    assert page.query_selector_all("div.card") == []
    page.click("button#age-ok")
    page.wait_for_selector("#cards[data-loaded=true]", timeout=10_000)
    page.wait_for_timeout(800)  # no scrolling: nothing more loads
    assert len(page.query_selector_all("div.card a.card-link")) == 12
    assert page.get_attribute("#cards", "data-complete") is None
    for _ in range(30):
        if page.query_selector("#cards[data-complete=true]"):
            break
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        page.wait_for_timeout(400)
    assert page.query_selector("#cards[data-complete=true]") is not None
    ids = [a.get_attribute("href").rsplit("/", 1)[1] for a in page.query_selector_all("div.card a.card-link")]
    assert sorted(ids) == expected
    assert int(page.get_attribute("#cards", "data-pages")) == -(-len(expected) // 12)
    assert page.query_selector("a.more") is None
    # Decoys in the grid: a sloppy "div.card a" counts them, the configured selector does not.
    assert len(page.query_selector_all("div.card a")) > len(page.query_selector_all(configured("stjarnsida").listing.detail_links))
    assert page.outside == []


def test_kvallsida_number_appears_only_after_the_click(page, server, truth):
    from parsers.phones import normalise_phone

    item = next(i for i in listings(truth, "kvallsida") if i["phone_e164"])
    page.goto(f"{server.url}/kvallsida/profil/{item['site_profile_id']}")
    assert page.inner_text("#nummer") == ""
    page.click("button#visa-nummer")
    page.wait_for_selector("#nummer[data-klar=true]", timeout=10_000)
    assert normalise_phone(page.text_content("#nummer .tel")) == item["phone_e164"]
    assert page.outside == []
