"""One region's trend table: protected counts per period with change, standing, completeness, flags and
series statistics — what `lagesbild trends` prints and what the dashboard and reports can reuse.

Every number comes from disclosure-protected tables (analysis.trend_family.load_trend_family, or for the demand
measures analysis.demand.load_published_demand_family): a suppressed
count stays suppressed, and no change, rate, share or statistic is computed from it. Periods cut by the
window, not yet ended or with clearly fewer crawl occasions than usual are flagged and left out of the
changes and the series statistics; the first period of the data is censored for new ads.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from analysis.completeness import CAVEAT, Completeness, site_completeness
from analysis.demand import DEMAND_MEASURES, load_published_demand_family
from analysis.disclosure import PublishedCell
from analysis.engine import NEW_ADS
from analysis.trend_family import CATEGORY_LEVELS, category_shares, load_trend_family, per_100k, population
from analysis.periods import local_date, period_label, period_start_day
from analysis.prices import PriceSeries, region_price_series
from analysis.quality import (
    CrawlBreak,
    TrendEvent,
    breaks_by_period,
    crawl_breaks,
    label_events,
    occasions_by_period,
    thin_periods,
)
from analysis.queries import prepare_counts
from analysis.trends import (
    PERIODS_PER_YEAR,
    SEASON,
    RateRatio,
    Slope,
    TrendTest,
    mann_kendall,
    period_over_period,
    previous_year_label,
    rate_ratio,
    theil_sen,
    year_over_year,
)
from config import clock
from config.geo import Geography
from store.runs import USABLE_STATUSES, list_runs
from store.columnar import list_run_info

SUPPLY_TREND_MEASURES = ("active_ads", "new_ads", "unique_profiles", "unique_phones")
TREND_MEASURES = (*SUPPLY_TREND_MEASURES, *DEMAND_MEASURES)
# Reviews are dated by their own date, so they reach back before the first crawl, which sees only the reviews
# still listed then: periods that began before it are flagged and left out of changes and trends. Buyers' ads
# share their table, so periods wholly before the first crawl show none; those are flagged too.
DATED_BEFORE_CRAWLS = frozenset({"reviews", "unique_reviewers"})
BEFORE_CRAWLS_NOTE = "före första insamlingen: ofullständig period"


@dataclass(frozen=True)
class TrendRow:
    """One period of a region's series. `previous`, `year_before` and `standing` are None when a count
    behind them is suppressed; the `has_…` flags are False when there is nothing comparable to compare
    with (no reference period, or it or this period is cut, thin or censored)."""

    period: str
    cell: PublishedCell
    per_100k: float | None
    previous: RateRatio | None
    has_previous: bool
    year_before: RateRatio | None
    has_year_before: bool
    standing: RateRatio | None
    has_standing: bool
    completeness: tuple[Completeness, ...]
    breaks: tuple[CrawlBreak, ...]
    events: tuple[TrendEvent, ...]
    censored: bool = False
    open: bool = False
    thin: tuple[int, int] | None = None  # (crawl occasions, usual) when clearly fewer than usual
    category_shares: dict[str, float | None] | None = None
    before_crawls: bool = False  # reviews: the period began before the first counted crawl

    @property
    def comparable(self) -> bool:
        return not (self.open or self.thin or self.censored or self.before_crawls)


@dataclass(frozen=True)
class TrendTable:
    """A region's trend table (see the module docstring); `parent` is what `standing` compares with."""

    level: str
    region: str
    region_name: str
    period: str
    measure: str
    parent: tuple[str, str] | None
    rows: tuple[TrendRow, ...]
    slope: Slope | None
    trend_test: TrendTest | None
    events: tuple[TrendEvent, ...]
    rule: str
    method: str
    caveat: str = CAVEAT
    prices: PriceSeries | None = None  # price per hour by period (analysis.prices); None: no site gave a price


def parent_of(geography: Geography, level: str, code: str) -> tuple[str, str] | None:
    """What a region is compared with: riket for a police region or län, its län for a kommun."""
    if level in ("polisregion", "lan"):
        return "riket", "SE"
    if level == "kommun":
        return "lan", geography.lan_of(code).code
    return None


def open_periods(labels: list[str], period: str, since: date | None, until: date | None,
                 today: date | None = None) -> set[str]:
    """Periods the window cuts at either end, or that have not ended yet."""
    cut = set()
    today = today or local_date(clock.now())
    cut.add(period_label(today, period))
    if since is not None and period_start_day(since, period) != since:
        cut.add(period_label(since, period))
    if until is not None and period_label(until + timedelta(days=1), period) == period_label(until, period):
        cut.add(period_label(until, period))
    return cut & set(labels)


def before_first_crawl(runs, labels: list[str], period: str, started: bool = True) -> set[str]:
    """The periods that ended before the first counted crawl and, with `started`, the one it began in when
    the crawl came after its first day (all of them when nothing was crawled)."""
    days = [local_date(run.observed_at) for run in runs if run.status in USABLE_STATUSES]
    if not days:
        return set(labels)
    first = min(days)
    return {label for label in labels if label < period_label(first, period)
            or (started and label == period_label(first, period) and period_start_day(first, period) < first)}


