"""Completeness by capture–recapture: the estimators and their use per site, region and period."""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone

import pytest

from analysis.completeness import chao_lower_bound, chapman, site_completeness
from analysis.queries import prepare_counts
from config.geo import load_geography
from parsers.records import ObservedAd
from store.observations import add_observations
from store.runs import finish_run, start_run
from store.columnar import list_run_info

GEO = load_geography()
UTC = timezone.utc


def test_chapman_matches_the_hand_computed_estimate_and_variance():
    estimate, variance = chapman(50, 60, 30)
    assert estimate == pytest.approx(51 * 61 / 31 - 1)  # 99.355
    assert variance == pytest.approx(51 * 61 * 20 * 30 / (31 ** 2 * 32))  # 60.70
    assert chapman(10, 10, 10)[0] == pytest.approx(10.0)  # everyone seen twice: nobody missed
    with pytest.raises(ValueError):
        chapman(5, 5, 6)


def test_chao_lower_bound_matches_hand_computed_values():
    assert chao_lower_bound(100, 20, 10, 4) == pytest.approx(100 + 0.75 * 400 / 20)  # 115
    assert chao_lower_bound(100, 20, 0, 4) == pytest.approx(100 + 0.75 * 20 * 19 / 2)  # no doubletons: 242.5
    assert chao_lower_bound(40, 0, 5, 3) == 40  # no singletons: nothing missed
    with pytest.raises(ValueError):
        chao_lower_bound(10, 1, 1, 1)


def _token(i: int) -> str:
    return hashlib.sha256(f"ad-{i}".encode()).hexdigest()


def _crawl(store, site: str, day: int, ads: list[int], kommun: str = "1280") -> None:
    when = datetime(2026, 5, day, 3, tzinfo=UTC)
    run = start_run(store, site, site, "v1", "p1", observed_at=when)
    add_observations(store, run, [ObservedAd(site, _token(a), None, None, kommun, None, "Kvinna", when, None)
                                             for a in ads])
    finish_run(store, run, "complete", pages=1, items=len(ads), errors=0, parse_failures=0,
                          listing_pages=1, finish_reason="finished")


def test_site_completeness_from_three_crawls_of_a_month(store):
    _crawl(store, "alfa", 6, list(range(1, 11)))  # ads 1–10
    _crawl(store, "alfa", 13, list(range(1, 9)) + [11, 12])  # 1–8, 11, 12
    _crawl(store, "alfa", 20, list(range(1, 7)) + [13])  # 1–6, 13
    _crawl(store, "alfa", 20, [50, 51], kommun="0180")  # Stockholm: not in Syd
    _crawl(store, "beta", 6, [1, 2, 3])  # one occasion: not estimable
    prepared = prepare_counts(store, GEO)
    runs = list_run_info(store).values()
    result = {(c.site, c.period): c for c in site_completeness(prepared, runs, GEO, "polisregion", "Syd", "month")}
    alfa = result[("alfa", "2026-05")]
    # S = 13 ads; seen three times: 1–6, twice: 7, 8, once: 9–13 → f1 = 5, f2 = 2 over t = 4 occasions
    # (the Stockholm-only run is an occasion that saw none of Syd's ads).
    assert alfa.occasions == 4
    assert alfa.share_chao == round(13 / (13 + 0.75 * 25 / 4), 2)
    # Chapman from the last two occasions (both on the 20th): the Syd run saw 7, the other none → m = 0.
    assert alfa.share_chapman is None  # m = 0 is below the threshold: not shown
    assert result[("beta", "2026-05")].occasions == 1 and result[("beta", "2026-05")].display == "–"


def test_chapman_share_uses_the_last_two_occasions(store):
    _crawl(store, "alfa", 6, list(range(1, 11)))
    _crawl(store, "alfa", 13, list(range(1, 9)) + [11, 12])  # n1 = 10
    _crawl(store, "alfa", 20, list(range(1, 7)) + [13])  # n2 = 7, m = 6
    prepared = prepare_counts(store, GEO)
    [alfa] = site_completeness(prepared, list_run_info(store).values(), GEO, "riket", "SE", "month")
    estimate = 11 * 8 / 7 - 1
    assert alfa.share_chapman == round(8.5 / estimate, 2)
    assert alfa.share_chapman_low <= alfa.share_chapman <= alfa.share_chapman_high
    assert alfa.share_chao == round(13 / (13 + (2 / 3) * 25 / 4), 2)
    [hidden] = site_completeness(prepared, list_run_info(store).values(), GEO, "riket", "SE", "month", threshold=10)
    assert hidden.share_chao == round(13 / (13 + (2 / 3) * 25 / 4), 2) and hidden.share_chapman is None
