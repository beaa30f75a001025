"""Data-quality awareness: crawl-quality breaks per site and period, and market change told from data artefacts.

A *crawl-quality break* is something in a site's run history that changes what the crawls see without
the market changing (see `crawl_breaks`):

- `outage` (avbrott): a failed run, or no run at all in a period between runs;
- `partial` (ofullständig insamling): a run that stopped early or had errors;
- `suspect` (misstänkt körning): a run the scheduler's health checks marked suspect;
- `pages_drop`, `items_drop` (färre sidor / annonser): under half the median of the site's recent runs;
- `parse_failures` (fler tolkningsfel): a parse failure rate well above the site's recent median;
- `fill_rate` (fält saknas): a field found on under half as many pages as usual (a layout change).

A change point or anomaly in a series is a *data artefact* ("dataartefakt") when a break falls in its
period — or, for a change point, in the period before it, since a series also jumps when a site comes
back — and a *market change* ("marknadsförändring") otherwise. Breaks on any site count for every
series, a site's own series included, because sites are linked: when one closes, its advertisers turn up
on another. Points whose period holds a break are marked too, so a reader sees which counts rest on
incomplete crawls.

`detect_market_changes` runs all of this over the store (riket, police regions and each site) for
`lagesbild evaluate`; `estimate_region_trend` estimates a region's yearly change for the same purpose.
Both read exact counts: they score the method and never reach an output table.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from statistics import median

import numpy as np

from analysis.counts import CountTable
from analysis.engine import Prepared
from analysis.periods import local_date, period_label
from analysis.trends import (
    PERIODS_PER_YEAR,
    YearlyChange,
    anomalies,
    change_points,
    yearly_change,
)
from config.geo import Geography
from store.columnar import observation_columns
from store.runs import RUNNING, USABLE_STATUSES, RunSummary, list_runs
from store.runs import SUSPECT as SUSPECT_RUN  # the run status; SUSPECT below is a break label

OUTAGE, PARTIAL, SUSPECT = "outage", "partial", "suspect"
PAGES_DROP, ITEMS_DROP, PARSE_FAILURES, FILL_RATE = "pages_drop", "items_drop", "parse_failures", "fill_rate"
BREAK_LABELS = {
    OUTAGE: "avbrott",
    PARTIAL: "ofullständig insamling",
    SUSPECT: "misstänkt körning",
    PAGES_DROP: "färre sidor",
    ITEMS_DROP: "färre annonser",
    PARSE_FAILURES: "fler tolkningsfel",
    FILL_RATE: "fält saknas",
}
MARKET_CHANGE, DATA_ARTEFACT = "market_change", "data_artefact"
EVENT_LABELS = {MARKET_CHANGE: "marknadsförändring", DATA_ARTEFACT: "dataartefakt"}

DROP_RATIO = 0.5  # pages or items below this share of the recent median
FILL_RATIO = 0.5  # a field's fill rate below this share of its recent median
MIN_BASELINE_FILL = 0.2  # a field must usually be found on at least this share of pages
MIN_PAGES_FOR_FILL = 5
PARSE_FAILURE_MARGIN = 0.05  # the parse failure rate must exceed the recent median by this much …
PARSE_FAILURE_FACTOR = 2.0  # … and be at least this many times it
BASELINE_RUNS = 8
MIN_BASELINE = 2
COUNTED = frozenset(USABLE_STATUSES)


@dataclass(frozen=True)
class CrawlBreak:
    """One crawl-quality break of one site in one period."""

    site: str
    period: str
    kind: str
    run_id: int | None = None
    detail: str = ""

    @property
    def swedish(self) -> str:
        text = BREAK_LABELS.get(self.kind, self.kind)
        return f"{self.site}: {text}" + (f" ({self.detail})" if self.detail else "")


def _parse_failure_rate(run: RunSummary) -> float | None:
    return None if run.detail_pages <= 0 else run.parse_failures / run.detail_pages


def _parsed_pages(run: RunSummary) -> int:
    return max(run.detail_pages - run.parse_failures, 0)


def _run_breaks(run: RunSummary, label: str, history: list[RunSummary]) -> list[CrawlBreak]:
    """The breaks one finished run shows against the site's earlier counted runs (newest last)."""
    found: list[CrawlBreak] = []

    def add(kind: str, detail: str = "") -> None:
        found.append(CrawlBreak(run.site, label, kind, run.id, detail))

    if run.status == "failed":
        add(OUTAGE, "misslyckad körning")
        return found
    if run.status == "partial" or run.crawl_status == "partial":
        add(PARTIAL)
    if run.status == SUSPECT_RUN:
        checks = ", ".join(str(check.get("check")) for check in (run.health or ()))
        add(SUSPECT, checks)
    baseline = history[-BASELINE_RUNS:]
    if len(baseline) >= MIN_BASELINE:
        for attribute, kind in (("pages", PAGES_DROP), ("items", ITEMS_DROP)):
            base = median(getattr(r, attribute) for r in baseline)
            value = getattr(run, attribute)
            if base and value < DROP_RATIO * base:
                add(kind, f"{value} mot median {base:g}")
        rates = [rate for rate in map(_parse_failure_rate, baseline) if rate is not None]
        rate = _parse_failure_rate(run)
        if rate is not None and rates:
            base = median(rates)
            if rate > base + PARSE_FAILURE_MARGIN and rate >= PARSE_FAILURE_FACTOR * base:
                add(PARSE_FAILURES, f"{rate:.0%} mot median {base:.0%}")
        if run.fill_rates and _parsed_pages(run) >= MIN_PAGES_FOR_FILL:
            for name, value in sorted(run.fill_rates.items()):
                earlier = [r.fill_rates[name] for r in baseline
                           if r.fill_rates and name in r.fill_rates and _parsed_pages(r) >= MIN_PAGES_FOR_FILL]
                if len(earlier) < MIN_BASELINE:
                    continue
                base = median(earlier)
                if base >= MIN_BASELINE_FILL and value < FILL_RATIO * base:
                    add(FILL_RATE, f"{name} {value:.0%} mot median {base:.0%}")
    return found