def load_trend_table(
    store,
    geography: Geography,
    level: str,
    region: str,
    period: str,
    measure: str = "active_ads",
    since: date | None = None,
    until: date | None = None,
    settings=None,
) -> TrendTable:
    """The trend table of one region (`region` is its code: 'SE', a police region, a län or kommun code).

    The demand measures (analysis.demand: demand_ads, reviews, unique_reviewers) come from the protected
    demand family (unique reviewers with the signal threshold) and get the same changes, statistics and
    crawl-quality flags; completeness is estimated for the supply side's ads only.
    """
    if measure not in TREND_MEASURES:
        raise ValueError(f"unknown measure {measure!r}; use one of {', '.join(TREND_MEASURES)}")
    demand = measure in DEMAND_MEASURES
    prepared = None if demand else prepare_counts(store, geography, since, until)
    if demand:
        source = load_published_demand_family(store, geography, period, since, until, settings)
        family = None
    else:
        family = load_trend_family(store, geography, period, since, until, settings, prepared=prepared)
        source = family.extras if measure == NEW_ADS else family.base
    table = source[(level, period)]
    found = {row.period: row for row in table.rows if row.region_code == region}
    labels = sorted(found)
    name = geography.region_name(level, None if level == "riket" else region)
    cells = [found[label].cells[measure] for label in labels]
    censored = family.censored.get(period) if family is not None and measure == NEW_ADS else None
    inhabitants = population(geography, level, region)
    parent = parent_of(geography, level, region)
    parent_values: dict[str, int | None] = {}
    parent_people = None
    if parent is not None:
        parent_rows = {row.period: row for row in source[(parent[0], period)].rows if row.region_code == parent[1]}
        parent_values = {label: parent_rows[label].cells[measure].value if label in parent_rows else None
                         for label in labels}
        parent_people = population(geography, parent[0], parent[1])

    runs = list_runs(store, last=None)
    by_period = breaks_by_period(crawl_breaks(runs, period))
    cut = open_periods(labels, period, since, until)
    thin = thin_periods(occasions_by_period(runs, period))
    early = before_first_crawl(runs, labels, period, measure in DATED_BEFORE_CRAWLS) if demand else set()
    comparable = [label not in cut and label not in thin and label != censored and label not in early
                  for label in labels]
    values = [cell.value if ok else None for cell, ok in zip(cells, comparable)]
    previous = {c.period: c.ratio for c in period_over_period(labels, values)}
    yearly = {c.period: c.ratio for c in year_over_year(labels, values)}
    events = label_events("riket" if level == "riket" else f"{level}:{region}", labels, values, by_period)
    threshold = settings.small_cell_threshold if settings is not None else 5
    completeness = [] if prepared is None else site_completeness(
        prepared, list_run_info(store).values(), geography, level, region, period, threshold=threshold)
    shares_table = None
    if family is not None and measure == "active_ads" and level in CATEGORY_LEVELS:
        shares_table = {row.period: row for row in family.extras[(level, period)].rows if row.region_code == region}

    position = {label: i for i, label in enumerate(labels)}
    rows = []
    for i, (label, cell, value) in enumerate(zip(labels, cells, values)):
        earlier = position.get(previous_year_label(label))
        standing = None
        total = parent_values.get(label)
        if parent is not None and value is not None and total is not None and inhabitants and parent_people:
            standing = rate_ratio(value, max(total - value, 0), inhabitants, parent_people - inhabitants)
        shares = None
        if shares_table is not None and label in shares_table:
            shares = category_shares(shares_table[label], cell)
        rows.append(TrendRow(
            period=label, cell=cell, per_100k=per_100k(cell, inhabitants),
            previous=previous.get(label), has_previous=i > 0 and comparable[i] and comparable[i - 1],
            year_before=yearly.get(label),
            has_year_before=earlier is not None and comparable[i] and comparable[earlier],
            standing=standing, has_standing=parent is not None and comparable[i],
            completeness=tuple(c for c in completeness if c.period == label),
            breaks=by_period.get(label, ()),
            events=tuple(e for e in events if e.period == label),
            censored=label == censored, open=label in cut, thin=thin.get(label), category_shares=shares,
            before_crawls=label in early,
        ))
    return TrendTable(
        level=level, region=region, region_name=name, period=period, measure=measure, parent=parent,
        rows=tuple(rows), slope=theil_sen(values, PERIODS_PER_YEAR[period]),
        trend_test=mann_kendall(values, SEASON.get(period)), events=tuple(events), rule=table.rule,
        method=table.method,
        prices=None if demand else region_price_series(store, geography, level, region, period, since, until,
                                                       settings),  # offer prices, beside supply measures only
    )

