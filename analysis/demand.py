"""The demand side's measures: efterfrågeannonser, recensioner and unika recensenter per region and period.

- demand_ads (efterfrågeannonser): distinct buyers' ads seen in the period, by the buyer's place.
- reviews (recensioner): distinct review events, in the period of the review's own date, by the
  reviewed ad's or profile's place (unplaced when the site shows none).
- unique_reviewers (unika recensenter): distinct reviewer tokens among those reviews. It describes
  individual buyers, so it gets the stricter signal threshold.

Every published number goes through analysis.disclosure, the three measures of one window
protected together at all levels and related periods. A purge (analysis.retention) freezes the exact
counts of every period it deletes rows of, in count_aggregate under these measure names, and such a
period is then served whole from them. The demand/supply ratio is computed only
from published cells, so it reveals nothing the two protected tables do not.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from analysis import disclosure, frozen
from analysis.counts import LEVELS, CountRow, CountTable, cell_key, count_observations
from analysis.periods import day_bounds, local_date, period_bounds, period_label
from config.geo import Geography
from store import demand as demand_store
from store.aggregates import AggregateCell

DEMAND_MEASURES = ("demand_ads", "reviews", "unique_reviewers")
DEMAND_SIGNAL_MEASURES = frozenset({"unique_reviewers"})


@dataclass(frozen=True)
class _Unit:
    """The shape analysis.counts.count_observations reads."""

    ad_token: str
    profile_token: str | None
    phone_token: str | None
    kommun_code: str | None
    observed_at: datetime


def count_demand(requests: Iterable, reviews: Iterable, geography: Geography, level: str, period: str) -> CountTable:
    """Exact demand counts (never publish them directly): every region and every period with any unit."""
    ads = count_observations((_Unit(r.ad_token, None, None, r.kommun_code, r.observed_at) for r in requests),
                             geography, level, period)
    rev = count_observations((_Unit(r.review_token, r.reviewer_token, None, r.kommun_code, r.reviewed_at)
                              for r in reviews), geography, level, period)
    ad_rows = {(row.period, row.region_code): row for row in ads.rows}
    review_rows = {(row.period, row.region_code): row for row in rev.rows}
    template = {(row.region_code): row.region_name for row in (*ads.rows, *rev.rows)}
    periods = sorted({label for label, _ in (*ad_rows, *review_rows)})
    codes = list(dict.fromkeys(row.region_code for row in (*ads.rows, *rev.rows)))
    empty = cell_key(())
    rows = []
    for label in periods:
        for code in codes:
            a, r = ad_rows.get((label, code)), review_rows.get((label, code))
            rows.append(CountRow(
                period=label, region_code=code, region_name=template[code],
                values={"demand_ads": a.values["active_ads"] if a else 0,
                        "reviews": r.values["active_ads"] if r else 0,
                        "unique_reviewers": r.values["unique_profiles"] if r else 0},
                cell_keys={"demand_ads": a.cell_keys["active_ads"] if a else empty,
                           "reviews": r.cell_keys["active_ads"] if r else empty,
                           "unique_reviewers": r.cell_keys["unique_profiles"] if r else empty},
            ))
    return CountTable(level=level, period=period, measures=DEMAND_MEASURES, rows=tuple(rows))


def _live(rows: Iterable, labels: set[str], period: str, when: str) -> list:
    """The rows whose period (of kind `period`, by their attribute `when`) is not frozen."""
    if not labels:
        return list(rows)
    return [row for row in rows if period_label(local_date(getattr(row, when)), period) not in labels]


def frozen_demand_labels(store, level: str, period: str) -> set[str]:
    """Periods whose demand counts at `level` were frozen by a purge (analysis.retention)."""
    return frozen.frozen_labels(store, level, period, DEMAND_MEASURES)


def _with_frozen(store, geography: Geography, level: str, period: str, requests: list, reviews: list,
                 start: datetime | None, end: datetime | None) -> CountTable:
    """Exact counts: live periods from the rows, frozen periods whole from their stored counts."""
    labels = frozen_demand_labels(store, level, period)
    live = count_demand(_live(requests, labels, period, "observed_at"), _live(reviews, labels, period, "reviewed_at"),
                        geography, level, period)
    if not labels:
        return live
    cells = frozen.frozen_cells(store, level, period, start, end, DEMAND_MEASURES)
    return frozen.merge_frozen(live, cells, geography)


def _rows(store, since: date | None, until: date | None):
    start, end = day_bounds(since, until)
    requests = list(demand_store.iter_request_rows(store, since=start, until=end))
    reviews = list(demand_store.iter_review_rows(store, since=start, until=end))
    return start, end, requests, reviews


def load_demand_counts(store, geography: Geography, level: str, period: str,
                       since: date | None = None, until: date | None = None) -> CountTable:
    """Exact demand counts of the window (Swedish calendar days) from complete, partial and suspect runs.

    Periods frozen by a purge come whole from their stored counts when they overlap the window, as
    for the supply side (analysis.queries.load_counts).
    """
    start, end, requests, reviews = _rows(store, since, until)
    return _with_frozen(store, geography, level, period, requests, reviews, start, end)


def load_published_demand_family(store, geography: Geography, period: str, since: date | None = None,
                                 until: date | None = None, settings=None
                                 ) -> dict[tuple[str, str], disclosure.PublishedTable]:
    """Every level and related period of one window, protected together, keyed by (level, period)."""
    options = disclosure.settings_options(settings) if settings is not None else {}
    keys = [(level, kind) for kind in disclosure.RELATED_PERIODS[period] for level in LEVELS]
    start, end, requests, reviews = _rows(store, since, until)
    tables = [_with_frozen(store, geography, level, kind, requests, reviews, start, end) for level, kind in keys]
    signal = disclosure.SIGNAL_MEASURES | DEMAND_SIGNAL_MEASURES
    published = disclosure.protect_family(tables, geography, signal_measures=signal, **options)
    return dict(zip(keys, published))


def load_published_demand(store, geography: Geography, level: str, period: str, since: date | None = None,
                          until: date | None = None, settings=None) -> disclosure.PublishedTable:
    return load_published_demand_family(store, geography, period, since, until, settings)[(level, period)]


def freeze_demand_period(store, geography: Geography, period: str, day: date,
                         finished_by: datetime) -> list[AggregateCell]:
    """Exact demand counts, at every level, of the whole period containing `day`, as frozen cells: buyers'
    ads of counted runs finished by `finished_by` and every review dated in the period — exactly what
    `load_demand_counts` counts for it."""
    start, end = period_bounds(day, period)
    label = period_label(day, period)
    requests = list(demand_store.iter_request_rows(store, since=start, until=end, finished_by=finished_by))
    reviews = list(demand_store.iter_review_rows(store, since=start, until=end))
    cells = []
    for level in LEVELS:
        table = count_demand(requests, reviews, geography, level, period)
        cells += frozen.aggregate_cells(table, label, start, end)
    return cells


@dataclass(frozen=True)
class RatioRow:
    period: str
    region_code: str
    region_name: str
    ratio: float | None  # demand ads per active (offer) ad; None when either cell is suppressed or supply is 0

    @property
    def display(self) -> str:
        return ".." if self.ratio is None else f"{self.ratio:.2f}".replace(".", ",")


def demand_supply_ratio(demand: disclosure.PublishedTable, supply: disclosure.PublishedTable) -> list[RatioRow]:
    """Efterfrågeannonser per aktiv annons, per region and period, from the two published tables only."""
    if not isinstance(demand, disclosure.PublishedTable) or not isinstance(supply, disclosure.PublishedTable):
        raise TypeError("the ratio is computed from published (protected) tables only")
    offers = {(row.period, row.region_code): row.cells["active_ads"].value for row in supply.rows}
    rows = []
    for row in demand.rows:
        asked = row.cells["demand_ads"].value
        offered = offers.get((row.period, row.region_code))
        ratio = asked / offered if asked is not None and offered else None
        rows.append(RatioRow(row.period, row.region_code, row.region_name, ratio))
    return rows


def weekly_trend(values: list[tuple[int, float]]) -> float | None:
    """The relative yearly change of a weekly series (week index, value), by least squares on the values.

    Returns slope × 52 / mean (e.g. +0.4 = 40 % a year), or None with fewer than three points.
    """
    if len(values) < 3:
        return None
    xs = [float(x) for x, _ in values]
    ys = [float(y) for _, y in values]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0 or my == 0:
        return None
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    return slope * 52.0 / my
