"""Stjärnsidan: a single-page app behind an age gate whose cards come from a JSON API with infinite scroll; server-rendered ad pages."""
from __future__ import annotations


from sandbox.market import STJARNSIDA, Market
from sandbox.wording import POPULAR_CITIES
from sandbox.sites.pages import Response, STJARNSIDA_LOAD_DELAY_MS, STJARNSIDA_PAGE_SIZE, escaped, html_page, json_response, not_found, phone_html
from sandbox.sites.decoys import site_header, site_reviews



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
{site_header(STJARNSIDA)}
<section id="tips" class="tips"></section>
<h1 class="site-title">Senaste annonserna</h1>
<main id="cards"></main>
<div id="scroll-sentinel" aria-hidden="true"></div>
<script>{_STJARNSIDA_SCRIPT}</script>"""
    return html_page("Stjärnsidan", body)


def stjarnsida_api_page(market: Market, page: int | None) -> Response:
    if page is None:
        return json_response({"error": "sida måste vara ett positivt heltal"}, 400)
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
    return json_response(payload)


def stjarnsida_ad(market: Market, site_ad_id: str) -> Response:
    listing = market.listing(STJARNSIDA, site_ad_id)
    if listing is None:
        return not_found()
    ad = listing.ad
    profile = market.profile(STJARNSIDA, ad.site_profile_id)
    phone = f'<p class="tel">{phone_html(listing)}</p>\n' if listing.phone_parts else ""
    body = f"""{site_header(STJARNSIDA)}
<main>
<section class="annons" data-annons="{escaped(listing.site_ad_id)}">
<h2 class="rubrik">{escaped(ad.title)}</h2>
<div class="beskrivning">{escaped(ad.text)}</div>
<p class="stad">{escaped(listing.location_text)}</p>
{phone}<p class="kategori">{escaped(ad.category)}</p>
<p>Publicerad <time class="publicerad" datetime="{ad.posted_at.isoformat()}">{escaped(listing.posted_text)}</time></p>
<p>Profil: <a class="profil" href="/stjarnsida/profil/{escaped(ad.site_profile_id)}">{escaped(profile.display_name if profile else "")}</a></p>
</section>
</main>"""
    return html_page(f"{ad.title} – Stjärnsidan", body)


def stjarnsida_profile(market: Market, site_profile_id: str) -> Response:
    profile = market.profile(STJARNSIDA, site_profile_id)
    if profile is None:
        return not_found()
    items = "\n".join(
        f'<li><a class="profil-annons" href="/stjarnsida/annons/{escaped(lst.site_ad_id)}">{escaped(lst.ad.title)}</a></li>'
        for lst in market.listings_of_profile(STJARNSIDA, site_profile_id)
    )
    body = f"""{site_header(STJARNSIDA)}
<main>
<section class="profil-sida" data-profil="{escaped(profile.site_profile_id)}">
<h2 class="profilnamn">{escaped(profile.display_name)}</h2>
<ul>
{items}
</ul>
</section>
</main>"""
    return html_page(f"{profile.display_name} – Stjärnsidan", body)
