"""HTML and JSON for the three sandbox sites, their decoy pages, and the router mapping paths to them.

- Nattsidan (nattsida): server-rendered, region pages with numbered pagination.
- Stjärnsidan (stjarnsida): a single-page app behind an age gate; cards come from a JSON API with
  infinite scroll. Its ad pages are server-rendered.
- Kvällsidan (kvallsida): profile-centred. A catalogue of profile cards per city; each profile page
  lists all the profile's ads, and the phone number appears only after "Visa nummer" is clicked.

Every site also has decoys a naive crawler would count as ads: an "Annonsera" page, "Populära
städer" cards and review lists ("Recensioner") with card-like items linking to review pages.

The demand side (sandbox.demand): Nattsidan lists buyers' ads in its own "Söker"
section and its "Recensioner" are real buyer reviews (reviewer, date, the reviewed profile and its
place); Stjärnsidan mixes buyers' ads in with its offers. The other sites' reviews stay decoys.
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from html import escape
from urllib.parse import parse_qs, urlsplit

from sandbox.geography import REGION_PAGES, region_for_kommun
from sandbox.market import KVALLSIDA, NATTSIDA, STJARNSIDA, BuyerReview, Listing, Market, Profile
from sandbox.wording import POPULAR_CITIES, REVIEW_TEXTS, REVIEW_TITLES, review_stars

NATTSIDA_PAGE_SIZE = 10
STJARNSIDA_PAGE_SIZE = 12
STJARNSIDA_LOAD_DELAY_MS = 250
KVALLSIDA_PAGE_SIZE = 4
REVIEWS_PER_SITE = 6
NATTSIDA_REVIEWS_PAGE_SIZE = 20

HTML_TYPE = "text/html; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"

SITE_NAMES = {NATTSIDA: "Nattsidan", STJARNSIDA: "Stjärnsidan", KVALLSIDA: "Kvällsidan"}

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 0; background: #15121c; color: #eee; }
header, main, footer, section.tips, aside { max-width: 52rem; margin: 0 auto; padding: 0.75rem 1rem; }
header a { margin-right: 0.75rem; }
a { color: #f0a6ca; }
nav.regions a.region, nav.stader a.stad, nav.pagination a, nav.pagination span, nav.sidor a,
nav.sidor span { margin-right: 0.75rem; }
article.ad-card, article.city-card, article.review-card, div.card, div.profilkort, article.annons,
article.recension { border-bottom: 1px solid #333; padding: 0.5rem 0; }
div.card { min-height: 5rem; }
span.city, span.stad { color: #aaa; margin-left: 0.5rem; }
footer { color: #888; font-size: 0.85rem; }
#age-gate { position: fixed; inset: 0; background: rgba(0, 0, 0, 0.92); display: flex;
  align-items: center; justify-content: center; flex-direction: column; z-index: 10; }
#age-gate button { font-size: 1.1rem; padding: 0.6rem 1.2rem; }
#scroll-sentinel { max-width: 52rem; margin: 0 auto; padding: 1rem; color: #888; }
"""

FICTION_NOTICE = "Fiktiv testsida för lagesbild – alla annonser, namn och nummer är påhittade."


@dataclass(frozen=True)
class Response:
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def _e(text: str) -> str:
    return escape(text, quote=True)


def _html_page(title: str, body: str, status: int = 200) -> Response:
    document = f"""<!DOCTYPE html>
<html lang="sv">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title>
<style>{_STYLE}</style>
</head>
<body>
{body}
<footer><p>{FICTION_NOTICE}</p></footer>
</body>
</html>
"""
    return Response(status, HTML_TYPE, document.encode("utf-8"))


def _json(payload: object, status: int = 200) -> Response:
    return Response(status, JSON_TYPE, json.dumps(payload, ensure_ascii=False, indent=1).encode("utf-8"))


def not_found() -> Response:
    return _html_page("Sidan finns inte", "<main><h1>404 – sidan finns inte</h1><p><a href=\"/\">Till startsidan</a></p></main>", 404)


def _page_number(query: dict[str, list[str]]) -> int | None:
    """The 'sida' query parameter (default 1); None when it is not a positive integer."""
    raw = query.get("sida", ["1"])[-1]
    return int(raw) if raw.isascii() and raw.isdigit() and int(raw) >= 1 else None


def _phone_html(listing: Listing) -> str:
    if len(listing.phone_parts) > 1:
        return "".join(f"<span>{_e(part)}</span>" for part in listing.phone_parts)
    return _e(listing.phone_parts[0])


def _numbered_pagination(base: str, page: int, page_count: int, nav_class: str) -> str:
    numbers = []
    if page > 1:
        numbers.append(f'<a rel="prev" href="{base}?sida={page - 1}">Föregående</a>')
    for number in range(1, page_count + 1):
        if number == page:
            numbers.append(f'<span class="current" aria-current="page">{number}</span>')
        else:
            numbers.append(f'<a href="{base}?sida={number}">{number}</a>')
    if page < page_count:
        numbers.append(f'<a rel="next" href="{base}?sida={page + 1}">Nästa</a>')
    return f'<nav class="{nav_class}">\n' + "\n".join(numbers) + "\n</nav>"


