"""HTML and JSON for the two sandbox sites (Nattsidan, Stjärnsidan), and the router mapping paths to them."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from html import escape
from urllib.parse import parse_qs, urlsplit

from lagesbild.sandbox.geography import REGION_PAGES
from lagesbild.sandbox.market import NATTSIDA, STJARNSIDA, Listing, Market

NATTSIDA_PAGE_SIZE = 10
STJARNSIDA_PAGE_SIZE = 12
STJARNSIDA_LOAD_DELAY_MS = 300

HTML_TYPE = "text/html; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 0; background: #15121c; color: #eee; }
header, main, footer { max-width: 52rem; margin: 0 auto; padding: 0.75rem 1rem; }
a { color: #f0a6ca; }
nav.regions a.region, nav.pagination a, nav.pagination span { margin-right: 0.75rem; }
article.ad-card, div.card { border-bottom: 1px solid #333; padding: 0.5rem 0; }
span.city { color: #aaa; margin-left: 0.5rem; }
footer { color: #888; font-size: 0.85rem; }
#age-gate { position: fixed; inset: 0; background: rgba(0, 0, 0, 0.92); display: flex;
  align-items: center; justify-content: center; flex-direction: column; z-index: 10; }
#age-gate button { font-size: 1.1rem; padding: 0.6rem 1.2rem; }
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


# --- common ------------------------------------------------------------------------------------


def index_page() -> Response:
    body = """<main>
<h1>Lagesbild sandlåda</h1>
<p>Två påhittade annonssidor för tester och demonstrationer.</p>
<ul>
<li><a href="/nattsida/">Nattsidan</a> – serverrenderad, regioner och sidnumrering</li>
<li><a href="/stjarnsida/">Stjärnsidan</a> – annonserna laddas med JavaScript</li>
</ul>
</main>"""
    return _html_page("Lagesbild sandlåda", body)


def robots_txt() -> Response:
    return Response(200, TEXT_TYPE, b"User-agent: *\nAllow: /\n")


def truth_json(market: Market) -> Response:
    return _json(market.truth_dict())


# --- Nattsidan: server-rendered ----------------------------------------------------------------

_NATTSIDA_HEADER = """<header><a class="site-name" href="/nattsida/">Nattsidan</a>
<a class="post-ad" href="/nattsida/annonsera">Annonsera</a></header>"""


def nattsida_home() -> Response:
    links = "\n".join(
        f'<a class="region" href="/nattsida/region/{page.slug}">{_e(page.name)}</a>' for page in REGION_PAGES
    )
    body = f"""{_NATTSIDA_HEADER}
<main>
<h1>Välkommen till Nattsidan</h1>
<p>Välj region för att se annonser.</p>
<nav class="regions">
{links}
</nav>
</main>"""
    return _html_page("Nattsidan", body)


def nattsida_post_ad() -> Response:
    body = f"""{_NATTSIDA_HEADER}
<main>
<h1>Annonsera på Nattsidan</h1>
<p>Vill du lägga in en annons? Kontakta kundtjänst så hjälper vi dig.</p>
</main>"""
    return _html_page("Annonsera – Nattsidan", body)


def nattsida_region(market: Market, slug: str, page: int | None) -> Response:
    region = next((r for r in REGION_PAGES if r.slug == slug), None)
    if region is None or page is None:
        return not_found()
    listings = market.listings_in_region(slug)
    page_count = max(1, -(-len(listings) // NATTSIDA_PAGE_SIZE))
    if page > page_count:
        return not_found()
    shown = listings[(page - 1) * NATTSIDA_PAGE_SIZE : page * NATTSIDA_PAGE_SIZE]
    cards = "\n".join(
        f'<article class="ad-card"><a class="ad-link" href="/nattsida/annons/{_e(lst.site_ad_id)}">'
        f'{_e(lst.ad.title)}</a> <span class="city">{_e(lst.location_text)}</span></article>'
        for lst in shown
    )
    base = f"/nattsida/region/{slug}"
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
    pagination = "\n".join(numbers)
    body = f"""{_NATTSIDA_HEADER}
<main>
<h1 class="region-name">{_e(region.name)}</h1>
<p class="ad-count">{len(listings)} annonser</p>
<section class="ad-list">
{cards}
</section>
<nav class="pagination">
{pagination}
</nav>
</main>"""
    title = f"{region.name} – Nattsidan" + (f" – sida {page}" if page > 1 else "")
    return _html_page(title, body)


def nattsida_ad(market: Market, site_ad_id: str) -> Response:
    listing = market.listing(NATTSIDA, site_ad_id)
    if listing is None:
        return not_found()
    ad = listing.ad
    profile = market.profile(NATTSIDA, ad.site_profile_id)
    phone = f'<dt>Telefon</dt><dd class="phone">{_phone_html(listing)}</dd>\n' if listing.phone_parts else ""
    body = f"""{_NATTSIDA_HEADER}
