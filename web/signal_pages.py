"""The signal pages: organisation, mobility and ad-feature signals per region, and flows between regions,
from protected tables only (the signal threshold); and the same for one region's page."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from analysis.counts import UNRESOLVED
from analysis.disclosure import PublishedCell, PublishedTable
from analysis.periods import PERIODS
from config.geo import Geography
from web.navigation import NotFound, RegionRef, default_selection, region_ref
from web.source import PublishedSource

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
    chosen = selected or default_selection(periods, source.quality(period))
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
    chosen = selected or default_selection(periods, source.quality(period))
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