def crawl_breaks(runs: Iterable[RunSummary], period: str) -> list[CrawlBreak]:
    """Every crawl-quality break in the run history, per site and period (see the module docstring).

    Runs still running are ignored. A period with no run of a site, between periods that have one,
    is an outage of that site.
    """
    by_site: dict[str, list[RunSummary]] = defaultdict(list)
    for run in runs:
        if run.status != RUNNING:
            by_site[run.site].append(run)
    breaks: list[CrawlBreak] = []
    all_labels: set[str] = set()
    site_labels: dict[str, set[str]] = {}
    for site, site_runs in by_site.items():
        site_runs.sort(key=lambda r: (r.observed_at, r.id))
        history: list[RunSummary] = []
        labels = set()
        for run in site_runs:
            label = period_label(local_date(run.observed_at), period)
            labels.add(label)
            breaks.extend(_run_breaks(run, label, history))
            if run.status in ("complete", "partial"):  # the baseline leaves suspect runs out, as health checks do
                history.append(run)
        site_labels[site] = labels
        all_labels |= labels
    for site, site_runs in by_site.items():
        breaks.extend(_missing_runs(site, site_runs, site_labels[site], period))
    return sorted(breaks, key=lambda b: (b.period, b.site, b.kind))


_PERIOD_DAYS = {"week": 7, "month": 31, "quarter": 92, "year": 366}