<main>
<article class="ad" data-ad-id="{_e(listing.site_ad_id)}">
<h1 class="ad-title">{_e(ad.title)}</h1>
<div class="ad-text">{_e(ad.text)}</div>
<dl>
{phone}<dt>Ort</dt><dd class="location">{_e(listing.location_text)}</dd>
<dt>Kategori</dt><dd class="category">{_e(ad.category)}</dd>
<dt>Publicerad</dt><dd class="posted">{_e(listing.posted_text)}</dd>
</dl>
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
    body = f"""{_NATTSIDA_HEADER}
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


# --- Stjärnsidan: cards rendered by JavaScript ---------------------------------------------------

_STJARNSIDA_HEADER = '<header><a class="site-name" href="/stjarnsida/">Stjärnsidan</a></header>'

_STJARNSIDA_SCRIPT = """
(function () {
  "use strict";
  var STORAGE_KEY = "stjarnsida-age-ok";
  var gate = document.getElementById("age-gate");
  var cards = document.getElementById("cards");
  var page = parseInt(new URLSearchParams(window.location.search).get("sida") || "1", 10);
  if (!(page >= 1)) { page = 1; }
  var started = false;
  // Built from parts so that the static page does not contain a single ad path.
  var AD_PATH = ["", "stjarnsida", "annons", ""].join("/");

  function accepted() {
    try { return window.sessionStorage.getItem(STORAGE_KEY) === "1"; } catch (e) { return false; }
  }

  function render(data) {
    (data.items || []).forEach(function (item) {
      var card = document.createElement("div");
      card.className = "card";
      var link = document.createElement("a");
      link.className = "card-link";
      link.setAttribute("href", AD_PATH + encodeURIComponent(item.id));
      link.textContent = item.title;
      var city = document.createElement("span");
      city.className = "city";
      city.textContent = item.city;
      card.appendChild(link);
      card.appendChild(city);
      cards.appendChild(card);
    });
    if (data.next !== null && data.next !== undefined) {
      var more = document.createElement("a");
      more.className = "more";
      more.setAttribute("href", "/stjarnsida/?sida=" + data.next);
      more.textContent = "Fler annonser";
      cards.appendChild(more);
    }
    cards.setAttribute("data-loaded", "true");
  }

  function load() {
    if (started) { return; }
    started = true;
    gate.style.display = "none";
    window.setTimeout(function () {
      fetch("/stjarnsida/api/annonser?sida=" + page, { headers: { "Accept": "application/json" } })
        .then(function (response) {
          if (!response.ok) { throw new Error("HTTP " + response.status); }
          return response.json();
        })
        .then(render)
        .catch(function () { cards.setAttribute("data-error", "true"); });
    }, __DELAY_MS__);
  }

  document.getElementById("age-ok").addEventListener("click", function () {
    try { window.sessionStorage.setItem(STORAGE_KEY, "1"); } catch (e) { /* storage blocked */ }
    load();
  });
  if (accepted()) { load(); }
})();
""".replace("__DELAY_MS__", str(STJARNSIDA_LOAD_DELAY_MS))


def stjarnsida_home() -> Response:
    # Deliberately free of ad links: the cards only exist after the script has run.
    body = f"""<div id="age-gate">
<p>Stjärnsidan innehåller annonser för vuxna. Är du över 18 år?</p>
<button id="age-ok" type="button">Ja, jag är över 18</button>
</div>
{_STJARNSIDA_HEADER}
<h1 class="site-title">Senaste annonserna</h1>
<main id="cards"></main>
<script>{_STJARNSIDA_SCRIPT}</script>"""
    return _html_page("Stjärnsidan", body)


def stjarnsida_api_page(market: Market, page: int | None) -> Response:
    if page is None:
        return _json({"error": "sida måste vara ett positivt heltal"}, 400)
    listings = market.listings_on(STJARNSIDA)
    shown = listings[(page - 1) * STJARNSIDA_PAGE_SIZE : page * STJARNSIDA_PAGE_SIZE]
    has_next = page * STJARNSIDA_PAGE_SIZE < len(listings)
    items = [{"id": lst.site_ad_id, "title": lst.ad.title, "city": lst.location_text} for lst in shown]
    return _json({"items": items, "next": page + 1 if has_next else None})


def stjarnsida_ad(market: Market, site_ad_id: str) -> Response:
    listing = market.listing(STJARNSIDA, site_ad_id)
    if listing is None:
        return not_found()
    ad = listing.ad
    profile = market.profile(STJARNSIDA, ad.site_profile_id)
    phone = f'<p class="tel">{_phone_html(listing)}</p>\n' if listing.phone_parts else ""
    body = f"""{_STJARNSIDA_HEADER}
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
    body = f"""{_STJARNSIDA_HEADER}
<main>
<section class="profil-sida" data-profil="{_e(profile.site_profile_id)}">
<h2 class="profilnamn">{_e(profile.display_name)}</h2>
<ul>
{items}
</ul>
</section>
</main>"""
    return _html_page(f"{profile.display_name} – Stjärnsidan", body)


# --- router --------------------------------------------------------------------------------------


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
    if site == NATTSIDA:
        if not rest:
            return nattsida_home()
        if rest == ["annonsera"]:
            return nattsida_post_ad()
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
    return not_found()
