"""A region's page (and report): its published series with changes and rates, the regions one step below,
the trend statistics of its active ads and its demand section.

Every number here comes from a PublishedTable of web.source (disclosure-protected, one window); changes
and rates are computed from published values, so a suppressed cell makes its change "–", never a guess.
Templates (web/templates) only lay these objects out.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from analysis.counts import UNRESOLVED
from analysis.disclosure import PublishedCell, PublishedTable
from analysis.periods import PERIODS
from config.geo import Geography
from web.charts import Series, line_chart
from web.exports import MEASURE_LABELS, per_100k, population
from web.navigation import (
    PERIOD_LABELS, RIKET, SUPPRESSED_TEXT, NotFound, RegionRef, breadcrumbs, children_of, default_selection,
    region_ref, same_period_last_year, shift_period,
)
from web.quality import OPEN, STARTED, Badge, PeriodQuality
from web.signal_pages import region_flows, region_signals
from web.source import PublishedSource


@dataclass(frozen=True)
class Point:
    """One period of one region: published cells, rates per 100 000 and the period's quality."""

    period: str
    cells: dict[str, PublishedCell]
    rates: dict[str, float | None]
    quality: PeriodQuality | None
    riket_rates: dict[str, float | None] | None = None

    @property
    def badges(self) -> tuple[Badge, ...]:
        return self.quality.badges if self.quality else ()


@dataclass(frozen=True)
class Change:
    """A published value against an earlier one (both published, else no change is given)."""

    measure: str
    period: str
    value: int | None
    base_period: str | None
    base_value: int | None
    base_present: bool = True  # the base period has published data (else: no crawl then)

    @property
    def label(self) -> str:
        return MEASURE_LABELS[self.measure]

    @property
    def diff(self) -> int | None:
        if self.value is None or self.base_value is None:
            return None
        return self.value - self.base_value

    @property
    def percent(self) -> float | None:
        if self.diff is None or not self.base_value:
            return None
        return round(100 * self.diff / self.base_value, 1)

    @property
    def text(self) -> str:
        """Swedish: '+12 (+8,5 %)', or why there is no change."""
        if self.base_period is None:
            return "ingen jämförelseperiod"
        if not self.base_present:
            return f"inga uppgifter för {self.base_period}"
        if self.value is None or self.base_value is None:
            return "kan inte anges (skyddat värde)"
        sign = "+" if self.diff > 0 else ("−" if self.diff < 0 else "±")
        text = f"{sign}{abs(self.diff)}"
        if self.percent is not None:
            text += f" ({'+' if self.percent > 0 else ('−' if self.percent < 0 else '±')}" \
                    f"{abs(self.percent):.1f} %)".replace(".", ",")
        return text


@dataclass(frozen=True)
class ChildRow:
    region: RegionRef | None  # None for the unplaced row
    name: str
    cells: dict[str, PublishedCell]
    rates: dict[str, float | None]


def _percent_change(ratio) -> str:
    """A rate ratio as a change in per cent with its interval: '+12 % (−5; +31)'; '–' when none."""
    if ratio is None:
        return "–"

    def pct(r: float) -> str:
        if r == float("inf"):
            return "∞"
        return f"{(r - 1) * 100:+.0f}".replace("-", "−")

    return f"{pct(ratio.estimate)} % ({pct(ratio.low)}; {pct(ratio.high)})"


def _decimal(value: float, decimals: int = 1) -> str:
    return f"{value:,.{decimals}f}".replace(",", "\u00a0").replace(".", ",").replace("-", "−")


@dataclass(frozen=True)
class TrendRow:
    period: str
    value: int | None
    previous: object  # analysis.trends.RateRatio | None
    year: object
    standing: object  # against the rest of the parent region, per inhabitant
    events: tuple[str, ...]
    comparable: bool

    @property
    def previous_text(self) -> str:
        return _percent_change(self.previous)

    @property
    def year_text(self) -> str:
        return _percent_change(self.year)

    @property
    def standing_text(self) -> str:
        return _percent_change(self.standing)


