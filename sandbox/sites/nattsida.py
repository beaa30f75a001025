"""Nattsidan: server-rendered region pages with numbered pagination, ad and profile pages, and a "Söker" section of buyers' ads."""
from __future__ import annotations


from sandbox.geography import REGION_PAGES
from sandbox.market import NATTSIDA, Market
from sandbox.sites.pages import NATTSIDA_PAGE_SIZE, Response, escaped, html_page, not_found, numbered_pagination, phone_html
from sandbox.sites.decoys import buyer_review_cards, city_cards, site_header




def nattsida_home() -> Response:
    links = "\n".join(
        f'<a class="region" href="/nattsida/region/{page.slug}">{escaped(page.name)}</a>' for page in REGION_PAGES
    )
    body = f"""{site_header(NATTSIDA)}
<main>
<h1>Välkommen till Nattsidan</h1>
<p>Välj region för att se annonser.</p>
<nav class="regions">
{links}
</nav>
<nav class="sections"><a class="section-soker" href="/nattsida/soker">Söker – köpare som söker</a></nav>
<section class="popular-cities">
<h2>Populära städer</h2>
{city_cards(NATTSIDA, limit=4)}
</section>
</main>"""
    return html_page("Nattsidan", body)


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
        f'<article class="ad-card"><a class="ad-link" href="/nattsida/annons/{escaped(lst.site_ad_id)}">'
        f'{escaped(lst.ad.title)}</a> <span class="city">{escaped(lst.location_text)}</span></article>'
        for lst in shown
    ]
    cards.insert(min(3, len(cards)), _NATTSIDA_SPONSORED)
    base = f"/nattsida/region/{slug}"
    body = f"""{site_header(NATTSIDA)}
<main>
<h1 class="region-name">{escaped(region.name)}</h1>
<p class="ad-count">{len(listings)} annonser</p>
<section class="ad-list">
{chr(10).join(cards)}
</section>
{numbered_pagination(base, page, page_count, "pagination")}
</main>
<aside class="latest-reviews">
<h2>Senaste recensioner</h2>
{buyer_review_cards(market.reviews_on(NATTSIDA)[:3])}
<p><a href="/nattsida/recensioner">Alla recensioner</a></p>
</aside>"""
    title = f"{region.name} – Nattsidan" + (f" – sida {page}" if page > 1 else "")
    return html_page(title, body)


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
        f'<article class="ad-card"><a class="ad-link" href="/nattsida/annons/{escaped(lst.site_ad_id)}">'
        f'{escaped(lst.ad.title)}</a> <span class="city">{escaped(lst.location_text)}</span></article>'
        for lst in shown
    )
    body = f"""{site_header(NATTSIDA)}
<main>
<h1 class="section-name">Söker</h1>
<p class="ad-count">{len(listings)} annonser</p>
<section class="ad-list">
{cards}
</section>
{numbered_pagination("/nattsida/soker", page, page_count, "pagination")}
</main>"""
    return html_page("Söker – Nattsidan" + (f" – sida {page}" if page > 1 else ""), body)


def nattsida_ad(market: Market, site_ad_id: str) -> Response:
    listing = market.listing(NATTSIDA, site_ad_id)
    if listing is None:
        return not_found()
    ad = listing.ad
    profile = market.profile(NATTSIDA, ad.site_profile_id)
    phone = f'<dt>Telefon</dt><dd class="phone">{phone_html(listing)}</dd>\n' if listing.phone_parts else ""
    price = f'<dt>Pris</dt><dd class="price">{escaped(listing.price_text)}</dd>\n' if listing.price_text else ""
    body = f"""{site_header(NATTSIDA)}
<main>
<article class="ad" data-ad-id="{escaped(listing.site_ad_id)}">
<h1 class="ad-title">{escaped(ad.title)}</h1>
<div class="ad-text">{escaped(ad.text)}</div>
<dl>
{phone}<dt>Ort</dt><dd class="location">{escaped(listing.location_text)}</dd>
<dt>Kategori</dt><dd class="category">{escaped(ad.category)}</dd>
<dt>Publicerad</dt><dd class="posted">{escaped(listing.posted_text)}</dd>
{price}</dl>
<p>Profil: <a class="profile-link" href="/nattsida/profil/{escaped(ad.site_profile_id)}">{escaped(profile.display_name if profile else "")}</a></p>
</article>
</main>"""
    return html_page(f"{ad.title} – Nattsidan", body)


def nattsida_profile(market: Market, site_profile_id: str) -> Response:
    profile = market.profile(NATTSIDA, site_profile_id)
    if profile is None:
        return not_found()
    items = "\n".join(
        f'<li><a class="profile-ad" href="/nattsida/annons/{escaped(lst.site_ad_id)}">{escaped(lst.ad.title)}</a></li>'
        for lst in market.listings_of_profile(NATTSIDA, site_profile_id)
    )
    body = f"""{site_header(NATTSIDA)}
<main>
<section class="profile" data-profile-id="{escaped(profile.site_profile_id)}">
<h1 class="profile-name">{escaped(profile.display_name)}</h1>
<h2>Annonser</h2>
<ul class="profile-ads">
{items}
</ul>
</section>
</main>"""
    return html_page(f"{profile.display_name} – Nattsidan", body)
