"""Planted market trends against the analysis' estimate (`lagesbild evaluate`, issue 6).

A few months of a small sandbox market cannot show a +30 %/year trend in one police region: the
region has a few dozen ads, and an advertiser stays for weeks, so the weekly counts move slowly
and noisily. So besides the crawled series, the trends are scored on a *long series*: the
simulated market's weekly truth over two years at twenty times the default size, written straight
into a scratch store as the pipeline would store it (keyed tokens, kommun codes, categories), then
read by the same analysis (analysis.quality.estimate_region_trend). The crawl's own accuracy is
scored on the crawled series; this part scores the trend estimate. The scratch store and its
in-memory key are thrown away afterwards.
"""
from __future__ import annotations

import secrets
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from analysis.quality import estimate_region_trend
from config.geo import Geography
from crawler.anonymiser import Tokeniser
from crawler.keys import KEY_BYTES, SecretKey
from parsers.places import REASON_NATIONWIDE
from parsers.records import ObservedAd
from sandbox.model import PlantedTrend, SimulationConfig
from sandbox.simulation import Simulation
from sandbox.weeks import occasion, recent_occasions
from store import open_store
from store.observations import add_observations
from store.runs import finish_run, start_run

LONG_SERIES_WEEKS = 104
LONG_SERIES_SCALE = 20.0
# The long series ends at a fixed simulated moment, so its score does not move with today's date.
LONG_SERIES_END = occasion(95)
TREND_LEVELS = ("polisregion", "lan")
# Trends whose interval must cover the planted change. A län trend is checked for its sign only:
# touring circuits run through Umeå, and visitors from elsewhere dilute a small län's own trend.
COVERAGE_LEVELS = frozenset({"polisregion"})


@dataclass(frozen=True)
class LongSeries:
    weeks: int = LONG_SERIES_WEEKS
    scale: float = LONG_SERIES_SCALE
    seed: int = 1


def regional_trends(simulation: Simulation) -> list[PlantedTrend]:
    return [t for t in simulation.config.trends if t.level in TREND_LEVELS and t.yearly_change]


def score_trend_estimates(store, geography: Geography, trends: list[PlantedTrend]) -> list[dict[str, Any]]:
    """Each planted regional trend against the weekly estimate read from `store`."""
    results = []
    for trend in trends:
        change = estimate_region_trend(store, geography, trend.level, trend.region, "week").change
        entry: dict[str, Any] = {
            "level": trend.level, "region": trend.region, "true_change": trend.yearly_change,
            "estimated_change": None, "ci_low": None, "ci_high": None, "right_sign": False, "detected": False,
            "covered": False,
            "coverage_required": trend.level in COVERAGE_LEVELS,
        }
        if change is not None:
            entry.update(estimated_change=round(change.estimate, 4), ci_low=round(change.low, 4),
                         ci_high=round(change.high, 4),
                         right_sign=(change.estimate > 0) == (trend.yearly_change > 0),
                         # detected: the right sign, and an interval that leaves out "no change"
                         detected=(change.estimate > 0) == (trend.yearly_change > 0) and not
                         change.low <= 0 <= change.high,
                         covered=change.low <= trend.yearly_change <= change.high)
        results.append(entry)
    return results


def write_long_series(store, series: LongSeries, now: datetime = LONG_SERIES_END) -> Simulation:
    """Write the simulated truth of `series.weeks` weekly occasions up to `now` into `store`."""
    simulation = Simulation(SimulationConfig(seed=series.seed, scale=series.scale))
    tokeniser = Tokeniser(SecretKey(secrets.token_bytes(KEY_BYTES)))  # in memory only, gone afterwards
    for moment in recent_occasions(series.weeks, now):
        by_site: dict[str, list[ObservedAd]] = {}
        for listing in simulation.market_at(moment).listings:
            ad = listing.ad
            if ad.kind != "offer":
                continue
            by_site.setdefault(listing.site, []).append(ObservedAd(
                site=listing.site,
                ad_token=tokeniser.site_id("site_ad_id", listing.site, listing.site_ad_id),
                profile_token=tokeniser.site_id("site_profile_id", listing.site, ad.site_profile_id),
                phone_token=tokeniser.phone(listing.phone_e164),
                kommun_code=ad.kommun_code,
                unresolved_reason=None if ad.kommun_code else REASON_NATIONWIDE,
                category=ad.category,
                observed_at=moment,
                posted_at=ad.posted_at,
            ))
        for site, observations in sorted(by_site.items()):
            run_id = start_run(store, site, site.title(), "long-series", "long-series", observed_at=moment)
            stored = add_observations(store, run_id, observations)
            finish_run(store, run_id, "complete", pages=1, items=stored, errors=0, parse_failures=0,
                                  listing_pages=1, finish_reason="finished")
    return simulation


def score_long_series(geography: Geography, scratch_parent: Path, series: LongSeries = LongSeries(),
                      now: datetime = LONG_SERIES_END) -> dict[str, Any]:
    """The planted regional trends estimated on a long series (see the module docstring)."""
    scratch_parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="trend-series-", dir=scratch_parent) as folder:
        store = open_store(f"sqlite:///{Path(folder) / 'series.db'}")
        try:
            simulation = write_long_series(store, series, now)
            trends = score_trend_estimates(store, geography, regional_trends(simulation))
        finally:
            store.engine.dispose()
    return {"series": {"weeks": series.weeks, "scale": series.scale, "seed": series.seed,
                       "last_week": now.date().isoformat(),
                       "source": "simulated truth written to a scratch store"},
            "trends": trends}


def trend_failures(trends: list[dict[str, Any]], where: str) -> list[str]:
    failures = []
    for trend in trends:
        name = f"planted trend {trend['level']} {trend['region']} ({trend['true_change']:+.0%}/year) {where}"
        if not trend["detected"]:
            failures.append(f"{name}: not detected with the right sign")
        elif trend["coverage_required"] and not trend["covered"]:
            failures.append(f"{name}: the interval {trend['ci_low']:+.0%} … {trend['ci_high']:+.0%} misses it")
    return failures
