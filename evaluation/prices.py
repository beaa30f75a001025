"""Scoring price per hour (issue 6) against the simulation's truth: the published national median per month.

The truth is the median of the hour prices the crawled pages state (sandbox.prices: None
where a page shows no hour price, e.g. only a 30-minute one), over the distinct listings of every run
the pipeline counts (complete, partial or suspect) in the month. The published median is the one users
see (analysis.prices, disclosure-protected: at least the signal threshold of priced ads, rounded to
50 kr), so the error includes the rounding. A month whose published median is suppressed, or without a
priced listing, is not measured.

Only relative errors leave this module, never a price or a count.
"""
from __future__ import annotations

import statistics
from typing import Any

from analysis.periods import local_date, period_label
from analysis.prices import load_price_table
from config.geo import Geography
from config.settings import Settings
from evaluation.series import SeriesPlan
from store.runs import USABLE_STATUSES, get_run


def truth_prices_by_month(plan: SeriesPlan, run_ids: list[list[dict[str, Any]]], store) -> dict[str, list[int]]:
    """Per month, the stated hour price of each distinct priced listing the counted runs crawled."""
    simulation = plan.simulation()
    listings: dict[str, dict[tuple[str, str], int]] = {}
    for occasion, runs in zip(plan.occasions, run_ids):
        market = None
        for entry in runs:
            run = get_run(store, entry["run_id"]) if entry.get("run_id") is not None else None
            if run is None or run.status not in USABLE_STATUSES:
                continue
            market = market or simulation.market_at(occasion)
            month = period_label(local_date(run.observed_at), "month")
            for listing in market.listings_on(entry["site"]):
                if listing.price_per_hour is not None:
                    listings.setdefault(month, {})[(listing.site, listing.site_ad_id)] = listing.price_per_hour
    return {month: list(prices.values()) for month, prices in sorted(listings.items())}


def score_prices(plan: SeriesPlan, run_ids: list[list[dict[str, Any]]], store, settings: Settings,
                 geography: Geography) -> dict[str, Any]:
    """`price_median_rel_error` (the worst month, national; None: not measured) and the error per month."""
    truth = truth_prices_by_month(plan, run_ids, store)
    published = {row.period: row.cell for row in load_price_table(store, geography, "riket", "month",
                                                                  settings=settings).rows}
    by_month: dict[str, float | None] = {}
    for month, prices in truth.items():
        cell = published.get(month)
        if cell is None or cell.median.value is None:
            by_month[month] = None
            continue
        expected = statistics.median(prices)
        by_month[month] = round(abs(cell.median.value - expected) / expected, 4)
    measured = [error for error in by_month.values() if error is not None]
    return {"price_median_rel_error": max(measured) if measured else None,
            "price_median_rel_error_by_month": by_month}
