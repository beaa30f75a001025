"""The simulated demand side (issue 9): buyers' ads, reviews, their planted trend, and how the sites show them."""
from __future__ import annotations

import json
import urllib.request
from collections import Counter

from bs4 import BeautifulSoup

from sandbox.demand import REVIEW_VISIBLE_DAYS, demand_trend
from sandbox.server import SandboxServer
from sandbox.simulation import Simulation, simulation_for
from sandbox.model import SimulationConfig
from sandbox.weeks import occasion


def test_demand_is_deterministic_per_seed_and_week_whatever_came_before():
    a = Simulation(SimulationConfig(seed=5, scale=0.5)).market_at(occasion(90))
    other = Simulation(SimulationConfig(seed=5, scale=0.5))
    other.market_at(occasion(70))  # a different history of calls
    b = other.market_at(occasion(90))
    assert a.requests == b.requests and a.reviews == b.reviews and a.requests
    c = Simulation(SimulationConfig(seed=6, scale=0.5)).market_at(occasion(90))
    assert {r.ad.title for r in c.requests} != {r.ad.title for r in a.requests} or c.reviews != a.reviews


def test_buyers_ads_are_requests_on_two_sites_and_reviews_point_at_listed_profiles():
    simulation = simulation_for(1, 0.5)
    market = simulation.market_at(occasion(95))
    assert {lst.ad.kind for lst in market.requests} == {"request"}
    assert {lst.ad.kind for lst in market.listings} == {"offer"}
    assert set(Counter(lst.site for lst in market.requests)) == {"nattsida", "stjarnsida"}
    assert all(not lst.phone_parts for lst in market.requests)
    recent = [r for r in market.reviews if (market.as_of - r.written_at).days < 7]
    profiles = {lst.ad.site_profile_id for lst in market.listings_on("nattsida")}
    assert recent and sum(r.site_profile_id in profiles for r in recent) / len(recent) > 0.8
    assert all((market.as_of - r.written_at).days < REVIEW_VISIBLE_DAYS for r in market.reviews)
    assert len({r.reviewer_handle for r in market.reviews}) < len(market.reviews)  # some review more than once


def test_planted_demand_trend_differs_from_supply_and_shows_in_the_truth():
    assert demand_trend().yearly_change > 0
    simulation = simulation_for(1, 0.5)
    early = [len(simulation.market_at(occasion(w)).requests) for w in range(10, 14)]
    late = [len(simulation.market_at(occasion(w)).requests) for w in range(100, 104)]
    assert sum(late) > 1.5 * sum(early)  # +40 % a year from the epoch: about 2.3 times after two years
    supply = [len(simulation.market_at(occasion(w)).listings) for w in (10, 100)]
    assert supply[1] / supply[0] < sum(late) / sum(early)


def test_sites_show_the_soker_section_the_mixed_grid_and_real_reviews():
    market = simulation_for(1, 0.5).market_at(occasion(95))
    with SandboxServer(port=0, market=market).start() as server:
        truth = server.truth()

        def get(path: str) -> str:
            with urllib.request.urlopen(server.url + path, timeout=10) as response:
                return response.read().decode("utf-8")

        soker = BeautifulSoup(get("/nattsida/soker"), "html.parser")
        shown = [a["href"].rsplit("/", 1)[1] for a in soker.select("article.ad-card a.ad-link")]
        nattsida_requests = {r["site_ad_id"] for r in truth["requests"] if r["site"] == "nattsida"}
        assert shown and set(shown) <= nattsida_requests
        region_ads = {lst["site_ad_id"] for lst in truth["listings"]}
        assert not nattsida_requests & region_ads
        api = json.loads(get("/stjarnsida/api/annonser?sida=1"))
        ids = {item["id"] for item in api["items"]}
        stjarnsida_requests = {r["site_ad_id"] for r in truth["requests"] if r["site"] == "stjarnsida"}
        assert ids and stjarnsida_requests
        page = BeautifulSoup(get("/nattsida/recensioner"), "html.parser")
        cards = page.select("section.recensioner article.review-card")
        by_id = {r["review_id"]: r for r in truth["reviews"]}
        assert cards and all(card["data-review-id"] in by_id for card in cards)
        first = by_id[cards[0]["data-review-id"]]
        assert cards[0].select_one("a.reviewer-link").get_text() == first["reviewer_handle"]
        assert cards[0].select_one("a.reviewed-profile")["href"].endswith(first["site_profile_id"])
        review = BeautifulSoup(get(f"/nattsida/recension/{first['review_id']}"), "html.parser")
        assert review.select_one("h1.recension-rubrik").get_text() == first["title"]
