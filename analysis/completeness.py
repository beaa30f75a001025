"""Completeness: how much of the market the crawls see, by capture–recapture across a site's crawl occasions.

Per site, region and period the crawl occasions (the site's counted runs in the period) are capture
occasions and the ads seen are the marked animals:

* Chapman (1951): from the period's last two occasions, n1 and n2 ads seen and m seen in both,
  N = (n1 + 1)(n2 + 1) / (m + 1) − 1 ads present; the share seen per occasion is mean(n1, n2) / N.
* Chao's lower bound (1987): from all t occasions, with S ads seen, f1 of them seen once and f2 twice,
  N ≥ S + ((t − 1) / t) · f1² / (2 f2) (f1 (f1 − 1) / 2 when f2 = 0); the share seen is S / N.

Caveats, stated wherever these are shown: the market is not closed (ads come and go between
occasions, which capture–recapture reads as ads missed, so the shares are conservative), ads differ in
how easily they are seen, and cross-posting and reposting link the captures, so they are not
independent. The estimates describe the crawls, not the market's true size.

Only shares are published, rounded, and only when every count behind them reaches the small-cell
threshold; the counts themselves never leave this module.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from analysis.engine import Prepared
from analysis.periods import local_date, period_label
from config.geo import Geography
from store.columnar import RunInfo

CAVEAT = ("Täckningen skattas med fångst–återfångst mellan insamlingstillfällen (Chapman, Chaos nedre gräns); "
          "annonser som kommer och går, korspostning och omannonsering bryter mot oberoendet, så andelen är "
          "ungefärlig.")
COUNTED = ("complete", "partial", "suspect")


def chapman(n1: int, n2: int, m: int) -> tuple[float, float]:
    """Chapman's estimate of the population size and its variance (Seber 1970)."""
    if min(n1, n2, m) < 0 or m > min(n1, n2):
        raise ValueError("need 0 <= m <= min(n1, n2)")
    estimate = (n1 + 1) * (n2 + 1) / (m + 1) - 1
    variance = (n1 + 1) * (n2 + 1) * (n1 - m) * (n2 - m) / ((m + 1) ** 2 * (m + 2))
    return estimate, variance


def chao_lower_bound(seen: int, f1: int, f2: int, occasions: int) -> float:
    """Chao's lower bound for the population size from capture frequencies over `occasions` occasions."""
    if occasions < 2:
        raise ValueError("need at least two occasions")
    factor = (occasions - 1) / occasions
    if f2 > 0:
        return seen + factor * f1 * f1 / (2 * f2)
    return seen + factor * f1 * (f1 - 1) / 2


@dataclass(frozen=True)
class Completeness:
    """The estimated share of ads a site's crawls saw in one period and region (None: not estimable or
    too few ads to show). Shares are rounded to whole per cent."""

    site: str
    period: str
    occasions: int
    share_chao: float | None
    share_chapman: float | None
    share_chapman_low: float | None = None
    share_chapman_high: float | None = None

    @property
    def display(self) -> str:
        def pct(x: float | None) -> str:
            return ".." if x is None else f"{x:.0%}"

        if self.occasions < 2:
            return "–"
        return f"{pct(self.share_chao)} (Chao), {pct(self.share_chapman)} (Chapman)"


def _share(part: float, whole: float) -> float:
    return round(min(1.0, part / whole), 2) if whole > 0 else 1.0


def site_completeness(
    prepared: Prepared,
    runs: Iterable[RunInfo],
    geography: Geography,
    level: str,
    region: str,
    period: str,
    *,
    threshold: int = 5,
) -> list[Completeness]:
    """Completeness per site and period of the region's ads, inside the prepared window."""
    columns = prepared.columns
    runs = [run for run in runs if run.status in COUNTED]
    kommun_in = {code for code in geography.kommun_codes_in(level, None if level == "riket" else region)}
    in_region = np.array([code in kommun_in for code in columns.kommun_codes] + [level == "riket"], dtype=bool)
    kommun = np.where(columns.kommun < 0, len(columns.kommun_codes), columns.kommun)
    mask = in_region[kommun] & prepared.window
    ids = np.array([run.id for run in runs], dtype=np.int64)
    order = np.argsort(ids)
    position = np.minimum(np.searchsorted(ids[order], columns.run), max(ids.size - 1, 0))
    known = ids[order][position] == columns.run if ids.size else np.zeros(len(columns), dtype=bool)
    row_run = np.where(known, order[position] if ids.size else 0, -1)
    mask &= row_run >= 0
    ads = columns.ad.astype(np.int64)[mask]
    row_run = row_run[mask]
    pairs = np.unique(ads * max(len(runs), 1) + row_run) if ads.size else np.zeros(0, dtype=np.int64)
    pair_ad, pair_run = pairs // max(len(runs), 1), pairs % max(len(runs), 1)
    window_labels = set(prepared.labels[period])
    results = []
    by_key: dict[tuple[str, str], list[int]] = {}
    for i, run in enumerate(runs):
        label = period_label(local_date(run.observed_at), period)
        if label in window_labels:
            by_key.setdefault((run.site, label), []).append(i)
    for (site, label), indices in sorted(by_key.items()):
        indices.sort(key=lambda i: (runs[i].observed_at, runs[i].id))
        t = len(indices)
        if t < 2:
            results.append(Completeness(site, label, t, None, None))
            continue
        chosen = np.isin(pair_run, indices)
        counts = np.bincount(pair_ad[chosen]) if chosen.any() else np.zeros(0, dtype=np.int64)
        seen = int((counts > 0).sum())
        f1, f2 = int((counts == 1).sum()), int((counts == 2).sum())
        share_chao = None
        if seen >= threshold:
            share_chao = _share(seen, chao_lower_bound(seen, f1, f2, t))
        a, b = indices[-2], indices[-1]
        in_a = set(pair_ad[pair_run == a].tolist())
        in_b = set(pair_ad[pair_run == b].tolist())
        n1, n2, m = len(in_a), len(in_b), len(in_a & in_b)
        share = low = high = None
        if min(n1, n2, m) >= threshold:
            estimate, variance = chapman(n1, n2, m)
            spread = 1.96 * math.sqrt(variance)
            present = (n1 + n2) / 2
            share = _share(present, estimate)
            low = _share(present, estimate + spread)
            high = _share(present, max(estimate - spread, n1 + n2 - m))
        results.append(Completeness(site, label, t, share_chao, share, low, high))
    return results
