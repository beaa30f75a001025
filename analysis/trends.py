"""Trend statistics on one series of counts: change with exact intervals, slope, trend test, change points, anomalies.

Pure functions of a series (period labels and values; None = not available, e.g. a suppressed cell).
Callers pass published (disclosure-protected) values, so every statistic here is derived from numbers
that may be shown.

* Change: the ratio of two counts with an exact conditional interval — given k1 + k2, k1 is binomial
  with p = r·t1 / (r·t1 + t2), so a Clopper–Pearson interval for p becomes one for the rate ratio r
  (scipy.stats.binomtest). Exposures t1, t2 are 1 for two periods, the populations for two regions.
  Counts of distinct ads are not exactly Poisson (ads persist from one period to the next), so the
  interval describes sampling noise of a count, not every source of year-to-year variation.
* Slope: Theil–Sen (scipy.stats.theilslopes) with its interval.
* Trend test: Mann–Kendall corrected for autocorrelation (Hamed–Rao, pymannkendall); the seasonal
  test when the series covers at least two full years.
* Change points: PELT (ruptures) on the Anscombe-transformed counts 2·sqrt(x + 3/8), whose variance is
  about 1 for Poisson counts; the penalty scales with a robust estimate of the noise variance.
* Anomalies: a point whose robust z-score against the running median of its neighbours (Anscombe
  scale) exceeds 3.5.
* Yearly change: a log-linear Theil–Sen slope, optionally of the ratio to a reference series (the rest
  of the country), which removes seasonality and crawl problems shared by every region; its interval is
  widened for lag-1 autocorrelation of the residuals.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

PERIODS_PER_YEAR = {"week": 365.2425 / 7, "month": 12.0, "quarter": 4.0, "year": 1.0}
SEASON = {"week": 52, "month": 12, "quarter": 4}
CONFIDENCE = 0.95
ANOMALY_Z = 3.5
CHANGE_PENALTY = 4.0  # × noise variance × log(n) per change point


Values = Sequence[float | int | None]


def _array(values: Values) -> np.ndarray:
    return np.array([np.nan if v is None else float(v) for v in values], dtype=float)


# --- change ----------------------------------------------------------------------


@dataclass(frozen=True)
class RateRatio:
    """(k1/t1) / (k2/t2) with its exact conditional interval and two-sided p-value for ratio 1."""

    estimate: float
    low: float
    high: float
    p_value: float
    confidence: float = CONFIDENCE

    @property
    def significant(self) -> bool:
        return self.low > 1.0 or self.high < 1.0


def rate_ratio(k1: int | None, k2: int | None, t1: float = 1.0, t2: float = 1.0,
               confidence: float = CONFIDENCE) -> RateRatio | None:
    """Exact (Clopper–Pearson, conditional binomial) interval for a ratio of two Poisson rates.

    None when a count is missing or both are zero.
    """
    if k1 is None or k2 is None or k1 < 0 or k2 < 0 or (k1 + k2) == 0 or t1 <= 0 or t2 <= 0:
        return None
    k1, k2 = int(k1), int(k2)
    n = k1 + k2
    test = stats.binomtest(k1, n, t1 / (t1 + t2))
    interval = test.proportion_ci(confidence_level=confidence, method="exact")
    scale = t2 / t1

    def odds(p: float) -> float:
        return math.inf if p >= 1.0 else p / (1.0 - p) * scale

    estimate = math.inf if k2 == 0 else (k1 / t1) / (k2 / t2)
    return RateRatio(estimate, odds(interval.low), odds(interval.high), float(test.pvalue), confidence)


@dataclass(frozen=True)
class Change:
    """The change from `reference` (an earlier period) to `period`."""

    period: str
    reference: str
    ratio: RateRatio | None


def previous_year_label(label: str) -> str:
    """The same week, month, quarter or year one year earlier ('2026-W05' → '2025-W05')."""
    year, sep, rest = label.partition("-")
    return f"{int(year) - 1}{sep}{rest}"


def period_over_period(labels: Sequence[str], values: Values) -> list[Change]:
    """Each period against the one before it in the series."""
    return [Change(labels[i], labels[i - 1], rate_ratio(values[i], values[i - 1])) for i in range(1, len(labels))]


def year_over_year(labels: Sequence[str], values: Values) -> list[Change]:
    """Each period against the same period a year earlier, where the series has it."""
    index = {label: i for i, label in enumerate(labels)}
    changes = []
    for i, label in enumerate(labels):
        earlier = index.get(previous_year_label(label))
        if earlier is not None:
            changes.append(Change(label, labels[earlier], rate_ratio(values[i], values[earlier])))
    return changes


# --- slope and trend test -----------------------------------------------------------


@dataclass(frozen=True)
class Slope:
    """Theil–Sen slope per period with its interval; `relative_per_year` is the slope per year
    relative to the mean level of the series (None when the mean is 0)."""

    slope: float
    low: float
    high: float
    intercept: float
    points: int
    mean: float
    periods_per_year: float
    confidence: float = CONFIDENCE

    @property
    def relative_per_year(self) -> tuple[float, float, float] | None:
        if not self.mean:
            return None
        factor = self.periods_per_year / self.mean
        return self.slope * factor, self.low * factor, self.high * factor


def theil_sen(values: Values, periods_per_year: float = 12.0, confidence: float = CONFIDENCE) -> Slope | None:
    """Theil–Sen slope over the available points (x = position in the series); None with fewer than 3."""
    y = _array(values)
    x = np.arange(y.size, dtype=float)
    keep = ~np.isnan(y)
    if keep.sum() < 3:
        return None
    result = stats.theilslopes(y[keep], x[keep], alpha=confidence)
    return Slope(float(result.slope), float(result.low_slope), float(result.high_slope), float(result.intercept),
                 int(keep.sum()), float(y[keep].mean()), periods_per_year, confidence)


@dataclass(frozen=True)
class TrendTest:
    """A Mann–Kendall test: `trend` is 'increasing', 'decreasing' or 'no trend' at the 5 % level."""

    method: str
    trend: str
    p_value: float
    z: float
    tau: float
    points: int

    @property
    def swedish(self) -> str:
        return {"increasing": "ökande", "decreasing": "minskande"}.get(self.trend, "ingen trend")


def mann_kendall(values: Values, season: int | None = None, alpha: float = 0.05) -> TrendTest | None:
    """Mann–Kendall trend test: seasonal when the series spans two full seasons of `season` periods,
    otherwise corrected for autocorrelation (Hamed and Rao 1998). None with fewer than 4 points."""
    import pymannkendall as mk

    y = _array(values)
    points = int((~np.isnan(y)).sum())
    if points < 4:
        return None
    if season and y.size >= 2 * season:
        result, method = mk.seasonal_test(y, period=season, alpha=alpha), "säsongs-Mann–Kendall"
    else:
        result, method = mk.hamed_rao_modification_test(y, alpha=alpha), "Mann–Kendall (Hamed–Rao)"
    if not np.isfinite(result.p):
        return TrendTest(method, "no trend", 1.0, 0.0, float(result.Tau), points)
    return TrendTest(method, str(result.trend), float(result.p), float(result.z), float(result.Tau), points)


# --- change points and anomalies -----------------------------------------------------


def anscombe(values: np.ndarray) -> np.ndarray:
    """2·sqrt(x + 3/8): counts on a scale where Poisson noise has variance about 1."""
    return 2.0 * np.sqrt(np.asarray(values, dtype=float) + 0.375)


def noise_variance(z: np.ndarray) -> float:
    """A robust noise variance on the Anscombe scale: MAD of first differences, at least 1 (Poisson)."""
    if z.size < 3:
        return 1.0
    mad = float(np.median(np.abs(np.diff(z) - np.median(np.diff(z)))))
    return max(1.0, (1.4826 * mad) ** 2 / 2.0)


@dataclass(frozen=True)
class ChangePoint:
    """A level shift: the series' level changes from `before` to `after` starting in `period`."""

    period: str
    index: int
    before: float
    after: float

    @property
    def direction(self) -> str:
        return "up" if self.after > self.before else "down"