@dataclass(frozen=True)
class TrendSummary:
    """Trend statistics of one region's active ads, computed from published values only."""

    measure: str
    parent_name: str | None
    rows: tuple[TrendRow, ...]
    slope_text: str
    test_text: str
    events_text: str


def trend_summary(source: PublishedSource, region: RegionRef, period: str, points: Sequence["Point"],
                  measure: str = "active_ads") -> TrendSummary:
    """Change with exact intervals, Theil–Sen slope, Mann–Kendall test and labelled change points
    (analysis.trends, analysis.quality) of a published series; ongoing periods are left out of the
    statistics, suppressed values never enter them."""
    from analysis.quality import EVENT_LABELS, breaks_by_period, label_events
    from analysis.trends import (
        PERIODS_PER_YEAR, SEASON, mann_kendall, period_over_period, rate_ratio, theil_sen, year_over_year,
    )

    geography = source.geography
    labels = [p.period for p in points]
    comparable = [OPEN not in p.badges and STARTED not in p.badges for p in points]  # whole periods only
    values = [p.cells[measure].value if ok else None for p, ok in zip(points, comparable)]
    previous = {c.period: c.ratio for c in period_over_period(labels, values)}
    yearly = {c.period: c.ratio for c in year_over_year(labels, values)}
    events = label_events(f"{region.level}:{region.code}", labels, values, breaks_by_period(source.breaks(period)))
    events_at: dict[str, list[str]] = {}
    for event in events:
        events_at.setdefault(event.period, []).append(event.swedish)
    parent = None
    if region.level in ("polisregion", "lan"):
        parent = ("riket", RIKET, "övriga riket")
    elif region.level == "kommun":
        lan = geography.lan_of(region.code)
        parent = ("lan", lan.code, f"övriga {lan.name}")
    standing: dict[str, object] = {}
    if parent is not None:
        parent_rows = _rows_of(source.table(parent[0], period), parent[1])
        people = population(geography, region.level, region.code)
        parent_people = population(geography, parent[0], parent[1])
        for label, value in zip(labels, values):
            total = parent_rows.get(label, {}).get(measure)
            if value is not None and total is not None and total.value is not None and people and parent_people:
                standing[label] = rate_ratio(value, max(total.value - value, 0), people, parent_people - people)
    rows = tuple(TrendRow(label, point.cells[measure].value, previous.get(label), yearly.get(label),
                          standing.get(label), tuple(events_at.get(label, ())), ok)
                 for label, point, ok in zip(labels, points, comparable))
    noun = PERIOD_LABELS[period].lower()
    slope = theil_sen(values, PERIODS_PER_YEAR[period])
    if slope is None:
        slope_text = "Theil–Sen-lutning: för få publicerade värden (minst 3 behövs)."
    else:
        relative = slope.relative_per_year
        yearly_part = "" if relative is None else (
            f", {_decimal(relative[0] * 100, 0)} % per år (95 % KI {_decimal(relative[1] * 100, 0)}; "
            f"{_decimal(relative[2] * 100, 0)})")
        slope_text = (f"Theil–Sen-lutning: {_decimal(slope.slope)} annonser per {noun} (95 % KI "
                      f"{_decimal(slope.low)}; {_decimal(slope.high)}){yearly_part}, {slope.points} värden.")
    test = mann_kendall(values, SEASON.get(period))
    test_text = ("Mann–Kendall: för få publicerade värden (minst 4 behövs)." if test is None else
                 f"{test.method}: {test.swedish} (p = {_decimal(test.p_value, 3)}, {test.points} värden).")
    points_found = [e for e in events if e.kind == "change_point"]
    events_text = ("Brytpunkter: " + "; ".join(
        f"{e.period} {'uppåt' if e.direction == 'up' else 'nedåt'} ({EVENT_LABELS[e.label]})" for e in points_found)
        + ".") if points_found else "Brytpunkter: inga funna."
    return TrendSummary(measure, parent[2] if parent else None, rows, slope_text, test_text, events_text)


