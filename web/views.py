"""What each dashboard page and report shows, gathered in one place from published tables only.

Every number here comes from a PublishedTable of web.source (disclosure-protected, one window); changes
and rates are computed from published values, so a suppressed cell makes its change "–", never a guess.
Templates (web/templates) only lay these objects out.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Sequence
from urllib.parse import quote

from analysis.counts import LEVELS, UNRESOLVED
from analysis.disclosure import PublishedCell, PublishedTable
from analysis import periods
from analysis.periods import PERIODS
from config.geo import Geography
from web.charts import Series, line_chart
from web.exports import MEASURE_LABELS, per_100k, population
from web.quality import OPEN, STARTED, Badge, PeriodQuality
from web.source import PublishedSource

LEVEL_LABELS = {"riket": "Riket", "polisregion": "Polisregion", "lan": "Län", "kommun": "Kommun"}
LEVEL_PLURAL = {"riket": "Riket", "polisregion": "Polisregioner", "lan": "Län", "kommun": "Kommuner"}
PERIOD_LABELS = {"week": "Vecka", "month": "Månad", "quarter": "Kvartal", "year": "År"}
PERIOD_NOUNS = {"week": "veckan", "month": "månaden", "quarter": "kvartalet", "year": "året"}
CHILD_LEVEL = {"riket": "polisregion", "polisregion": "lan", "lan": "kommun"}
RIKET = "SE"
UNRESOLVED_NAME = "Okänd plats"
SUPPRESSED_TEXT = ".."


class NotFound(LookupError):
    """A region or period the dashboard does not know."""


# --- periods --------------------------------------------------------------------------

def period_kind(label: str) -> str:
    """The kind of a period label (analysis.periods.period_kind); NotFound when it is none."""
    kind = periods.period_kind(label)
    if kind is None:
        raise NotFound(f"okänd period {label!r}")
    return kind


def parse_period(label: str) -> tuple[str, str]:
    """(kind, normalised label) of a period such as 2026-Q3, 2026-11, 2026-W47 or 2026; NotFound if invalid."""
    text = label.strip().upper()
    try:
        if "-W" in text:
            year, week = text.split("-W")
            date.fromisocalendar(int(year), int(week), 1)
            return "week", f"{int(year)}-W{int(week):02d}"
        if "-Q" in text:
            year, quarter = text.split("-Q")
            if not 1 <= int(quarter) <= 4:
                raise ValueError
            return "quarter", f"{int(year)}-Q{int(quarter)}"
        if "-" in text:
            year, month = text.split("-")
            if not 1 <= int(month) <= 12 or len(year) != 4:
                raise ValueError
            return "month", f"{int(year)}-{int(month):02d}"
        if text.isdigit() and len(text) == 4:
            return "year", text
    except ValueError:
        pass
    raise NotFound(f"{label!r} är ingen period; skriv till exempel 2026-Q3, 2026-11, 2026-W47 eller 2026")


def shift_period(label: str, kind: str, steps: int) -> str | None:
    """The label `steps` periods after (negative: before) `label`."""
    if kind == "week":
        year, week = label.split("-W")
        monday = date.fromisocalendar(int(year), int(week), 1) + timedelta(weeks=steps)
        iso = monday.isocalendar()
        return f"{iso[0]}-W{iso[1]:02d}"
    if kind == "month":
        year, month = map(int, label.split("-"))
        index = year * 12 + month - 1 + steps
        return f"{index // 12}-{index % 12 + 1:02d}"
    if kind == "quarter":
        year, quarter = label.split("-Q")
        index = int(year) * 4 + int(quarter) - 1 + steps
        return f"{index // 4}-Q{index % 4 + 1}"
    if kind == "year":
        return str(int(label) + steps)
    raise NotFound(f"okänd periodtyp {kind!r}")


def same_period_last_year(label: str, kind: str) -> str | None:
    if kind == "week":
        year, week = label.split("-W")
        try:
            date.fromisocalendar(int(year) - 1, int(week), 1)
        except ValueError:
            return None  # week 53 has no twin
        return f"{int(year) - 1}-W{week}"
    if kind in ("month", "quarter"):
        year, rest = label.split("-", 1)
        return f"{int(year) - 1}-{rest}"
    return str(int(label) - 1)


# --- regions --------------------------------------------------------------------------

@dataclass(frozen=True)
class RegionRef:
    level: str
    code: str
    name: str

    @property
    def url(self) -> str:
        return "/" if self.level == "riket" else f"/{self.level}/{quote(self.code)}"

    @property
    def title(self) -> str:
        if self.level in ("riket", "lan"):
            return self.name
        return f"{LEVEL_LABELS[self.level]} {self.name}"


def region_ref(geography: Geography, level: str, code: str) -> RegionRef:
    """A known region, or NotFound. Police regions are named by their name ("Väst")."""
    if level not in LEVELS:
        raise NotFound(f"okänd nivå {level!r}")
    if level == "riket":
        return RegionRef("riket", RIKET, "Riket")
    try:
        return RegionRef(level, code, geography.region_name(level, code))
    except (KeyError, ValueError):
        raise NotFound(f"okänd {LEVEL_LABELS[level].lower()} {code!r}") from None


def find_region(geography: Geography, level: str, text: str) -> RegionRef:
    """A region by code or name (case-insensitive), e.g. "Väst", "14", "Västra Götalands län", "Göteborg"."""
    wanted = text.strip().casefold()
    if level == "riket":
        return region_ref(geography, "riket", RIKET)
    if level == "polisregion":
        candidates = {name: name for name in geography.polisregioner}
    elif level == "lan":
        candidates = {code: lan.name for code, lan in geography.lan.items()}
    elif level == "kommun":
        candidates = {code: kommun.name for code, kommun in geography.kommuner.items()}
    else:
        raise NotFound(f"okänd nivå {level!r}")
    for code, name in candidates.items():
        if wanted in (code.casefold(), name.casefold()):
            return region_ref(geography, level, code)
    raise NotFound(f"okänd {LEVEL_LABELS[level].lower()} {text!r}")


def breadcrumbs(geography: Geography, region: RegionRef) -> list[RegionRef]:
    """Riket › polisregion › län › kommun down to `region`."""
    crumbs = [region_ref(geography, "riket", RIKET)]
    if region.level == "kommun":
        lan = geography.lan_of(region.code)
        crumbs += [region_ref(geography, "polisregion", lan.polisregion), region_ref(geography, "lan", lan.code)]
    elif region.level == "lan":
        crumbs.append(region_ref(geography, "polisregion", geography.lan[region.code].polisregion))
    if region.level != "riket":
        crumbs.append(region)
    return crumbs


def children_of(geography: Geography, region: RegionRef) -> tuple[str, set[str]] | None:
    """(level, codes) of the regions one step below, or None for a kommun."""
    level = CHILD_LEVEL.get(region.level)
    if level is None:
        return None
    if region.level == "riket":
        return level, set(geography.polisregioner) | {UNRESOLVED}
    if region.level == "polisregion":
        return level, {lan.code for lan in geography.lan_in_polisregion(region.code)}
    return level, {kommun.code for kommun in geography.kommuner_in_lan(region.code)}


# --- page data ----------------------------------------------------------------------------

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


def _rates(geography: Geography, level: str, code: str, cells: dict[str, PublishedCell]) -> dict[str, float | None]:
    inhabitants = population(geography, level, code)
    return {measure: per_100k(cell.value, inhabitants) for measure, cell in cells.items()}


def default_selection(points: Sequence[Point]) -> str | None:
    """The latest whole period: ended (an ongoing one undercounts) and not cut by the start of the series;
    else the latest ended one; else the latest."""
    for acceptable in ((OPEN, STARTED), (OPEN,), ()):
        chosen = [p.period for p in points if not set(acceptable) & set(p.badges)]
        if chosen:
            return chosen[-1]
    return None


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
        riket_rates = _rates(geography, "riket", RIKET, riket[label]) if riket and label in riket else None
        points.append(Point(label, own[label], _rates(geography, level, region.code, own[label]),
                            qualities.get(label), riket_rates))
    if selected is not None and selected not in own:
        raise NotFound(f"{region.title} har inga uppgifter för {selected}")
    chosen = selected or default_selection(points)
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
                                     _rates(geography, child_level, row.region_code, row.cells)))
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


def hierarchy(geography: Geography) -> list[dict]:
    """Police regions with their län and kommuner, for the region picker and the API."""
    result = []
    for name in geography.polisregioner:
        lans = []
        for lan in geography.lan_in_polisregion(name):
            lans.append({"kod": lan.code, "namn": lan.name, "folkmangd": geography.population_of("lan", lan.code),
                         "kommuner": [{"kod": k.code, "namn": k.name, "folkmangd": geography.population[k.code]}
                                      for k in geography.kommuner_in_lan(lan.code)]})
        result.append({"namn": name, "folkmangd": geography.population_of("polisregion", name), "lan": lans})
    return result


# --- signals and flows -------------------------------------------------------------------------

ORGANISATION = ("network_adverts", "template_adverts", "touring_adverts")
MOBILITY = ("mobile_profiles", "mobile_phones")
FEATURES = ("obscured_phone_adverts", "ethnicity_adverts", "youth_adverts", "trust_adverts")
SIGNAL_TOTAL = "active_adverts"
SIGNAL_SHORT = {
    "active_adverts": "Unika annonser", "network_adverts": "I nätverk", "template_adverts": "I textmallar",
    "touring_adverts": "Anger turné", "mobile_profiles": "Rörliga profiler", "mobile_phones": "Rörliga nummer",
    "obscured_phone_adverts": "Dolt nummer", "ethnicity_adverts": "Etnicitet angiven",
    "youth_adverts": "Ungdomligt språk", "trust_adverts": "Pålitlighetsspråk",
    "phone_clusters_2": "2 profiler", "phone_clusters_3_5": "3–5 profiler", "phone_clusters_6_10": "6–10 profiler",
    "phone_clusters_11_plus": "11+ profiler",
}
SIGNAL_LEVELS = ("riket", "polisregion", "lan", "kommun")
FLOW_LEVEL_LABELS = {"polisregion": "polisregioner", "lan": "län"}


def share_text(count: PublishedCell, total: PublishedCell) -> str:
    """'12 (8 %)': a published count with its share of the published total; '..' when suppressed."""
    if count.value is None:
        return count.display
    if total.value is None or total.value == 0:
        return count.display
    return f"{count.display} ({round(100 * count.value / total.value)} %)"


@dataclass(frozen=True)
class SignalRow:
    region: RegionRef | None
    name: str
    total: PublishedCell
    values: tuple[tuple[str, str], ...]  # (measure, shown text)


@dataclass
class SignalsPage:
    level: str
    period: str
    periods: list[str]
    selected: str | None
    organisation: list[SignalRow]
    features: list[SignalRow]
    clusters: PublishedTable | None
    rule: str
    cluster_rule: str


def _signal_rows(table: PublishedTable, geography: Geography, label: str, measures: Sequence[str],
                 codes: set[str] | None = None, hide_empty: bool = False) -> list[SignalRow]:
    rows = []
    for row in table.rows:
        if row.period != label or (codes is not None and row.region_code not in codes):
            continue
        if hide_empty and all(cell.value == 0 for cell in row.cells.values()):
            continue
        total = row.cells[SIGNAL_TOTAL]
        ref = None if row.region_code == UNRESOLVED else region_ref(geography, table.level, row.region_code)
        shown = tuple((m, share_text(row.cells[m], total) if m not in MOBILITY else row.cells[m].display)
                      for m in measures)
        rows.append(SignalRow(ref, row.region_name, total, shown))
    return rows


def signals_page(source: PublishedSource, level: str = "polisregion", period: str = "quarter",
                 selected: str | None = None) -> SignalsPage:
    """Organisation, mobility and ad-feature signals per region for one period (signal threshold)."""
    if level not in SIGNAL_LEVELS:
        raise NotFound(f"okänd nivå {level!r}")
    if period not in PERIODS:
        raise NotFound(f"okänd periodtyp {period!r}")
    table = source.signal_table(level, period)
    periods = sorted({row.period for row in table.rows})
    if selected is not None and selected not in periods:
        raise NotFound(f"inga signaler för {selected}")
    qualities = source.quality(period)
    points = [Point(label, {}, {}, qualities.get(label)) for label in periods]
    chosen = selected or default_selection(points)
    organisation = _signal_rows(table, source.geography, chosen, ORGANISATION + MOBILITY,
                                hide_empty=level == "kommun") if chosen else []
    features = _signal_rows(table, source.geography, chosen, FEATURES, hide_empty=level == "kommun") if chosen else []
    clusters = source.cluster_sizes(period)
    return SignalsPage(level, period, periods, chosen, organisation, features, clusters, table.rule,
                       clusters.rule if clusters is not None else "")


@dataclass
class FlowPage:
    level: str
    period: str
    periods: list[str]
    selected: str | None
    codes: list[str]
    names: dict[str, str]
    cells: dict[tuple[str, str], PublishedCell]
    rule: str

    def cell(self, origin: str, destination: str) -> PublishedCell | None:
        return self.cells.get((origin, destination))


def flows_page(source: PublishedSource, level: str = "polisregion", period: str = "quarter",
               selected: str | None = None) -> FlowPage:
    """One period's protected flows as an origin × destination matrix."""
    if level not in FLOW_LEVEL_LABELS:
        raise NotFound(f"flöden finns mellan polisregioner och län, inte {level!r}")
    if period not in PERIODS:
        raise NotFound(f"okänd periodtyp {period!r}")
    table = source.flows(level, period)
    periods = sorted({row.period for row in table.rows})
    if selected is not None and selected not in periods:
        raise NotFound(f"inga flöden för {selected}")
    qualities = source.quality(period)
    chosen = selected or default_selection([Point(label, {}, {}, qualities.get(label)) for label in periods])
    cells: dict[tuple[str, str], PublishedCell] = {}
    names: dict[str, str] = {}
    for row in table.rows:
        if row.period != chosen:
            continue
        origin, _, destination = row.region_code.partition(">")
        origin_name, _, destination_name = row.region_name.partition(" → ")
        names[origin], names[destination] = origin_name, destination_name
        cells[(origin, destination)] = row.cells["flows"]
    codes = list(source.geography.polisregioner) if level == "polisregion" else sorted(names)
    return FlowPage(level, period, periods, chosen, [c for c in codes if c in names], names, cells, table.rule)