def change_points(labels: Sequence[str], values: Values, *, penalty: float = CHANGE_PENALTY,
                  min_size: int = 2) -> list[ChangePoint]:
    """Change points by PELT on the Anscombe-transformed available points (missing points are skipped)."""
    import ruptures

    y = _array(values)
    keep = np.flatnonzero(~np.isnan(y))
    if keep.size < 4:
        return []
    z = anscombe(y[keep])
    pen = penalty * noise_variance(z) * math.log(z.size)
    ends = ruptures.Pelt(model="l2", min_size=min_size, jump=1).fit(z.reshape(-1, 1)).predict(pen=pen)
    points = []
    bounds = [0, *ends]
    for start, middle, end in zip(bounds, bounds[1:], bounds[2:]):
        position = int(keep[middle])
        points.append(ChangePoint(labels[position], position, float(y[keep[start:middle]].mean()),
                                  float(y[keep[middle:end]].mean())))
    return points


@dataclass(frozen=True)
class Anomaly:
    """A point far from its neighbours: `z` is its robust z-score on the Anscombe scale."""

    period: str
    index: int
    value: float
    expected: float
    z: float

    @property
    def direction(self) -> str:
        return "up" if self.z > 0 else "down"


def anomalies(labels: Sequence[str], values: Values, *, window: int | None = None,
              threshold: float = ANOMALY_Z, segments: Sequence[int] = ()) -> list[Anomaly]:
    """Points whose robust z-score against the median of their neighbours exceeds `threshold`.

    Neighbours are the `window` nearest available points (6, or 4 in a short series), half on each
    side, taken only from the point's own segment: `segments` are the positions where new levels start
    (the change points), so a point next to a level shift is not compared with the other level.
    """
    y = _array(values)
    keep = np.flatnonzero(~np.isnan(y))
    if keep.size < 5:
        return []
    if window is None:
        window = 6 if keep.size >= 9 else 4
    z = anscombe(y[keep])
    segment = np.searchsorted(np.array(sorted(segments), dtype=np.int64), keep, side="right")
    half = window // 2
    expected = np.full(z.size, np.nan)
    for i in range(z.size):
        same = segment == segment[i]
        before = np.flatnonzero(same[:i])[-half:]
        after = i + 1 + np.flatnonzero(same[i + 1:])[:half]
        around = np.concatenate([z[before], z[after]])
        if around.size >= 2:
            expected[i] = np.median(around)
    residual = z - expected
    known = ~np.isnan(residual)
    if known.sum() < 5:
        return []
    centre = float(np.median(residual[known]))
    scale = max(1.0, 1.4826 * float(np.median(np.abs(residual[known] - centre))))
    found = []
    for i in np.flatnonzero(known & (np.abs(np.nan_to_num(residual)) / scale > threshold)):
        position = int(keep[i])
        found.append(Anomaly(labels[position], position, float(y[position]),
                             float(((expected[i] / 2.0) ** 2) - 0.375), float(residual[i] / scale)))
    return found


