"""The router: a request path to the page of the right site."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from sandbox.market import KVALLSIDA, NATTSIDA, STJARNSIDA, Market
from sandbox.sites.pages import Response, SITE_NAMES, TEXT_TYPE, index_page, not_found, page_number, robots_txt, truth_json
from sandbox.sites.decoys import nattsida_review_page, nattsida_reviews_page, popular_cities_page, post_ad_page, review_page, reviews_page
from sandbox.sites.nattsida import nattsida_ad, nattsida_home, nattsida_profile, nattsida_region, nattsida_requests
from sandbox.sites.stjarnsida import stjarnsida_ad, stjarnsida_api_page, stjarnsida_home, stjarnsida_profile
from sandbox.sites.kvallsida import kvallsida_api_number, kvallsida_city, kvallsida_home, kvallsida_profile




def decoy_route(market: Market, site: str, rest: list[str]) -> Response | None:
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
        return nattsida_reviews_page(market, page_number(query))
    if site == NATTSIDA and len(rest) == 2 and rest[0] == "recension":
        return nattsida_review_page(market, rest[1])
    if site == NATTSIDA and rest == ["soker"]:
        return nattsida_requests(market, page_number(query))
    if site in SITE_NAMES and rest:
        decoy = decoy_route(market, site, rest)
        if decoy is not None:
            return decoy
    if site == NATTSIDA:
        if not rest:
            return nattsida_home()
        if len(rest) == 2 and rest[0] == "region":
            return nattsida_region(market, rest[1], page_number(query))
        if len(rest) == 2 and rest[0] == "annons":
            return nattsida_ad(market, rest[1])
        if len(rest) == 2 and rest[0] == "profil":
            return nattsida_profile(market, rest[1])
    elif site == STJARNSIDA:
        if not rest:
            return stjarnsida_home()
        if rest == ["api", "annonser"]:
            return stjarnsida_api_page(market, page_number(query))
        if len(rest) == 2 and rest[0] == "annons":
            return stjarnsida_ad(market, rest[1])
        if len(rest) == 2 and rest[0] == "profil":
            return stjarnsida_profile(market, rest[1])
    elif site == KVALLSIDA:
        if not rest:
            return kvallsida_home()
        if len(rest) == 2 and rest[0] == "stad":
            return kvallsida_city(market, rest[1], page_number(query))
        if len(rest) == 2 and rest[0] == "profil":
            return kvallsida_profile(market, rest[1])
        if len(rest) == 3 and rest[:2] == ["api", "nummer"]:
            return kvallsida_api_number(market, rest[2])
    return not_found()