# --- common ------------------------------------------------------------------------------------


def index_page() -> Response:
    body = """<main>
<h1>Lagesbild sandlåda</h1>
<p>Tre påhittade annonssidor för tester och demonstrationer.</p>
<ul>
<li><a href="/nattsida/">Nattsidan</a> – serverrenderad, regioner och sidnumrering</li>
<li><a href="/stjarnsida/">Stjärnsidan</a> – app med åldersspärr, annonserna laddas med JavaScript när du skrollar</li>
<li><a href="/kvallsida/">Kvällsidan</a> – profiler per stad, numret visas först efter ett klick</li>
</ul>
</main>"""
    return _html_page("Lagesbild sandlåda", body)


def robots_txt() -> Response:
    return Response(200, TEXT_TYPE, b"User-agent: *\nAllow: /\n")


def truth_json(market: Market) -> Response:
    return _json(market.truth_dict())


# --- decoys: Annonsera, Populära städer, Recensioner (the same on every site) --------------------


@dataclass(frozen=True)
class Review:
    review_id: str
    title: str
    text: str
    stars: int
    city: str


def site_reviews(market: Market, site: str) -> list[Review]:
    """A site's (fictional) reviews; deterministic for the market's seed."""
    rng = random.Random(f"{market.seed}:{site}:reviews")
    cities = [name for _, name in POPULAR_CITIES]
    return [
        Review(f"r{number}", rng.choice(REVIEW_TITLES), rng.choice(REVIEW_TEXTS), rng.randint(3, 5), rng.choice(cities))
        for number in range(1, REVIEWS_PER_SITE + 1)
    ]


def _site_header(site: str) -> str:
    return f"""<header><a class="site-name" href="/{site}/">{_e(SITE_NAMES[site])}</a>
<a class="post-ad" href="/{site}/annonsera">Annonsera</a>
<a class="reviews" href="/{site}/recensioner">Recensioner</a>
<a class="popular" href="/{site}/populara-stader">Populära städer</a></header>"""


def _review_cards(site: str, reviews: list[Review]) -> str:
    """Review items styled like each site's ad cards (the look-alike is the point)."""
    if site == NATTSIDA:
        return "\n".join(
            f'<article class="review-card"><a class="review-link" href="/nattsida/recension/{r.review_id}">'
            f'{_e(r.title)}</a> <span class="city">{_e(r.city)} {review_stars(r.stars)}</span></article>'
            for r in reviews
        )
    if site == STJARNSIDA:
        return "\n".join(
            f'<div class="card recension"><a class="recension-link" href="/stjarnsida/recension/{r.review_id}">'
            f'{_e(r.title)}</a> <span class="city">{_e(r.city)}</span></div>'
            for r in reviews
        )
    return "\n".join(
        f'<article class="recension" data-recension-id="{r.review_id}">'
        f'<h3 class="recension-rubrik"><a class="recension-lank" href="/kvallsida/recension/{r.review_id}">'
        f'{_e(r.title)}</a></h3><p class="recension-text">{_e(r.text)}</p>'
        f'<p class="betyg">{review_stars(r.stars)} <span class="stad">{_e(r.city)}</span></p></article>'
        for r in reviews
    )


def _city_cards(site: str, limit: int | None = None) -> str:
    cities = POPULAR_CITIES[:limit] if limit else POPULAR_CITIES
    if site == NATTSIDA:
        return "\n".join(
            f'<article class="city-card"><a class="city-link" href="/nattsida/populara-stader/{slug}">{_e(name)}</a>'
            f' <span class="city">Populär stad</span></article>'
            for slug, name in cities
        )
    if site == STJARNSIDA:
        return "\n".join(
            f'<div class="card stad"><a class="stad-link" href="/stjarnsida/populara-stader/{slug}">{_e(name)}</a>'
            f' <span class="city">Populär stad</span></div>'
            for slug, name in cities
        )
    return "\n".join(
        f'<div class="profilkort stadkort"><a class="stad-lank" href="/kvallsida/populara-stader/{slug}">'
        f'<strong>{_e(name)}</strong></a> <span class="stad">Populär stad</span></div>'
        for slug, name in cities
    )


def post_ad_page(site: str) -> Response:
    body = f"""{_site_header(site)}
<main>
<h1>Annonsera på {_e(SITE_NAMES[site])}</h1>
<p>Vill du lägga in en annons? Kontakta kundtjänst så hjälper vi dig.</p>
<article class="annons-exempel"><h2>Så kan din annons se ut</h2><p>Rubrik, text, ort och telefonnummer.</p>
<a href="/{site}/annonsera">Lägg in annons</a></article>
</main>"""
    return _html_page(f"Annonsera – {SITE_NAMES[site]}", body)


