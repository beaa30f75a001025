"""Kvällsidan: profile-centred city pages; each profile page lists its ads and shows the number only after "Visa nummer"."""
from __future__ import annotations

import random

from sandbox.geography import REGION_PAGES, region_for_kommun
from sandbox.market import KVALLSIDA, Listing, Market, Profile
from sandbox.sites.pages import KVALLSIDA_PAGE_SIZE, Response, escaped, html_page, json_response, not_found, numbered_pagination
from sandbox.sites.decoys import city_cards, review_cards, site_header, site_reviews




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
        f'<a class="stad" href="/kvallsida/stad/{page.slug}">{escaped(page.name)}</a>' for page in REGION_PAGES
    )
    body = f"""{site_header(KVALLSIDA)}
<main>
<h1>Kvällsidan – profiler i hela Sverige</h1>
<p>Välj stad för att se profiler.</p>
<nav class="stader">
{links}
</nav>
<section class="populara-stader">
<h2>Populära städer</h2>
{city_cards(KVALLSIDA, limit=4)}
</section>
</main>"""
    return html_page("Kvällsidan", body)


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
            f'<div class="profilkort"><a class="profil-lank" href="/kvallsida/profil/{escaped(profile.site_profile_id)}">'
            f'<strong>{escaped(profile.display_name)}</strong></a> <span class="antal">{count}</span>'
            f' <span class="stad">{escaped(ads[0].location_text)}</span></div>'
        )
    cards.insert(min(2, len(cards)), _KVALLSIDA_SPONSORED)
    body = f"""{site_header(KVALLSIDA)}
<main>
<h1 class="stad-namn">{escaped(city.name)}</h1>
<p class="antal-profiler">{len(profiles)} profiler</p>
<section class="profiler">
{chr(10).join(cards)}
</section>
{numbered_pagination(f"/kvallsida/stad/{slug}", page, page_count, "sidor")}
</main>"""
    title = f"{city.name} – Kvällsidan" + (f" – sida {page}" if page > 1 else "")
    return html_page(title, body)


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
    return f'<li>Pris: <span class="pris">{escaped(listing.price_text)}</span></li>\n' if listing.price_text else ""


def kvallsida_profile(market: Market, site_profile_id: str) -> Response:
    # The number is deliberately absent: the script fetches it when "Visa nummer" is clicked.
    profile = market.profile(KVALLSIDA, site_profile_id)
    listings = market.listings_of_profile(KVALLSIDA, site_profile_id)
    if profile is None or not listings:
        return not_found()
    articles = "\n".join(
        f"""<article class="annons" data-annons-id="{escaped(lst.site_ad_id)}">
<h3 class="rubrik">{escaped(lst.ad.title)}</h3>
<p class="text">{escaped(lst.ad.text)}</p>
<ul class="fakta">
<li>Ort: <span class="ort">{escaped(lst.location_text)}</span></li>
<li>Kategori: <span class="kategori">{escaped(lst.ad.category)}</span></li>
<li>Publicerad: <time class="datum">{escaped(lst.posted_text)}</time></li>
{_kvallsida_price(lst)}</ul>
</article>"""
        for lst in listings
    )
    reviews = site_reviews(market, KVALLSIDA)
    rng = random.Random(f"{market.seed}:{site_profile_id}")
    shown_reviews = rng.sample(reviews, rng.randint(1, 3))
    count = f"{len(listings)} annons" if len(listings) == 1 else f"{len(listings)} annonser"
    body = f"""{site_header(KVALLSIDA)}
<main>
<section class="profil" data-profil-id="{escaped(profile.site_profile_id)}">
<h1 class="profilnamn">{escaped(profile.display_name)}</h1>
<p class="antal">{count}</p>
<div class="kontakt">
<button id="visa-nummer" type="button" data-profil="{escaped(profile.site_profile_id)}">Visa nummer</button>
<p id="nummer" class="nummer" aria-live="polite"></p>
</div>
<h2>Annonser</h2>
{articles}
<section class="recensioner">
<h2>Recensioner</h2>
{review_cards(KVALLSIDA, shown_reviews)}
<p><a href="/kvallsida/recensioner">Alla recensioner</a></p>
</section>
</section>
</main>
<script>{_KVALLSIDA_SCRIPT}</script>"""
    return html_page(f"{profile.display_name} – Kvällsidan", body)


def kvallsida_api_number(market: Market, site_profile_id: str) -> Response:
    if market.profile(KVALLSIDA, site_profile_id) is None:
        return json_response({"error": "okänd profil"}, 404)
    parts = kvallsida_phone_parts(market, site_profile_id)
    return json_response({"nummer": list(parts) if parts else None})
