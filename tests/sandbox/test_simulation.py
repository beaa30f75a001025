"""The week-by-week market simulation: determinism, consistency over time, and the planted structure."""
from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import datetime, timedelta

import pytest

from sandbox.market import KVALLSIDA, NATTSIDA, STJARNSIDA, STOCKHOLM
from sandbox.simulation import build_market
from sandbox.phones import is_fiction_e164
from sandbox.weeks import EPOCH, occasion, parse_week, recent_occasions, week_of
from sandbox.model import Incident, SimulationConfig, default_incidents
from sandbox.simulation import Simulation

WEEKS = range(60, 72)


@pytest.fixture(scope="module")
def simulation() -> Simulation:
    return Simulation(SimulationConfig(seed=3))


@pytest.fixture(scope="module")
def markets(simulation):
    return {week: simulation.market_at(occasion(week)) for week in WEEKS}


def test_same_inputs_same_market_and_another_seed_another(markets):
    again = Simulation(SimulationConfig(seed=3)).market_at(occasion(65))
    assert again.truth_dict() == markets[65].truth_dict()
    other = Simulation(SimulationConfig(seed=4)).market_at(occasion(65))
    assert other.truth_dict()["listings"] != markets[65].truth_dict()["listings"]


def test_a_week_is_the_same_whichever_series_asks_for_it(simulation):
    # Arrival weeks have their own random streams: asking for later weeks first changes nothing.
    fresh = Simulation(SimulationConfig(seed=3))
    fresh.market_at(occasion(90))
    assert fresh.market_at(occasion(61)).truth_dict() == simulation.market_at(occasion(61)).truth_dict()


def test_persons_stay_continuously_until_they_leave(markets):
    present = defaultdict(list)
    for week, market in markets.items():
        for person in market.persons:
            present[person.person_id].append(week)
    for weeks in present.values():
        assert weeks == list(range(weeks[0], weeks[-1] + 1)), "a person left and came back"


def test_listing_ids_change_only_on_repost_and_keep_their_advert(markets):
    adverts_of_listing: dict[str, set[str]] = defaultdict(set)
    listings_of_advert: dict[tuple[str, str], set[str]] = defaultdict(set)
    for market in markets.values():
        for listing in market.listings:
            adverts_of_listing[listing.site_ad_id].add(listing.ad.advert_id)
            listings_of_advert[(listing.site, listing.ad.advert_id)].add(listing.site_ad_id)
    assert all(len(adverts) == 1 for adverts in adverts_of_listing.values())
    reposted = [ids for ids in listings_of_advert.values() if len(ids) > 1]
    assert len(reposted) >= 10, "some adverts must come back under new ids (bumps)"


def test_reposted_listing_shows_its_repost_date(markets):
    for market in markets.values():
        for listing in market.listings:
            assert listing.ad.posted_at <= market.as_of
            assert market.as_of - listing.ad.posted_at <= timedelta(days=30)


def test_cross_posts_share_the_advert_across_sites(markets):
    sites_of_advert = defaultdict(set)
    for listing in markets[66].listings:
        sites_of_advert[listing.ad.advert_id].add(listing.site)
    assert any(len(sites) >= 2 for sites in sites_of_advert.values())
    assert any(len(sites) == 3 for sites in sites_of_advert.values())


def test_some_listings_are_on_two_region_pages(markets):
    doubled = [lst for m in markets.values() for lst in m.listings_on(NATTSIDA) if len(lst.region_pages) == 2]
    assert doubled


def test_networks_share_one_phone_and_a_template(markets):
    networks = defaultdict(lambda: {"persons": set(), "phones": set(), "templates": set()})
    for market in markets.values():
        for listing in market.listings:
            if listing.ad.network_id:
                net = networks[listing.ad.network_id]
                net["persons"].add(listing.ad.person_id)
                if listing.phone_e164:
                    net["phones"].add(listing.phone_e164)
                net["templates"].add(listing.ad.template_id)
    assert networks, "the simulation should contain networks"
    for net in networks.values():
        assert 1 <= len(net["persons"]) <= 10
        assert len(net["phones"]) <= 1 and len(net["templates"]) == 1
    assert max(len(net["persons"]) for net in networks.values()) >= 3


def test_touring_ads_move_and_announce_the_next_stop(markets):
    places = defaultdict(set)
    for market in markets.values():
        for listing in market.listings:
            if listing.ad.touring:
                assert "Turnerar: " in listing.ad.text
                places[listing.ad.advert_id].add(listing.ad.kommun_code)
    assert any(len(codes) >= 2 for codes in places.values())


