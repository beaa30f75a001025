"""What every scorecard shares: a sighting's shape, the truth's tokeniser and the cell-by-cell comparison.

Truth and stored sightings are counted by the pipeline's own counting function and compared cell
by cell at every level and evaluated period; only error rates and shares leave this module.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable

from analysis.counts import LEVELS, UNRESOLVED, count_observations
from config.geo import Geography
from config.settings import Settings
from crawler.anonymiser import Tokeniser
from crawler.keys import KeyRing, read_key_file

EVALUATED_PERIODS = ("week", "month")
COUNTED_MEASURES = ("active_ads", "unique_profiles", "unique_phones")

# Acceptance limits (issue 3): relative error of active ads, and no double counting.
LIMITS = {"riket": 0.01, "polisregion": 0.03, "kommun_ge20": 0.05}
KOMMUN_MIN_ADS = 20


@dataclass(frozen=True)
class Sighting:
    """One ad in one counted run, as truth or as stored (the shape count_observations reads)."""

    ad_token: str
    profile_token: str | None
    phone_token: str | None
    kommun_code: str | None
    observed_at: datetime


def rel_error(reported: int, truth: int) -> float:
    """|reported - truth| / truth; 0 when both are 0, 1 when only the truth is 0."""
    if truth == 0:
        return 0.0 if reported == 0 else 1.0
    return abs(reported - truth) / truth


def tokeniser_for(settings: Settings, key_period: str | None, cache: dict) -> Tokeniser:
    """The tokeniser of a study period's key, made once per period in `cache`."""
    if key_period not in cache:
        ring = KeyRing(settings.resolved_key_dir, settings.key_period)
        cache[key_period] = Tokeniser(read_key_file(ring.key_path(key_period)))
    return cache[key_period]



def compare_counts(truth_rows: Iterable[Sighting], stored_rows: Iterable[Sighting], geography: Geography,
             measure: str) -> dict[str, Any]:
    """Relative errors of one measure at every level and evaluated period, and where the worst cell is.

    It counts without disclosure control on purpose (truth against stored, cell by cell), and hands
    on only error rates and shares, never a count.
    """
    truth_rows, stored_rows = list(truth_rows), list(stored_rows)
    result: dict[str, Any] = {}
    worst: dict[str, Any] | None = None
    exact = kommun_cells = 0
    for level in LEVELS:
        level_max = 0.0
        level_ge20_max = 0.0
        for period in EVALUATED_PERIODS:
            expected = count_observations(truth_rows, geography, level, period)
            reported = count_observations(stored_rows, geography, level, period)
            reported_values = {(r.period, r.region_code): r.values[measure] for r in reported.rows}
            for row in expected.rows:
                if row.region_code == UNRESOLVED:
                    continue
                truth_value = row.values[measure]
                value = reported_values.get((row.period, row.region_code), 0)
                error = rel_error(value, truth_value)
                if level == "kommun":
                    if truth_value or value:
                        kommun_cells += 1
                        exact += value == truth_value
                    if truth_value >= KOMMUN_MIN_ADS:
                        level_ge20_max = max(level_ge20_max, error)
                if error > level_max:
                    level_max = error
                if truth_value and (worst is None or error > worst["rel_error"]):
                    # Where it is and how far off, never the counts themselves: they are unprotected.
                    worst = {"level": level, "period": row.period, "region": row.region_code,
                             "region_name": row.region_name, "rel_error": round(error, 4)}
        key = "riket_rel_error" if level == "riket" else f"{level}_max_rel_error"
        result[key] = round(level_max, 4)
        if level == "kommun":
            result["kommun_ge20_max_rel_error"] = round(level_ge20_max, 4)
    result["kommun_exact_share"] = round(exact / kommun_cells, 4) if kommun_cells else None
    result["worst_cell"] = worst
    return result