@dataclass
class RegionPage:
    region: RegionRef
    crumbs: list[RegionRef]
    period_kind: str
    measures: tuple[str, ...]
    points: list[Point]
    selected: str | None
    changes_previous: list[Change]
    changes_year: list[Change]
    child_level: str | None
    children: list[ChildRow]
    chart: object
    rate_chart: object | None
    rule: str
    method: str
    coverage: str
    badges: list[Badge] = field(default_factory=list)
    selected_quality: PeriodQuality | None = None
    trend: TrendSummary | None = None
    completeness: list = field(default_factory=list)  # analysis.completeness.Completeness, per site
    signals: list = field(default_factory=list)  # (label, shown) for the selected period
    flows: list = field(default_factory=list)  # (other region, in, out) for the selected period
    demand: "DemandSection | None" = None  # the demand side (issue 9)

    @property
    def periods(self) -> list[str]:
        return [point.period for point in self.points]

    @property
    def has_suppressed(self) -> bool:
        return any(cell.suppressed for p in self.points for cell in p.cells.values()) or any(
            cell.suppressed for row in self.children for cell in row.cells.values())


def _rows_of(table: PublishedTable, code: str) -> dict[str, dict[str, PublishedCell]]:
    return {row.period: row.cells for row in table.rows if row.region_code == code}


def rates(geography: Geography, level: str, code: str, cells: dict[str, PublishedCell]) -> dict[str, float | None]:
    """Each published cell per 100 000 inhabitants of the region (None when suppressed or unplaced)."""
    inhabitants = population(geography, level, code)
    return {measure: per_100k(cell.value, inhabitants) for measure, cell in cells.items()}



def region_page(source: PublishedSource, level: str, code: str, period: str = "month",
                selected: str | None = None, chart_id: str = "chart", upto: str | None = None) -> RegionPage:
    """Everything one region's page (or report) shows for one period kind; `upto` ends the series there."""
    if period not in PERIODS:
        raise NotFound(f"okänd periodtyp {period!r}")
    geography = source.geography
    region = region_ref(geography, level, code)
    table = source.table(level, period)
    qualities = source.region_quality(level, region.code, period)
    own = _rows_of(table, region.code)
    if upto is not None:
        own = {label: cells for label, cells in own.items() if label <= upto}
    riket = _rows_of(source.table("riket", period), RIKET) if level != "riket" else None
    points = []
    for label in sorted(own):
        riket_rates = rates(geography, "riket", RIKET, riket[label]) if riket and label in riket else None
        points.append(Point(label, own[label], rates(geography, level, region.code, own[label]),
                            qualities.get(label), riket_rates))
    if selected is not None and selected not in own:
        raise NotFound(f"{region.title} har inga uppgifter för {selected}")
    chosen = selected or default_selection(sorted(own), qualities)
    changes_previous: list[Change] = []
    changes_year: list[Change] = []
    if chosen:
        previous = shift_period(chosen, period, -1)
        last_year = same_period_last_year(chosen, period)
        for measure in table.measures:
            value = own[chosen][measure].value
            changes_previous.append(Change(measure, chosen, value, previous,
                                           own[previous][measure].value if previous in own else None,
                                           previous in own))
            changes_year.append(Change(measure, chosen, value, last_year,
                                       own[last_year][measure].value if last_year in own else None,
                                       last_year in own))
    child_level, children = None, []
    below = children_of(geography, region)
    if below is not None and chosen:
        child_level, codes = below
        child_table = source.table(child_level, period)
        for row in child_table.rows:
            if row.period != chosen or row.region_code not in codes:
                continue
            ref = None if row.region_code == UNRESOLVED else region_ref(geography, child_level, row.region_code)
            children.append(ChildRow(ref, row.region_name, row.cells,
                                     rates(geography, child_level, row.region_code, row.cells)))
    labels = [p.period for p in points]
    chart = line_chart(labels, [Series(MEASURE_LABELS[m], [p.cells[m].value for p in points])
                                for m in table.measures],
                       title=f"{region.title}: antal per {PERIOD_LABELS[period].lower()}", unit="antal",
                       chart_id=chart_id)
    rate_chart = None
    if level != "riket":
        rate_chart = line_chart(
            labels,
            [Series(f"{region.name}", [p.rates["active_ads"] for p in points]),
             Series("Riket", [(p.riket_rates or {}).get("active_ads") for p in points])],
            title=f"Aktiva annonser per 100 000 invånare: {region.name} jämfört med riket",
            unit="per 100 000 inv.", chart_id=f"{chart_id}-rate")
    used = []
    for point in points:
        for badge in point.badges:
            if badge not in used:
                used.append(badge)
    coverage = source.export_context(period).coverage
    return RegionPage(region, breadcrumbs(geography, region), period, table.measures, points, chosen,
                      changes_previous, changes_year, child_level, children, chart, rate_chart, table.rule,
                      table.method, coverage, used, qualities.get(chosen) if chosen else None,
                      trend_summary(source, region, period, points),
                      [c for c in source.completeness(level, region.code, period) if c.occasions >= 2],
                      region_signals(source, region, period, chosen) if chosen else [],
                      region_flows(source, region, period, chosen) if chosen else [],
                      region_demand(source, region, period, chosen, qualities, upto))


