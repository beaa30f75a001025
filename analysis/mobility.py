"""Mobility signals (issue 6): tokens seen in several places, touring profiles, origin–destination flows.

- **Mobile tokens:** profile or phone tokens seen in two or more kommuner within a period.
- **Touring profiles:** profile tokens seen in two or more kommuner within TOURING_WINDOW, or whose
  adverts state touring ("Turnerar: Göteborg 12–14 nov", parsers/features.py).
- **Flows:** for each profile token, its sightings in time order, one region per sighting time
  (the region most of that time's sightings were in); a move is a change of region between
  consecutive sighting times at most MAX_FLOW_GAP apart, counted as a flow from the earlier region
  to the later one, in the period of the later sighting. Flows between police regions and between
  län are published as one table each (cells "origin>destination"), protected together with the
  stricter signal threshold: a police-region flow is the sum of the län flows between its län, and
  that sum is given to disclosure control.

These are signals of movement in the market, not of trafficking: the NIJ-funded validation study
found movement language *less* associated with trafficking than with other sex work.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable, Protocol

from analysis import disclosure
from analysis.relations import CellRef, Relation
from analysis.counts import UNRESOLVED, CountRow, CountTable, cell_key, region_display_name, region_key
from analysis.periods import local_date, period_label
from config.geo import Geography

TOURING_WINDOW = timedelta(days=28)
MAX_FLOW_GAP = timedelta(days=35)
FLOW_LEVELS = ("polisregion", "lan")
FLOW_MEASURE = "flows"
PAIR_SEPARATOR = ">"


class PlacedRow(Protocol):
    profile_token: str | None
    phone_token: str | None
    kommun_code: str | None
    observed_at: datetime


def mobile_tokens(rows: Iterable[PlacedRow], period: str) -> dict[str, dict[str, set[str]]]:
    """{"profile"|"phone": {period label: tokens seen in two or more kommuner in that period}}."""
    places: dict[str, dict[tuple[str, str], set[str]]] = {"profile": defaultdict(set), "phone": defaultdict(set)}
    labels: dict[datetime, str] = {}
    for row in rows:
        if not row.kommun_code:
            continue
        label = labels.get(row.observed_at)
        if label is None:
            label = labels[row.observed_at] = period_label(local_date(row.observed_at), period)
        if row.profile_token:
            places["profile"][(label, row.profile_token)].add(row.kommun_code)
        if row.phone_token:
            places["phone"][(label, row.phone_token)].add(row.kommun_code)
    result: dict[str, dict[str, set[str]]] = {"profile": defaultdict(set), "phone": defaultdict(set)}
    for kind, by_token in places.items():
        for (label, token), kommuner in by_token.items():
            if len(kommuner) >= 2:
                result[kind][label].add(token)
    return result


def touring_profiles(rows: Iterable, window: timedelta = TOURING_WINDOW) -> set[str]:
    """Profile tokens detected as touring: in two or more kommuner within `window`, or stating touring."""
    seen: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    touring: set[str] = set()
    for row in rows:
        if not row.profile_token:
            continue
        if getattr(row, "stated_touring", None):
            touring.add(row.profile_token)
        if row.kommun_code:
            seen[row.profile_token].append((row.observed_at, row.kommun_code))
    for profile, sightings in seen.items():
        if profile in touring:
            continue
        sightings.sort()
        start = 0
        for end in range(len(sightings)):
            while sightings[end][0] - sightings[start][0] > window:
                start += 1
            if len({code for _, code in sightings[start:end + 1]}) >= 2:
                touring.add(profile)
                break
    return touring


@dataclass(frozen=True)
class FlowTable:
    """Exact origin–destination flows (moves) at one level, per period; unprotected.

    `flows[(period, origin, destination)]` counts moves; `moves` holds each cell's units (token and
    time of arrival) for the cell keys of the Cell Key Method.
    """

    level: str
    period: str
    flows: dict[tuple[str, str, str], int]
    moves: dict[tuple[str, str, str], tuple[str, ...]]

    def value(self, period: str, origin: str, destination: str) -> int:
        return self.flows.get((period, origin, destination), 0)

    def total(self, period: str | None = None) -> int:
        return sum(v for (p, _, _), v in self.flows.items() if period is None or p == period)


def od_flows(rows: Iterable[PlacedRow], geography: Geography, level: str, period: str, *,
             max_gap: timedelta = MAX_FLOW_GAP) -> FlowTable:
    """Origin–destination flows of profile tokens between regions of `level` (see the module docstring)."""
    if level not in FLOW_LEVELS + ("kommun",):
        raise ValueError(f"flows are counted between {', '.join(FLOW_LEVELS)} or kommun, not {level!r}")
    at: dict[str, dict[datetime, Counter]] = defaultdict(lambda: defaultdict(Counter))
    for row in rows:
        if row.profile_token and row.kommun_code:
            region = region_key(geography, level, row.kommun_code)
            if region != UNRESOLVED:
                at[row.profile_token][row.observed_at][region] += 1
    flows: Counter = Counter()
    moves: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for profile, by_time in at.items():
        times = sorted(by_time)
        place = [min(by_time[t].items(), key=lambda item: (-item[1], item[0]))[0] for t in times]
        for i in range(1, len(times)):
            if place[i] != place[i - 1] and times[i] - times[i - 1] <= max_gap:
                key = (period_label(local_date(times[i]), period), place[i - 1], place[i])
                flows[key] += 1
                moves[key].append(f"{profile}@{times[i].isoformat()}")
    return FlowTable(level, period, dict(flows), {k: tuple(v) for k, v in moves.items()})


def _region_codes(geography: Geography, level: str) -> list[str]:
    if level == "polisregion":
        return list(geography.polisregioner)
    if level == "lan":
        return sorted(geography.lan)
    return sorted(geography.kommuner)


def pair_code(origin: str, destination: str) -> str:
    return f"{origin}{PAIR_SEPARATOR}{destination}"


def flow_count_table(flows: FlowTable, geography: Geography, periods: Iterable[str] | None = None) -> CountTable:
    """Flows as a CountTable for disclosure control: one row per period and (origin>destination) pair,
    every pair of distinct regions listed, zeros included."""
    codes = _region_codes(geography, flows.level)
    labels = sorted(set(periods) if periods is not None else {p for p, _, _ in flows.flows})
    rows = []
    for label in labels:
        for origin in codes:
            for destination in codes:
                if origin == destination:
                    continue
                key = (label, origin, destination)
                name = (f"{region_display_name(geography, flows.level, origin)} → "
                        f"{region_display_name(geography, flows.level, destination)}")
                rows.append(CountRow(label, pair_code(origin, destination), name, {FLOW_MEASURE: flows.value(*key)},
                                     {FLOW_MEASURE: cell_key(flows.moves.get(key, ()))}))
    return CountTable(flows.level, flows.period, (FLOW_MEASURE,), tuple(rows))


def flow_relations(tables: Iterable[CountTable], geography: Geography) -> list[Relation]:
    """Police-region flow = Σ län flows between its län, for every period both levels have."""
    cells = {(t.level, row.period, row.region_code) for t in tables for row in t.rows}
    periods = {period for level, period, _ in cells if level == "polisregion"} & {
        period for level, period, _ in cells if level == "lan"}
    relations = []
    for label in sorted(periods):
        for origin in geography.polisregioner:
            for destination in geography.polisregioner:
                if origin == destination:
                    continue
                total = CellRef("polisregion", pair_code(origin, destination), label)
                parts = tuple(CellRef("lan", pair_code(a.code, b.code), label)
                              for a in geography.lan_in_polisregion(origin)
                              for b in geography.lan_in_polisregion(destination))
                if ("polisregion", label, total.region) in cells and all(
                        ("lan", label, part.region) in cells for part in parts):
                    relations.append(Relation(total, parts, "polisregion=lan/flode"))
    return relations


def protect_flows(rows: Iterable[PlacedRow], geography: Geography, period: str,
                  settings=None) -> dict[tuple[str, str], disclosure.PublishedTable]:
    """Flow tables of both levels and every related period, protected together (signal threshold)."""
    rows = list(rows)
    options = disclosure.settings_options(settings) if settings is not None else {}
    kinds = disclosure.RELATED_PERIODS[period]
    keys = [(level, kind) for kind in kinds for level in FLOW_LEVELS]
    flow_tables = {key: od_flows(rows, geography, *key) for key in keys}
    labels = {kind: sorted({p for (lvl, k), t in flow_tables.items() if k == kind for p, _, _ in t.flows}
                           | _row_labels(rows, kind)) for kind in kinds}
    tables = [flow_count_table(flow_tables[key], geography, labels[key[1]]) for key in keys]
    published = disclosure.protect_family(tables, geography, extra_relations=flow_relations(tables, geography),
                                          **options)
    return dict(zip(keys, published))


def _row_labels(rows: Iterable[PlacedRow], period: str) -> set[str]:
    return {period_label(local_date(t), period) for t in {row.observed_at for row in rows}}



@dataclass(frozen=True)
class FlowMatrix:
    """One period's protected flows as origin × destination: region codes in order, names, published cells."""

    period: str
    codes: tuple[str, ...]
    names: dict[str, str]
    cells: dict[tuple[str, str], Any]  # (origin, destination) -> PublishedCell


def flow_matrices(table) -> list[FlowMatrix]:
    """The protected flows table (rows "origin>destination") as one matrix per period, in period order."""
    matrices = []
    for period in sorted({row.period for row in table.rows}):
        cells, names = {}, {}
        for row in table.rows:
            if row.period == period:
                origin, destination = row.region_code.split(PAIR_SEPARATOR)
                cells[(origin, destination)] = row.cells[FLOW_MEASURE]
                names[origin], names[destination] = row.region_name.split(" → ")
        codes = tuple(dict.fromkeys(code for pair in cells for code in pair))
        matrices.append(FlowMatrix(period, codes, names, cells))
    return matrices
