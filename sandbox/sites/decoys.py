"""Decoys a naive crawler would count as ads, the same on every site: "Annonsera", "Populära städer" and review lists.

On Nattsidan the "Recensioner" are real buyer reviews (the demand side, sandbox.demand)."""
from __future__ import annotations

import random
from dataclasses import dataclass

from sandbox.market import NATTSIDA, STJARNSIDA, BuyerReview, Market
from sandbox.wording import POPULAR_CITIES, REVIEW_TEXTS, REVIEW_TITLES, review_stars
from sandbox.sites.pages import NATTSIDA_REVIEWS_PAGE_SIZE, REVIEWS_PER_SITE, Response, SITE_NAMES, escaped, html_page, not_found, numbered_pagination




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


def site_header(site: str) -> str:
    return f"""<header><a class="site-name" href="/{site}/">{escaped(SITE_NAMES[site])}</a>
<a class="post-ad" href="/{site}/annonsera">Annonsera</a>
<a class="reviews" href="/{site}/recensioner">Recensioner</a>
<a class="popular" href="/{site}/populara-stader">Populära städer</a></header>"""


def review_cards(site: str, reviews: list[Review]) -> str:
    """Review items styled like each site's ad cards (the look-alike is the point)."""
    if site == NATTSIDA:
        return "\n".join(
            f'<article class="review-card"><a class="review-link" href="/nattsida/recension/{r.review_id}">'
            f'{escaped(r.title)}</a> <span class="city">{escaped(r.city)} {review_stars(r.stars)}</span></article>'
            for r in reviews
        )
    if site == STJARNSIDA:
        return "\n".join(
            f'<div class="card recension"><a class="recension-link" href="/stjarnsida/recension/{r.review_id}">'
            f'{escaped(r.title)}</a> <span class="city">{escaped(r.city)}</span></div>'
            for r in reviews
        )
    return "\n".join(
        f'<article class="recension" data-recension-id="{r.review_id}">'
        f'<h3 class="recension-rubrik"><a class="recension-lank" href="/kvallsida/recension/{r.review_id}">'
        f'{escaped(r.title)}</a></h3><p class="recension-text">{escaped(r.text)}</p>'
        f'<p class="betyg">{review_stars(r.stars)} <span class="stad">{escaped(r.city)}</span></p></article>'
        for r in reviews
    )


def city_cards(site: str, limit: int | None = None) -> str:
    cities = POPULAR_CITIES[:limit] if limit else POPULAR_CITIES
    if site == NATTSIDA:
        return "\n".join(
            f'<article class="city-card"><a class="city-link" href="/nattsida/populara-stader/{slug}">{escaped(name)}</a>'
            f' <span class="city">Populär stad</span></article>'
            for slug, name in cities
        )
    if site == STJARNSIDA:
        return "\n".join(
            f'<div class="card stad"><a class="stad-link" href="/stjarnsida/populara-stader/{slug}">{escaped(name)}</a>'
            f' <span class="city">Populär stad</span></div>'
            for slug, name in cities
        )
    return "\n".join(
        f'<div class="profilkort stadkort"><a class="stad-lank" href="/kvallsida/populara-stader/{slug}">'
        f'<strong>{escaped(name)}</strong></a> <span class="stad">Populär stad</span></div>'
        for slug, name in cities
    )


def post_ad_page(site: str) -> Response:
    body = f"""{site_header(site)}
<main>
<h1>Annonsera på {escaped(SITE_NAMES[site])}</h1>
<p>Vill du lägga in en annons? Kontakta kundtjänst så hjälper vi dig.</p>
<article class="annons-exempel"><h2>Så kan din annons se ut</h2><p>Rubrik, text, ort och telefonnummer.</p>
<a href="/{site}/annonsera">Lägg in annons</a></article>
</main>"""
    return html_page(f"Annonsera – {SITE_NAMES[site]}", body)