# --- the demand side (issue 9) --------------------------------------------------------------------

@dataclass(frozen=True)
class DemandRow:
    """One period of a region, or one region in a period: the published demand cells and the number of
    buyers' ads per active ad, computed from the two published cells (".." when either is protected)."""

    period: str
    region: RegionRef | None
    name: str
    cells: dict[str, PublishedCell]
    ratio: str
    quality: PeriodQuality | None = None
    before_crawls: bool = False  # reviews dated before the first crawl: only those still listed then

    @property
    def badges(self) -> tuple[Badge, ...]:
        return self.quality.badges if self.quality else ()


@dataclass
class DemandSection:
    """Efterfrågeannonser, recensioner and unika recensenter of one region per period, and of the regions
    one step below in the selected period, from the protected demand tables only."""

    measures: tuple[str, ...]
    points: list[DemandRow]
    selected: str | None
    current: DemandRow | None
    child_level: str | None
    children: list[DemandRow]
    rule: str
    changes: list[Change] = field(default_factory=list)  # the selected period against the one before

    @property
    def has_suppressed(self) -> bool:
        return any(cell.suppressed for row in (*self.points, *self.children) for cell in row.cells.values())


def _ratios(source: PublishedSource, level: str, period: str) -> dict[tuple[str, str], str]:
    from analysis.demand import demand_supply_ratio

    return {(row.period, row.region_code): row.display
            for row in demand_supply_ratio(source.demand_table(level, period), source.table(level, period))}


def region_demand(source: PublishedSource, region: RegionRef, period: str, selected: str | None,
                  qualities: dict[str, PeriodQuality], upto: str | None = None) -> DemandSection | None:
    """The demand section of a region page or report; None when the store holds no demand data."""
    from analysis.trend_table import before_first_crawl

    geography = source.geography
    table = source.demand_table(region.level, period)
    if not table.rows:
        return None
    ratios = _ratios(source, region.level, period)
    own = {row.period: row for row in table.rows if row.region_code == region.code
           and (upto is None or row.period <= upto)}
    early = before_first_crawl(source.runs(), sorted(own), period)  # as for reviews: the strictest
    points = [DemandRow(label, region, region.name, own[label].cells, ratios.get((label, region.code), SUPPRESSED_TEXT),
                        qualities.get(label), label in early) for label in sorted(own)]
    current = next((p for p in points if p.period == selected), None)
    child_level, children = None, []
    below = children_of(geography, region)
    if below is not None and selected:
        child_level, codes = below
        child_ratios = _ratios(source, child_level, period)
        for row in source.demand_table(child_level, period).rows:
            if row.period != selected or row.region_code not in codes:
                continue
            ref = None if row.region_code == UNRESOLVED else region_ref(geography, child_level, row.region_code)
            children.append(DemandRow(selected, ref, row.region_name, row.cells,
                                      child_ratios.get((selected, row.region_code), SUPPRESSED_TEXT)))
    changes = []
    if current is not None:
        previous = shift_period(selected, period, -1)
        for measure in table.measures:
            base = own[previous].cells[measure].value if previous in own else None
            changes.append(Change(measure, selected, current.cells[measure].value, previous, base, previous in own))
    return DemandSection(table.measures, points, selected, current, child_level, children, table.rule, changes)