# --- yearly change -----------------------------------------------------------------


@dataclass(frozen=True)
class YearlyChange:
    """Estimated relative change per year (0.3 = +30 %/year) with its interval.

    `method` is 'log-level' (the series itself) or 'log-ratio' (its ratio to a reference series).
    `autocorrelation` is the lag-1 autocorrelation of the residuals the interval was widened for.
    """

    estimate: float
    low: float
    high: float
    method: str
    points: int
    autocorrelation: float
    confidence: float = CONFIDENCE

    @property
    def detected(self) -> bool:
        """The interval excludes no change."""
        return self.low > 0.0 or self.high < 0.0

    @property
    def direction(self) -> str:
        return "up" if self.estimate > 0 else "down" if self.estimate < 0 else "flat"


def yearly_change(values: Values, periods_per_year: float, reference: Values | None = None,
                  confidence: float = CONFIDENCE) -> YearlyChange | None:
    """Relative yearly change of a series (or of its ratio to `reference`), log-linear Theil–Sen.

    Points that are missing or not positive (in either series) are left out. None with fewer than 6.
    """
    y = _array(values)
    if reference is not None:
        r = _array(reference)
        with np.errstate(divide="ignore", invalid="ignore"):
            y = np.where((y > 0) & (r > 0), y / r, np.nan)
        method = "log-ratio"
    else:
        y = np.where(y > 0, y, np.nan)
        method = "log-level"
    x = np.arange(y.size, dtype=float)
    keep = ~np.isnan(y)
    if keep.sum() < 6:
        return None
    ly = np.log(y[keep])
    result = stats.theilslopes(ly, x[keep], alpha=confidence)
    residual = ly - (result.intercept + result.slope * x[keep])
    rho = 0.0
    if residual.size > 3 and residual.std() > 0:
        rho = float(np.corrcoef(residual[:-1], residual[1:])[0, 1])
    rho = min(max(rho, 0.0), 0.9) if np.isfinite(rho) else 0.0
    widen = math.sqrt((1 + rho) / (1 - rho))
    low = result.slope - (result.slope - result.low_slope) * widen
    high = result.slope + (result.high_slope - result.slope) * widen

    def yearly(slope: float) -> float:
        return math.exp(slope * periods_per_year) - 1.0

    return YearlyChange(yearly(result.slope), yearly(low), yearly(high), method, int(keep.sum()), rho, confidence)