def _missing_runs(site: str, runs: list[RunSummary], labels: set[str], period: str) -> list[CrawlBreak]:
    """Periods with no run of a site that usually runs at least once a period, between its first and last."""
    days = sorted({local_date(r.observed_at) for r in runs})
    if len(days) < 3:
        return []
    gaps = sorted((b - a).days for a, b in zip(days, days[1:]))
    if gaps[len(gaps) // 2] > _PERIOD_DAYS[period]:
        return []  # crawled more rarely than once a period: an empty period is expected
    missing = []
    day = days[0]
    seen = set(labels)
    while day <= days[-1]:
        label = period_label(day, period)
        if label not in seen:
            seen.add(label)
            missing.append(CrawlBreak(site, label, OUTAGE, None, "ingen körning"))
        day += timedelta(days=1)
    return missing


def occasions_by_period(runs: Iterable[RunSummary], period: str) -> dict[str, int]:
    """Crawl occasions (distinct Swedish days with a counted run) per period."""
    days: dict[str, set] = defaultdict(set)
    for run in runs:
        if run.status in COUNTED:
            day = local_date(run.observed_at)
            days[period_label(day, period)].add(day)
    return {label: len(found) for label, found in days.items()}


def thin_periods(occasions: dict[str, int], share: float = 0.75) -> dict[str, tuple[int, int]]:
    """Periods with clearly fewer crawl occasions than usual (fewer than `share` of the median): their
    distinct counts are not comparable with the others. Maps label to (occasions, usual)."""
    if len(occasions) < 3:
        return {}
    usual = sorted(occasions.values())[len(occasions) // 2]
    return {label: (n, usual) for label, n in occasions.items() if n < share * usual}


def breaks_by_period(breaks: Iterable[CrawlBreak]) -> dict[str, tuple[CrawlBreak, ...]]:
    grouped: dict[str, list[CrawlBreak]] = defaultdict(list)
    for item in breaks:
        grouped[item.period].append(item)
    return {label: tuple(items) for label, items in grouped.items()}


# --- events ------------------------------------------------------------------------


@dataclass(frozen=True)
class TrendEvent:
    """A change point or anomaly in one series, labelled market change or data artefact.

    `scope` is 'riket', '<level>:<region code>' or 'site:<site>'.
    """

    scope: str
    period: str
    kind: str  # "change_point" or "anomaly"
    direction: str  # "up" or "down"
    label: str  # MARKET_CHANGE or DATA_ARTEFACT
    breaks: tuple[CrawlBreak, ...] = ()

    @property
    def swedish(self) -> str:
        what = "brytpunkt" if self.kind == "change_point" else "avvikelse"
        arrow = "upp" if self.direction == "up" else "ned"
        return f"{what} ({arrow}): {EVENT_LABELS[self.label]}"


def label_events(scope: str, labels: Sequence[str], values: Sequence[float | None],
                 breaks: dict[str, tuple[CrawlBreak, ...]]) -> list[TrendEvent]:
    """Change points and anomalies of one series, each labelled by the breaks around it.

    A change point is a data artefact when a break falls in its period or the one before, or when it
    does not survive leaving out every period with a break (the level it leads to or from rests on
    broken crawls: a dip of two weeks is two change points, the second one a week after the outage).
    """
    events = []
    points = change_points(labels, values)
    broken = [label in breaks for label in labels]
    if any(broken):
        clean = change_points(labels, [None if b else v for b, v in zip(broken, values)])
    else:
        clean = points
    bounds = [0, *(p.index for p in points), len(labels)]
    for k, point in enumerate(points):
        i = point.index
        around = breaks.get(point.period, ()) + (breaks.get(labels[i - 1], ()) if i > 0 else ())
        survives = any(abs(c.index - i) <= 1 and c.direction == point.direction for c in clean)
        if not around and not survives:  # the breaks in the segments on either side explain it
            around = tuple(b for label in labels[bounds[k]:bounds[k + 2]] for b in breaks.get(label, ()))
        events.append(TrendEvent(scope, point.period, "change_point", point.direction,
                                 DATA_ARTEFACT if around or not survives else MARKET_CHANGE, around))
    for anomaly in anomalies(labels, values, segments=[p.index for p in points]):
        around = breaks.get(anomaly.period, ())
        events.append(TrendEvent(scope, anomaly.period, "anomaly", anomaly.direction,
                                 DATA_ARTEFACT if around else MARKET_CHANGE, around))
    return sorted(events, key=lambda e: (e.period, e.kind))


@dataclass(frozen=True)
class PeriodFlag:
    """The data-artefact flag of one scope and period: the breaks behind it and the events in it."""

    scope: str
    period: str
    breaks: tuple[CrawlBreak, ...]
    events: tuple[TrendEvent, ...] = ()

    @property
    def data_artefact(self) -> bool:
        return bool(self.breaks)


@dataclass(frozen=True)
class MarketReport:
    """What `detect_market_changes` found: every event, and a flag per scope and period with a break."""

    period: str
    events: tuple[TrendEvent, ...]
    flags: tuple[PeriodFlag, ...]
    breaks: tuple[CrawlBreak, ...] = field(default_factory=tuple)

    @property
    def market_changes(self) -> tuple[TrendEvent, ...]:
        return tuple(e for e in self.events if e.label == MARKET_CHANGE)

    def flagged(self, scope: str, period: str) -> bool:
        return any(f.scope == scope and f.period == period and f.data_artefact for f in self.flags)

    def market_changes_in(self, period: str, scopes: Iterable[str] | None = None) -> list[TrendEvent]:
        wanted = None if scopes is None else set(scopes)
        return [e for e in self.market_changes if e.period == period and (wanted is None or e.scope in wanted)]


def _series(table: CountTable, code: str, labels: Sequence[str], measure: str) -> list[float | None]:
    values = {row.period: row.values[measure] for row in table.rows if row.region_code == code}
    return [values.get(label) for label in labels]


def _site_prepared(columns, runs: Iterable[RunSummary], site: str, geography: Geography) -> Prepared:
    ids = np.array([run.id for run in runs if run.site == site], dtype=np.int64)
    return Prepared(columns.take(np.isin(columns.run, ids)), geography)


def detect_market_changes(
    store,
    geography: Geography,
    period: str = "week",
    *,
    levels: Sequence[str] = ("riket", "polisregion"),
    measure: str = "active_ads",
    sites: bool = True,
) -> MarketReport:
    """Change points and anomalies of every series (riket, each region at `levels`, each site), labelled
    market change or data artefact, plus a data-artefact flag per scope and period that has a break."""
    runs = list_runs(store, last=None)
    breaks = crawl_breaks(runs, period)
    by_period = breaks_by_period(breaks)
    labels = sorted({period_label(local_date(r.observed_at), period) for r in runs if r.status != RUNNING})
    columns = observation_columns(store)
    prepared = Prepared(columns, geography)
    events: list[TrendEvent] = []
    scopes: list[str] = []
    for level in levels:
        table = prepared.table(level, period, (measure,), cell_keys=False)
        codes = sorted({row.region_code for row in table.rows} - {"okand"}) if level != "riket" else ["SE"]
        for code in codes:
            scope = "riket" if level == "riket" else f"{level}:{code}"
            scopes.append(scope)
            events += label_events(scope, labels, _series(table, code, labels, measure), by_period)
    if sites:
        counted = [r for r in runs if r.status in COUNTED]
        for site in sorted({r.site for r in runs}):
            scope = f"site:{site}"
            scopes.append(scope)
            site_labels = {period_label(local_date(r.observed_at), period) for r in counted if r.site == site}
            table = _site_prepared(columns, counted, site, geography).table("riket", period, (measure,),
                                                                             cell_keys=False)
            values = [v if label in site_labels else None
                      for label, v in zip(labels, _series(table, "SE", labels, measure))]
            events += label_events(scope, labels, values, by_period)
    events_at: dict[tuple[str, str], list[TrendEvent]] = defaultdict(list)
    for event in events:
        events_at[(event.scope, event.period)].append(event)
    flags = []
    for scope in scopes:
        for label in labels:
            around = by_period.get(label, ())
            if around or events_at.get((scope, label)):
                flags.append(PeriodFlag(scope, label, around, tuple(events_at.get((scope, label), ()))))
    return MarketReport(period, tuple(events), tuple(flags), tuple(breaks))


# --- a region's yearly change --------------------------------------------------------


@dataclass(frozen=True)
class RegionTrend:
    """A region's estimated yearly change, for comparison with a planted trend."""

    level: str
    region: str
    period: str
    change: YearlyChange | None
    periods_used: int
    periods_left_out: tuple[str, ...]  # periods with a crawl-quality break


def estimate_region_trend(
    store,
    geography: Geography,
    level: str,
    region: str,
    period: str = "week",
    *,
    since: date | None = None,
    until: date | None = None,
    measure: str = "active_ads",
    relative_to_rest: bool = True,
) -> RegionTrend:
    """The region's relative yearly change of `measure` (log-linear Theil–Sen).

    By default relative to the rest of the country (region / (riket − region)), which cancels seasonality
    and crawl problems common to all regions, so every period is used; otherwise of the region's own
    level, leaving out the periods with a crawl-quality break."""
    from analysis.queries import prepare_counts

    runs = list_runs(store, last=None)
    by_period = breaks_by_period(crawl_breaks(runs, period))
    prepared = prepare_counts(store, geography, since, until)
    table = prepared.table(level, period, (measure,), cell_keys=False)
    riket = prepared.table("riket", period, (measure,), cell_keys=False)
    labels = [label for label in prepared.labels[period] if any(row.period == label for row in table.rows)]
    values = _series(table, region, labels, measure)
    reference = None
    if relative_to_rest:  # a site problem lowers region and rest alike: the ratio keeps every period
        left_out: tuple[str, ...] = ()
        totals = _series(riket, "SE", labels, measure)
        reference = [None if t is None or v is None else t - v for t, v in zip(totals, values)]
    else:
        left_out = tuple(label for label in labels if label in by_period)
        values = [None if label in by_period else v for label, v in zip(labels, values)]
    change = yearly_change(values, PERIODS_PER_YEAR[period], reference)
    return RegionTrend(level, region, period, change, len(labels) - len(left_out), left_out)