def region_signals(source: PublishedSource, region: RegionRef, period: str, label: str) -> list[tuple[str, str]]:
    """(label, shown value) of one region's signals in one period."""
    table = source.signal_table(region.level, period)
    for row in table.rows:
        if row.period == label and row.region_code == region.code:
            total = row.cells[SIGNAL_TOTAL]
            result = [(SIGNAL_SHORT[SIGNAL_TOTAL], total.display)]
            for measure in ORGANISATION + FEATURES:
                result.append((SIGNAL_SHORT[measure], share_text(row.cells[measure], total)))
            result += [(SIGNAL_SHORT[m], row.cells[m].display) for m in MOBILITY]
            return result
    return []


def region_flows(source: PublishedSource, region: RegionRef, period: str, label: str) -> list[tuple[str, str, str]]:
    """(other region, flows from it into this region, flows from this region to it), shown values."""
    if region.level not in FLOW_LEVEL_LABELS:
        return []
    page = flows_page(source, region.level, period, label if label in source_flow_periods(source, region.level,
                                                                                          period) else None)
    if page.selected != label:
        return []
    result = []
    for other in page.codes:
        if other == region.code:
            continue
        into, out = page.cell(other, region.code), page.cell(region.code, other)
        result.append((page.names[other], into.display if into else "–", out.display if out else "–"))
    return result


def source_flow_periods(source: PublishedSource, level: str, period: str) -> set[str]:
    return {row.period for row in source.flows(level, period).rows}