def test_stays_are_heavy_tailed(simulation):
    stays = [(life.leave_at - life.arrive_at).days for week in range(0, 40) for life in simulation._arrivals(week)]
    median, mean = statistics.median(stays), statistics.fmean(stays)
    assert 9 <= median <= 20, median
    assert mean > 2.5 * median  # a long tail of persons who stay for months


def test_homes_follow_population(simulation):
    homes = Counter(life.home for week in range(0, 150) for life in simulation._arrivals(week)
                    if life.network_id is None)
    total = sum(homes.values())
    stockholm_share = homes["0180"] / total
    assert 0.07 <= stockholm_share <= 0.13  # Stockholm has about 9.6 % of Sweden's population
    assert homes["0180"] > homes["1480"] > homes["2584"]  # Stockholm > Göteborg > Kiruna


def test_planted_trends_shape_the_arrival_rate(simulation):
    syd, vasterbotten, stockholm = "1280", "2480", "0180"  # Malmö, Umeå, Stockholm
    for week in (10, 60):
        a_year_later = week + 52
        assert simulation.arrival_rate(a_year_later, syd) / simulation.arrival_rate(week, syd) > 1.1
        assert simulation.arrival_rate(a_year_later, vasterbotten) < simulation.arrival_rate(week, vasterbotten)
        assert simulation.arrival_rate(a_year_later, stockholm) == pytest.approx(  # season only
            simulation.arrival_rate(week, stockholm), rel=0.03)
    for week in (-30, 10, 90):  # compounding: the same +30 % relative to the rest in every year
        season = simulation.arrival_rate(week + 52, stockholm) / simulation.arrival_rate(week, stockholm)
        growth = simulation.arrival_rate(week + 52, syd) / simulation.arrival_rate(week, syd) / season
        assert growth == pytest.approx(1.30, rel=1e-6)
        decline = simulation.arrival_rate(week + 52, vasterbotten) / simulation.arrival_rate(week, vasterbotten)
        assert decline / season == pytest.approx(0.70, rel=1e-6)
    summer, winter = parse_week("2025-W28"), parse_week("2025-W02")
    assert simulation.arrival_rate(summer, stockholm) > simulation.arrival_rate(winter, stockholm)


def test_generated_phones_avoid_the_fiction_ranges_and_fiction_space_uses_only_them(markets):
    generated = {lst.phone_e164 for m in markets.values() for lst in m.listings if lst.phone_e164}
    assert generated and not any(is_fiction_e164(p) for p in generated)
    fiction = build_market(3, occasion(65), phone_space="fiction")
    numbers = {lst.phone_e164 for lst in fiction.listings if lst.phone_e164}
    assert numbers and all(is_fiction_e164(p) for p in numbers)


def test_a_closed_site_sends_its_advertisers_to_its_successor():
    week = 70
    open_market = Simulation(SimulationConfig(seed=5)).market_at(occasion(week))
    closing = Incident("site_closed", STJARNSIDA, week, None, successor=KVALLSIDA)
    closed_market = Simulation(SimulationConfig(seed=5, incidents=(closing,))).market_at(occasion(week))
    assert not closed_market.listings_on(STJARNSIDA)
    adverts = lambda m: {lst.ad.advert_id for lst in m.listings}  # noqa: E731
    assert adverts(closed_market) == adverts(open_market)  # the market itself did not change
    assert len(closed_market.listings_on(KVALLSIDA)) > len(open_market.listings_on(KVALLSIDA))


def test_default_incidents_fall_inside_the_series():
    planted = default_incidents(100, 26)
    assert {i.kind for i in planted} == {"outage", "partial", "layout_change", "site_closed"}
    assert all(100 <= i.week < 126 for i in planted)
    assert default_incidents(100, 3) == ()


def test_scale_changes_the_size():
    small = Simulation(SimulationConfig(seed=2, scale=0.5)).market_at(occasion(80))
    large = Simulation(SimulationConfig(seed=2, scale=2.0)).market_at(occasion(80))
    assert len(large.listings) > 2 * len(small.listings)


def test_calendar():
    assert week_of(datetime.combine(EPOCH, datetime.min.time())) == 0
    assert parse_week("2025-W02") == 0 and parse_week("12") == 12
    assert occasion(0).weekday() == 2 and occasion(0).tzinfo == STOCKHOLM
    with pytest.raises(ValueError):
        parse_week("vecka tolv")
    now = datetime(2026, 11, 23, 12, 0, tzinfo=STOCKHOLM)
    series = recent_occasions(4, now)
    assert len(series) == 4 and series[-1] <= now and series[-1] > now - timedelta(days=7)
    assert [b - a for a, b in zip(series, series[1:])] == [timedelta(weeks=1)] * 3


def test_every_site_has_listings(markets):
    for market in markets.values():
        assert {lst.site for lst in market.listings} == {NATTSIDA, STJARNSIDA, KVALLSIDA}