def _buyer_review_cards(reviews: list[BuyerReview]) -> str:
    """Nattsidan's real reviews: each names its reviewer, date and the profile it reviews (sandbox.demand)."""
    return "\n".join(
        f'<article class="review-card" data-review-id="{_e(r.review_id)}">'
        f'<a class="review-link" href="/nattsida/recension/{_e(r.review_id)}">{_e(r.title)}</a>'
        f' <span class="city"><span class="review-city">{_e(r.location_text)}</span> {review_stars(r.stars)}</span>'
        f' <span class="reviewer">av <a class="reviewer-link" href="/nattsida/medlem/{_e(r.reviewer_handle)}">'
        f'{_e(r.reviewer_handle)}</a></span>'
        f' <time class="review-date" datetime="{r.written_at.isoformat()}">{r.written_at:%Y-%m-%d}</time>'
        f' <a class="reviewed-profile" href="/nattsida/profil/{_e(r.site_profile_id)}">Till profilen</a>'
        f'<p class="review-text">{_e(r.text)}</p></article>'
        for r in reviews
    )


def nattsida_reviews_page(market: Market, page: int | None) -> Response:
    if page is None:
        return not_found()
    reviews = market.reviews_on(NATTSIDA)
    page_count = max(1, -(-len(reviews) // NATTSIDA_REVIEWS_PAGE_SIZE))
    if page > page_count:
        return not_found()
    shown = reviews[(page - 1) * NATTSIDA_REVIEWS_PAGE_SIZE : page * NATTSIDA_REVIEWS_PAGE_SIZE]
    body = f"""{_site_header(NATTSIDA)}
<main>
<h1>Recensioner</h1>
<p class="review-count">{len(reviews)} recensioner</p>
<section class="recensioner">
{_buyer_review_cards(shown)}
</section>
{_numbered_pagination("/nattsida/recensioner", page, page_count, "pagination")}
</main>"""
    return _html_page(f"Recensioner – {SITE_NAMES[NATTSIDA]}" + (f" – sida {page}" if page > 1 else ""), body)


def nattsida_review_page(market: Market, review_id: str) -> Response:
    review = next((r for r in market.reviews_on(NATTSIDA) if r.review_id == review_id), None)
    if review is None:
        return not_found()
    body = f"""{_site_header(NATTSIDA)}
<main>
<article class="recension-sida" data-review-id="{_e(review.review_id)}">
<h1 class="recension-rubrik">{_e(review.title)}</h1>
<p class="betyg">{review_stars(review.stars)}</p>
<p>Av <a class="reviewer-link" href="/nattsida/medlem/{_e(review.reviewer_handle)}">{_e(review.reviewer_handle)}</a>,
<time class="review-date" datetime="{review.written_at.isoformat()}">{review.written_at:%Y-%m-%d}</time></p>
<div class="recension-text">{_e(review.text)}</div>
<p>Ort: <span class="recension-ort">{_e(review.location_text)}</span></p>
<p><a class="reviewed-profile" href="/nattsida/profil/{_e(review.site_profile_id)}">Till profilen</a></p>
</article>
</main>"""
    return _html_page(f"{review.title} – Recension – {SITE_NAMES[NATTSIDA]}", body)


def reviews_page(market: Market, site: str) -> Response:
    body = f"""{_site_header(site)}
<main>
<h1>Recensioner</h1>
<section class="recensioner">
{_review_cards(site, site_reviews(market, site))}
</section>
</main>"""
    return _html_page(f"Recensioner – {SITE_NAMES[site]}", body)


def review_page(market: Market, site: str, review_id: str) -> Response:
    review = next((r for r in site_reviews(market, site) if r.review_id == review_id), None)
    if review is None:
        return not_found()
    body = f"""{_site_header(site)}
<main>
<article class="recension-sida">
<h1 class="recension-rubrik">{_e(review.title)}</h1>
<p class="betyg">{review_stars(review.stars)}</p>
<div class="recension-text">{_e(review.text)}</div>
<p>Ort: <span class="recension-ort">{_e(review.city)}</span></p>
</article>
</main>"""
    return _html_page(f"{review.title} – Recension – {SITE_NAMES[site]}", body)


def popular_cities_page(site: str, slug: str | None) -> Response:
    if slug is None:
        body = f"""{_site_header(site)}
<main>
<h1>Populära städer</h1>
<section class="populara-stader">
{_city_cards(site)}
</section>
</main>"""
        return _html_page(f"Populära städer – {SITE_NAMES[site]}", body)
    name = dict(POPULAR_CITIES).get(slug)
    if name is None:
        return not_found()
    body = f"""{_site_header(site)}
<main>
<article class="stad-info">
<h1>{_e(name)}</h1>
<p>{_e(name)} är en av de populäraste städerna på {_e(SITE_NAMES[site])}.</p>
<p><a href="/{site}/">Till annonserna</a></p>
</article>
</main>"""
    return _html_page(f"{name} – {SITE_NAMES[site]}", body)


# --- Nattsidan: server-rendered ----------------------------------------------------------------


def nattsida_home() -> Response:
    links = "\n".join(
        f'<a class="region" href="/nattsida/region/{page.slug}">{_e(page.name)}</a>' for page in REGION_PAGES
    )
    body = f"""{_site_header(NATTSIDA)}
<main>
<h1>Välkommen till Nattsidan</h1>
<p>Välj region för att se annonser.</p>
<nav class="regions">
{links}
</nav>
<nav class="sections"><a class="section-soker" href="/nattsida/soker">Söker – köpare som söker</a></nav>
<section class="popular-cities">
<h2>Populära städer</h2>
{_city_cards(NATTSIDA, limit=4)}
</section>
</main>"""
    return _html_page("Nattsidan", body)


_NATTSIDA_SPONSORED = (
    '<article class="ad-card sponsored"><a class="promo-link" href="/nattsida/annonsera">'
    'Din annons här? Annonsera på Nattsidan</a> <span class="city">Hela Sverige</span></article>'
)


def nattsida_region(market: Market, slug: str, page: int | None) -> Response:
    region = next((r for r in REGION_PAGES if r.slug == slug), None)
    if region is None or page is None:
        return not_found()
    listings = market.listings_in_region(slug)
    page_count = max(1, -(-len(listings) // NATTSIDA_PAGE_SIZE))
    if page > page_count:
        return not_found()
    shown = listings[(page - 1) * NATTSIDA_PAGE_SIZE : page * NATTSIDA_PAGE_SIZE]
    cards = [
        f'<article class="ad-card"><a class="ad-link" href="/nattsida/annons/{_e(lst.site_ad_id)}">'
        f'{_e(lst.ad.title)}</a> <span class="city">{_e(lst.location_text)}</span></article>'
        for lst in shown
    ]
    cards.insert(min(3, len(cards)), _NATTSIDA_SPONSORED)
    base = f"/nattsida/region/{slug}"
    body = f"""{_site_header(NATTSIDA)}
<main>
<h1 class="region-name">{_e(region.name)}</h1>
<p class="ad-count">{len(listings)} annonser</p>
<section class="ad-list">
{chr(10).join(cards)}
</section>
{_numbered_pagination(base, page, page_count, "pagination")}
</main>
<aside class="latest-reviews">
<h2>Senaste recensioner</h2>
{_buyer_review_cards(market.reviews_on(NATTSIDA)[:3])}
<p><a href="/nattsida/recensioner">Alla recensioner</a></p>
</aside>"""
    title = f"{region.name} – Nattsidan" + (f" – sida {page}" if page > 1 else "")
    return _html_page(title, body)


def nattsida_requests(market: Market, page: int | None) -> Response:
    """The "Söker" section: buyers' ads, apart from the offers, with the same cards and ad pages."""
    if page is None:
        return not_found()
    listings = market.requests_on(NATTSIDA)
    page_count = max(1, -(-len(listings) // NATTSIDA_PAGE_SIZE))
    if page > page_count:
        return not_found()
    shown = listings[(page - 1) * NATTSIDA_PAGE_SIZE : page * NATTSIDA_PAGE_SIZE]
    cards = "\n".join(
        f'<article class="ad-card"><a class="ad-link" href="/nattsida/annons/{_e(lst.site_ad_id)}">'
        f'{_e(lst.ad.title)}</a> <span class="city">{_e(lst.location_text)}</span></article>'
        for lst in shown
    )
    body = f"""{_site_header(NATTSIDA)}
<main>
<h1 class="section-name">Söker</h1>
<p class="ad-count">{len(listings)} annonser</p>
<section class="ad-list">
{cards}
</section>
{_numbered_pagination("/nattsida/soker", page, page_count, "pagination")}
</main>"""
    return _html_page("Söker – Nattsidan" + (f" – sida {page}" if page > 1 else ""), body)


def nattsida_ad(market: Market, site_ad_id: str) -> Response:
    listing = market.listing(NATTSIDA, site_ad_id)
    if listing is None:
        return not_found()
    ad = listing.ad
    profile = market.profile(NATTSIDA, ad.site_profile_id)
    phone = f'<dt>Telefon</dt><dd class="phone">{_phone_html(listing)}</dd>\n' if listing.phone_parts else ""
    price = f'<dt>Pris</dt><dd class="price">{_e(listing.price_text)}</dd>\n' if listing.price_text else ""
    body = f"""{_site_header(NATTSIDA)}
<main>
<article class="ad" data-ad-id="{_e(listing.site_ad_id)}">
<h1 class="ad-title">{_e(ad.title)}</h1>
<div class="ad-text">{_e(ad.text)}</div>
<dl>
{phone}<dt>Ort</dt><dd class="location">{_e(listing.location_text)}</dd>
<dt>Kategori</dt><dd class="category">{_e(ad.category)}</dd>
<dt>Publicerad</dt><dd class="posted">{_e(listing.posted_text)}</dd>
{price}</dl>
<p>Profil: <a class="profile-link" href="/nattsida/profil/{_e(ad.site_profile_id)}">{_e(profile.display_name if profile else "")}</a></p>
</article>
</main>"""
    return _html_page(f"{ad.title} – Nattsidan", body)


def nattsida_profile(market: Market, site_profile_id: str) -> Response:
    profile = market.profile(NATTSIDA, site_profile_id)
    if profile is None:
        return not_found()
    items = "\n".join(
        f'<li><a class="profile-ad" href="/nattsida/annons/{_e(lst.site_ad_id)}">{_e(lst.ad.title)}</a></li>'
        for lst in market.listings_of_profile(NATTSIDA, site_profile_id)
    )
    body = f"""{_site_header(NATTSIDA)}
<main>
<section class="profile" data-profile-id="{_e(profile.site_profile_id)}">
<h1 class="profile-name">{_e(profile.display_name)}</h1>
<h2>Annonser</h2>
<ul class="profile-ads">
{items}
</ul>
</section>
</main>"""
    return _html_page(f"{profile.display_name} – Nattsidan", body)


# --- Stjärnsidan: a single-page app with infinite scroll -----------------------------------------

# The script builds every card from the JSON API. When the sentinel below the cards scrolls into
# view it fetches the next page, until the API says there is none: then #cards gets
# data-complete="true". IntersectionObserver reports a target's state on every observe(), so
# re-observing after each page keeps loading while the sentinel is still visible.
_STJARNSIDA_SCRIPT = """
(function () {
  "use strict";
  var STORAGE_KEY = "stjarnsida-age-ok";
  var gate = document.getElementById("age-gate");
  var cards = document.getElementById("cards");
  var tips = document.getElementById("tips");
  var sentinel = document.getElementById("scroll-sentinel");
  // Built from parts so that the static page does not contain a single ad path.
  var AD_PATH = ["", "stjarnsida", "annons", ""].join("/");
  var API = "/stjarnsida/api/annonser?sida=";
  var nextPage = 1, pagesLoaded = 0, loading = false, started = false, observer = null;

  function accepted() {
    try { return window.sessionStorage.getItem(STORAGE_KEY) === "1"; } catch (e) { return false; }
  }

  function card(extraClass, linkClass, href, title, city) {
    var item = document.createElement("div");
    item.className = extraClass ? "card " + extraClass : "card";
    var link = document.createElement("a");
    link.className = linkClass;
    link.setAttribute("href", href);
    link.textContent = title;
    var place = document.createElement("span");
    place.className = "city";
    place.textContent = city;
    item.appendChild(link);
    item.appendChild(document.createTextNode(" "));
    item.appendChild(place);
    return item;
  }

  function renderTips(data) {
    if (!tips || tips.getAttribute("data-filled") === "true") { return; }
    var heading = document.createElement("h2");
    heading.textContent = "Populära städer och recensioner";
    tips.appendChild(heading);
    (data.populara_stader || []).forEach(function (city) {
      tips.appendChild(card("stad", "stad-link", "/stjarnsida/populara-stader/" + city.slug, city.namn, "Populär stad"));
    });
    (data.recensioner || []).forEach(function (review) {
      tips.appendChild(card("recension", "recension-link", "/stjarnsida/recension/" + review.id, review.rubrik, review.stad));
    });
    tips.setAttribute("data-filled", "true");
  }

  function render(data) {
    (data.items || []).forEach(function (item) {
      cards.appendChild(card("", "card-link", AD_PATH + encodeURIComponent(item.id), item.title, item.city));
    });
    if (data.sponsrad) {
      cards.appendChild(card("sponsrad", "card-annonsera", "/stjarnsida/annonsera", data.sponsrad, "Hela Sverige"));
    }
    renderTips(data);
    pagesLoaded += 1;
    nextPage = (data.next === null || data.next === undefined) ? null : data.next;
    cards.setAttribute("data-loaded", "true");
    cards.setAttribute("data-pages", String(pagesLoaded));
    if (nextPage === null) {
      observer.disconnect();
      sentinel.textContent = "Inga fler annonser";
      cards.setAttribute("data-complete", "true");
    } else {
      observer.unobserve(sentinel);
      observer.observe(sentinel);
    }
  }

  function loadNext() {
    if (loading || nextPage === null) { return; }
    loading = true;
    window.setTimeout(function () {
      fetch(API + nextPage, { headers: { "Accept": "application/json" } })
        .then(function (response) {
          if (!response.ok) { throw new Error("HTTP " + response.status); }
          return response.json();
        })
        .then(function (data) { loading = false; render(data); })
        .catch(function () { loading = false; cards.setAttribute("data-error", "true"); });
    }, __DELAY_MS__);
  }

  function start() {
    if (started) { return; }
    started = true;
    gate.style.display = "none";
    sentinel.textContent = "Laddar fler annonser …";
    observer = new IntersectionObserver(function (entries) {
      if (entries.some(function (entry) { return entry.isIntersecting; })) { loadNext(); }
    });
    observer.observe(sentinel);
  }

  document.getElementById("age-ok").addEventListener("click", function () {
    try { window.sessionStorage.setItem(STORAGE_KEY, "1"); } catch (e) { /* storage blocked */ }
    start();
  });
  if (accepted()) { start(); }
})();
""".replace("__DELAY_MS__", str(STJARNSIDA_LOAD_DELAY_MS))


def stjarnsida_home() -> Response:
    # Deliberately free of ad links: the cards only exist after the script has run.
    body = f"""<div id="age-gate">
<p>Stjärnsidan innehåller annonser för vuxna. Är du över 18 år?</p>
<button id="age-ok" type="button">Ja, jag är över 18</button>
</div>
{_site_header(STJARNSIDA)}
<section id="tips" class="tips"></section>
<h1 class="site-title">Senaste annonserna</h1>
<main id="cards"></main>
<div id="scroll-sentinel" aria-hidden="true"></div>
<script>{_STJARNSIDA_SCRIPT}</script>"""
    return _html_page("Stjärnsidan", body)


def stjarnsida_api_page(market: Market, page: int | None) -> Response:
    if page is None:
        return _json({"error": "sida måste vara ett positivt heltal"}, 400)
    # Buyers' ads are mixed in with the offers, newest first: only their wording tells them apart.
    listings = sorted([*market.listings_on(STJARNSIDA), *market.requests_on(STJARNSIDA)],
                      key=lambda lst: (lst.ad.posted_at, lst.site_ad_id), reverse=True)
    shown = listings[(page - 1) * STJARNSIDA_PAGE_SIZE : page * STJARNSIDA_PAGE_SIZE]
    has_next = page * STJARNSIDA_PAGE_SIZE < len(listings)
    items = [{"id": lst.site_ad_id, "title": lst.ad.title, "city": lst.location_text} for lst in shown]
    payload: dict[str, object] = {"items": items, "next": page + 1 if has_next else None}
    if page == 1:  # the decoys come with the first page
        payload["sponsrad"] = "Din annons här? Annonsera på Stjärnsidan"
        payload["populara_stader"] = [{"slug": slug, "namn": name} for slug, name in POPULAR_CITIES[:4]]
        payload["recensioner"] = [
            {"id": r.review_id, "rubrik": r.title, "stad": r.city} for r in site_reviews(market, STJARNSIDA)[:3]
        ]
    return _json(payload)


def stjarnsida_ad(market: Market, site_ad_id: str) -> Response:
    listing = market.listing(STJARNSIDA, site_ad_id)
    if listing is None:
        return not_found()
    ad = listing.ad
    profile = market.profile(STJARNSIDA, ad.site_profile_id)
    phone = f'<p class="tel">{_phone_html(listing)}</p>\n' if listing.phone_parts else ""
    body = f"""{_site_header(STJARNSIDA)}
<main>
<section class="annons" data-annons="{_e(listing.site_ad_id)}">
<h2 class="rubrik">{_e(ad.title)}</h2>
<div class="beskrivning">{_e(ad.text)}</div>
<p class="stad">{_e(listing.location_text)}</p>
{phone}<p class="kategori">{_e(ad.category)}</p>
<p>Publicerad <time class="publicerad" datetime="{ad.posted_at.isoformat()}">{_e(listing.posted_text)}</time></p>
<p>Profil: <a class="profil" href="/stjarnsida/profil/{_e(ad.site_profile_id)}">{_e(profile.display_name if profile else "")}</a></p>
</section>
</main>"""
    return _html_page(f"{ad.title} – Stjärnsidan", body)


def stjarnsida_profile(market: Market, site_profile_id: str) -> Response:
    profile = market.profile(STJARNSIDA, site_profile_id)
    if profile is None:
        return not_found()
    items = "\n".join(
        f'<li><a class="profil-annons" href="/stjarnsida/annons/{_e(lst.site_ad_id)}">{_e(lst.ad.title)}</a></li>'
        for lst in market.listings_of_profile(STJARNSIDA, site_profile_id)
    )
    body = f"""{_site_header(STJARNSIDA)}
<main>
<section class="profil-sida" data-profil="{_e(profile.site_profile_id)}">
<h2 class="profilnamn">{_e(profile.display_name)}</h2>
<ul>
{items}
</ul>
</section>
</main>"""
    return _html_page(f"{profile.display_name} – Stjärnsidan", body)


# --- Kvällsidan: profile-centred, the number behind a click ---------------------------------------


def kvallsida_city_profiles(market: Market, slug: str) -> list[Profile]:
    """Profiles with at least one ad in a city page's area, the most recently active first."""
    newest: dict[str, tuple] = {}
    for lst in market.listings_on(KVALLSIDA):
        if region_for_kommun(market.kommun(lst.ad.kommun_code)) == slug:
            key = (lst.ad.posted_at, lst.site_ad_id)
            newest[lst.ad.site_profile_id] = max(newest.get(lst.ad.site_profile_id, key), key)
    ordered = sorted(newest, key=lambda pid: newest[pid], reverse=True)
    return [profile for pid in ordered if (profile := market.profile(KVALLSIDA, pid)) is not None]


def kvallsida_phone_parts(market: Market, site_profile_id: str) -> tuple[str, ...]:
    """The profile's number as the site writes it; empty when the profile shows none."""
    for lst in market.listings_of_profile(KVALLSIDA, site_profile_id):
        if lst.phone_parts:
            return lst.phone_parts
    return ()


def kvallsida_home() -> Response:
    links = "\n".join(
        f'<a class="stad" href="/kvallsida/stad/{page.slug}">{_e(page.name)}</a>' for page in REGION_PAGES
    )
    body = f"""{_site_header(KVALLSIDA)}
<main>
<h1>Kvällsidan – profiler i hela Sverige</h1>
<p>Välj stad för att se profiler.</p>
<nav class="stader">
{links}
</nav>
<section class="populara-stader">
<h2>Populära städer</h2>
{_city_cards(KVALLSIDA, limit=4)}
</section>
</main>"""
    return _html_page("Kvällsidan", body)


_KVALLSIDA_SPONSORED = (
    '<div class="profilkort sponsrad"><a class="annonsera-lank" href="/kvallsida/annonsera">'
    '<strong>Synas här?</strong></a> <span class="stad">Annonsera på Kvällsidan</span></div>'
)


def kvallsida_city(market: Market, slug: str, page: int | None) -> Response:
    city = next((r for r in REGION_PAGES if r.slug == slug), None)
    if city is None or page is None:
        return not_found()
    profiles = kvallsida_city_profiles(market, slug)
    page_count = max(1, -(-len(profiles) // KVALLSIDA_PAGE_SIZE))
    if page > page_count:
        return not_found()
    shown = profiles[(page - 1) * KVALLSIDA_PAGE_SIZE : page * KVALLSIDA_PAGE_SIZE]
    cards = []
    for profile in shown:
        ads = market.listings_of_profile(KVALLSIDA, profile.site_profile_id)
        count = f"{len(ads)} annons" if len(ads) == 1 else f"{len(ads)} annonser"
        cards.append(
            f'<div class="profilkort"><a class="profil-lank" href="/kvallsida/profil/{_e(profile.site_profile_id)}">'
            f'<strong>{_e(profile.display_name)}</strong></a> <span class="antal">{count}</span>'
            f' <span class="stad">{_e(ads[0].location_text)}</span></div>'
        )
    cards.insert(min(2, len(cards)), _KVALLSIDA_SPONSORED)
    body = f"""{_site_header(KVALLSIDA)}
<main>
<h1 class="stad-namn">{_e(city.name)}</h1>
<p class="antal-profiler">{len(profiles)} profiler</p>
<section class="profiler">
{chr(10).join(cards)}
</section>
{_numbered_pagination(f"/kvallsida/stad/{slug}", page, page_count, "sidor")}
</main>"""
    title = f"{city.name} – Kvällsidan" + (f" – sida {page}" if page > 1 else "")
    return _html_page(title, body)


_KVALLSIDA_SCRIPT = """
(function () {
  "use strict";
  var button = document.getElementById("visa-nummer");
  var target = document.getElementById("nummer");
  button.addEventListener("click", function () {
    button.disabled = true;
    var url = ["", "kvallsida", "api", "nummer", encodeURIComponent(button.getAttribute("data-profil"))].join("/");
    fetch(url, { headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        var parts = data.nummer || [];
        target.textContent = "";
        var shown = document.createElement("span");
        if (parts.length === 0) {
          shown.className = "inget";
          shown.textContent = "Inget nummer angivet";
        } else {
          shown.className = "tel";
          if (parts.length === 1) {
            shown.textContent = parts[0];
          } else {
            parts.forEach(function (part) {
              var piece = document.createElement("span");
              piece.textContent = part;
              shown.appendChild(piece);
            });
          }
        }
        target.appendChild(shown);
        target.setAttribute("data-klar", "true");
        button.hidden = true;
      })
      .catch(function () { target.setAttribute("data-fel", "true"); button.disabled = false; });
  });
})();
"""


def _kvallsida_price(listing: Listing) -> str:
    return f'<li>Pris: <span class="pris">{_e(listing.price_text)}</span></li>\n' if listing.price_text else ""


def kvallsida_profile(market: Market, site_profile_id: str) -> Response:
    # The number is deliberately absent: the script fetches it when "Visa nummer" is clicked.
    profile = market.profile(KVALLSIDA, site_profile_id)
    listings = market.listings_of_profile(KVALLSIDA, site_profile_id)
    if profile is None or not listings:
        return not_found()
    articles = "\n".join(
        f"""<article class="annons" data-annons-id="{_e(lst.site_ad_id)}">
<h3 class="rubrik">{_e(lst.ad.title)}</h3>
<p class="text">{_e(lst.ad.text)}</p>
<ul class="fakta">
<li>Ort: <span class="ort">{_e(lst.location_text)}</span></li>
<li>Kategori: <span class="kategori">{_e(lst.ad.category)}</span></li>
<li>Publicerad: <time class="datum">{_e(lst.posted_text)}</time></li>
{_kvallsida_price(lst)}</ul>
</article>"""
        for lst in listings
    )
    reviews = site_reviews(market, KVALLSIDA)
    rng = random.Random(f"{market.seed}:{site_profile_id}")
    shown_reviews = rng.sample(reviews, rng.randint(1, 3))
    count = f"{len(listings)} annons" if len(listings) == 1 else f"{len(listings)} annonser"
    body = f"""{_site_header(KVALLSIDA)}
<main>
<section class="profil" data-profil-id="{_e(profile.site_profile_id)}">
<h1 class="profilnamn">{_e(profile.display_name)}</h1>
<p class="antal">{count}</p>
<div class="kontakt">
<button id="visa-nummer" type="button" data-profil="{_e(profile.site_profile_id)}">Visa nummer</button>
<p id="nummer" class="nummer" aria-live="polite"></p>
</div>
<h2>Annonser</h2>
{articles}
<section class="recensioner">
<h2>Recensioner</h2>
{_review_cards(KVALLSIDA, shown_reviews)}
<p><a href="/kvallsida/recensioner">Alla recensioner</a></p>
</section>
</section>
</main>
<script>{_KVALLSIDA_SCRIPT}</script>"""
    return _html_page(f"{profile.display_name} – Kvällsidan", body)


def kvallsida_api_number(market: Market, site_profile_id: str) -> Response:
    if market.profile(KVALLSIDA, site_profile_id) is None:
        return _json({"error": "okänd profil"}, 404)
    parts = kvallsida_phone_parts(market, site_profile_id)
    return _json({"nummer": list(parts) if parts else None})


# --- router --------------------------------------------------------------------------------------


def _decoy_route(market: Market, site: str, rest: list[str]) -> Response | None:
    if rest == ["annonsera"]:
        return post_ad_page(site)
    if rest == ["recensioner"]:
        return reviews_page(market, site)
    if len(rest) == 2 and rest[0] == "recension":
        return review_page(market, site, rest[1])
    if rest == ["populara-stader"]:
        return popular_cities_page(site, None)
    if len(rest) == 2 and rest[0] == "populara-stader":
        return popular_cities_page(site, rest[1])
    return None


def route(market: Market, raw_path: str) -> Response:
    """The response for a request path (with query string)."""
    parts = urlsplit(raw_path)
    path = parts.path.rstrip("/") or "/"
    query = parse_qs(parts.query)
    segments = path.strip("/").split("/") if path != "/" else []

    if path == "/":
        return index_page()
    if path == "/robots.txt":
        return robots_txt()
    if path == "/_truth.json":
        return truth_json(market)
    if path == "/favicon.ico":  # browsers ask for it; answer without an image
        return Response(204, TEXT_TYPE, b"")

    site, rest = segments[0], segments[1:]
    if site == NATTSIDA and rest == ["recensioner"]:
        return nattsida_reviews_page(market, _page_number(query))
    if site == NATTSIDA and len(rest) == 2 and rest[0] == "recension":
        return nattsida_review_page(market, rest[1])
    if site == NATTSIDA and rest == ["soker"]:
        return nattsida_requests(market, _page_number(query))
    if site in SITE_NAMES and rest:
        decoy = _decoy_route(market, site, rest)
        if decoy is not None:
            return decoy
    if site == NATTSIDA:
        if not rest:
            return nattsida_home()
        if len(rest) == 2 and rest[0] == "region":
            return nattsida_region(market, rest[1], _page_number(query))
        if len(rest) == 2 and rest[0] == "annons":
            return nattsida_ad(market, rest[1])
        if len(rest) == 2 and rest[0] == "profil":
            return nattsida_profile(market, rest[1])
    elif site == STJARNSIDA:
        if not rest:
            return stjarnsida_home()
        if rest == ["api", "annonser"]:
            return stjarnsida_api_page(market, _page_number(query))
        if len(rest) == 2 and rest[0] == "annons":
            return stjarnsida_ad(market, rest[1])
        if len(rest) == 2 and rest[0] == "profil":
            return stjarnsida_profile(market, rest[1])
    elif site == KVALLSIDA:
        if not rest:
            return kvallsida_home()
        if len(rest) == 2 and rest[0] == "stad":
            return kvallsida_city(market, rest[1], _page_number(query))
        if len(rest) == 2 and rest[0] == "profil":
            return kvallsida_profile(market, rest[1])
        if len(rest) == 3 and rest[:2] == ["api", "nummer"]:
            return kvallsida_api_number(market, rest[2])
    return not_found()