def buyer_review_cards(reviews: list[BuyerReview]) -> str:
    """Nattsidan's real reviews: each names its reviewer, date and the profile it reviews (sandbox.demand)."""
    return "\n".join(
        f'<article class="review-card" data-review-id="{escaped(r.review_id)}">'
        f'<a class="review-link" href="/nattsida/recension/{escaped(r.review_id)}">{escaped(r.title)}</a>'
        f' <span class="city"><span class="review-city">{escaped(r.location_text)}</span> {review_stars(r.stars)}</span>'
        f' <span class="reviewer">av <a class="reviewer-link" href="/nattsida/medlem/{escaped(r.reviewer_handle)}">'
        f'{escaped(r.reviewer_handle)}</a></span>'
        f' <time class="review-date" datetime="{r.written_at.isoformat()}">{r.written_at:%Y-%m-%d}</time>'
        f' <a class="reviewed-profile" href="/nattsida/profil/{escaped(r.site_profile_id)}">Till profilen</a>'
        f'<p class="review-text">{escaped(r.text)}</p></article>'
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
    body = f"""{site_header(NATTSIDA)}
<main>
<h1>Recensioner</h1>
<p class="review-count">{len(reviews)} recensioner</p>
<section class="recensioner">
{buyer_review_cards(shown)}
</section>
{numbered_pagination("/nattsida/recensioner", page, page_count, "pagination")}
</main>"""
    return html_page(f"Recensioner – {SITE_NAMES[NATTSIDA]}" + (f" – sida {page}" if page > 1 else ""), body)


def nattsida_review_page(market: Market, review_id: str) -> Response:
    review = next((r for r in market.reviews_on(NATTSIDA) if r.review_id == review_id), None)
    if review is None:
        return not_found()
    body = f"""{site_header(NATTSIDA)}
<main>
<article class="recension-sida" data-review-id="{escaped(review.review_id)}">
<h1 class="recension-rubrik">{escaped(review.title)}</h1>
<p class="betyg">{review_stars(review.stars)}</p>
<p>Av <a class="reviewer-link" href="/nattsida/medlem/{escaped(review.reviewer_handle)}">{escaped(review.reviewer_handle)}</a>,
<time class="review-date" datetime="{review.written_at.isoformat()}">{review.written_at:%Y-%m-%d}</time></p>
<div class="recension-text">{escaped(review.text)}</div>
<p>Ort: <span class="recension-ort">{escaped(review.location_text)}</span></p>
<p><a class="reviewed-profile" href="/nattsida/profil/{escaped(review.site_profile_id)}">Till profilen</a></p>
</article>
</main>"""
    return html_page(f"{review.title} – Recension – {SITE_NAMES[NATTSIDA]}", body)


def reviews_page(market: Market, site: str) -> Response:
    body = f"""{site_header(site)}
<main>
<h1>Recensioner</h1>
<section class="recensioner">
{review_cards(site, site_reviews(market, site))}
</section>
</main>"""
    return html_page(f"Recensioner – {SITE_NAMES[site]}", body)


def review_page(market: Market, site: str, review_id: str) -> Response:
    review = next((r for r in site_reviews(market, site) if r.review_id == review_id), None)
    if review is None:
        return not_found()
    body = f"""{site_header(site)}
<main>
<article class="recension-sida">
<h1 class="recension-rubrik">{escaped(review.title)}</h1>
<p class="betyg">{review_stars(review.stars)}</p>
<div class="recension-text">{escaped(review.text)}</div>
<p>Ort: <span class="recension-ort">{escaped(review.city)}</span></p>
</article>
</main>"""
    return html_page(f"{review.title} – Recension – {SITE_NAMES[site]}", body)


def popular_cities_page(site: str, slug: str | None) -> Response:
    if slug is None:
        body = f"""{site_header(site)}
<main>
<h1>Populära städer</h1>
<section class="populara-stader">
{city_cards(site)}
</section>
</main>"""
        return html_page(f"Populära städer – {SITE_NAMES[site]}", body)
    name = dict(POPULAR_CITIES).get(slug)
    if name is None:
        return not_found()
    body = f"""{site_header(site)}
<main>
<article class="stad-info">
<h1>{escaped(name)}</h1>
<p>{escaped(name)} är en av de populäraste städerna på {escaped(SITE_NAMES[site])}.</p>
<p><a href="/{site}/">Till annonserna</a></p>
</article>
</main>"""
    return html_page(f"{name} – {SITE_NAMES[site]}", body)
