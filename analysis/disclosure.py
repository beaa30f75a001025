"""Disclosure control: the only way from exact counts to publishable tables (suppression or the Cell Key Method).

Every output (CLI tables, exports, dashboard, reports, API) takes a PublishedTable, which only this module
makes. Suppressed cells are published as ".." (value None, status ".."), never as 0. Two methods:

* Suppression (the default, "suppression-v2"). Primary: counts from 1 to threshold-1. Secondary: tables an
  attacker can hold side by side are protected together as a *family* (protect_family): the four levels
  kommun → län → polisregion → riket of one window and, for months, quarters and years too
  (RELATED_PERIODS; ISO weeks nest in neither, so week tables are protected within their own geography).
  The relations are those of analysis.relations.hierarchy_relations. The pattern grows until
  1. no relation holds exactly one suppressed cell, and suppressed parts under a published total of an
     additive relation sum to more than their number + 4 (cheap rules, applied first);
  2. an informed attacker cannot pin any suppressed cell to within ±2 (max − min ≤ 4, LP bounds). The
     measures are distinct counts, only roughly additive; this attacker treats every relation whose true
     deviation from an exact sum is at most ±4 as an exact sum and knows that deviation (the conservative
     reading of "treat them as additive"); relations further off hold only as part ≤ total ≤ Σ parts;
  3. the audit's attacker (analysis.attack), which only reads the published numbers, cannot either, so
     `lagesbild audit-disclosure` finds nothing in any set of the family's exports.
  Each round, every exposed cell gets one complement: the smallest non-zero published cell of the
  smallest relation around it, or around a suppressed neighbour in a small relation (so a kommun in an
  all-suppressed län is covered by a neighbouring län, not by a kommun far away); when every cell there is
  hidden or 0, from the nearest relation of any size around the hidden cells linked to it. Zeros are always
  published (an empty kommun is not sensitive) and never used as complements, since they hide nothing.
  Limits: LP (not integer) bounds; the greedy complements are not minimal; a family is one window, so
  tables of overlapping windows (say Jan–Mar and Jan–Feb) can still be differenced; a year of a market with
  thousands of ads takes tens of seconds.
* The Cell Key Method ("ckm-v1"), as SCB uses for population statistics. Each cell gets noise drawn from its
  persistent cell key (analysis.counts.cell_key: the same units always give the same key), so the same cell
  gets the same published value on every run. 0 stays 0; 1..threshold-1 become threshold with probability
  value/threshold and otherwise 0 (unbiased); larger values get d in −2..2 with probabilities
  10, 20, 40, 20 and 10 %, narrowed symmetrically near the threshold so that no result falls in
  1..threshold-1 and the noise stays unbiased. Nothing is suppressed; the rule says the values are perturbed.

Signal measures (SIGNAL_MEASURES, e.g. profiles in shared-phone clusters) use the stricter signal threshold.
Category totals are not counted yet; when they are, they become more relations of the same kind.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import Hashable, Iterable, Mapping

from analysis.attack import RECOVERABLE_WIDTH, cell_intervals
from analysis.relations import SUPPRESSED, CellRef, Relation, hierarchy_relations
from analysis.counts import LEVELS, CountTable
from config.geo import Geography, load_geography

SUPPRESSION = "suppression"
CKM = "ckm"
METHODS = (SUPPRESSION, CKM)
METHOD_VERSIONS = {SUPPRESSION: "suppression-v2", CKM: "ckm-v1"}
DEFAULT_THRESHOLD = 5
DEFAULT_SIGNAL_THRESHOLD = 10
# Measures that are signals rather than plain ad counts; they get the signal threshold.
SIGNAL_MEASURES: frozenset[str] = frozenset({
    # organisation, mobility and ad-feature signals (analysis/signals.py, analysis/mobility.py)
    "network_adverts", "template_adverts", "touring_adverts", "obscured_phone_adverts", "ethnicity_adverts",
    "youth_adverts", "trust_adverts", "mobile_profiles", "mobile_phones", "flows",
    "phone_clusters_2", "phone_clusters_3_5", "phone_clusters_6_10", "phone_clusters_11_plus",
})
# Periods that add up, so they are protected together; weeks stand alone.
RELATED_PERIODS = {"week": ("week",), "month": ("month", "quarter", "year"),
                   "quarter": ("month", "quarter", "year"), "year": ("month", "quarter", "year")}
CKM_NOISE = ((-2, 0.1), (-1, 0.2), (0, 0.4), (1, 0.2), (2, 0.1))
CKM_MAX_NOISE = 2
_NEAR_PARTS = 30  # relations with more parts (riket = Σ kommuner) are not used to look for nearby complements
log = logging.getLogger(__name__)

class DisclosureError(Exception):
    """Counts that cannot be protected (inconsistent tables or an impossible pattern)."""


@dataclass(frozen=True)
class PublishedCell:
    """A value safe to show: `value` is None when suppressed, `display` is what users see."""

    value: int | None
    display: str

    @property
    def suppressed(self) -> bool:
        return self.value is None

    @property
    def status(self) -> str:
        """SCB's status code: '..' for a suppressed cell, '' otherwise."""
        return SUPPRESSED if self.value is None else ""


@dataclass(frozen=True)
class PublishedRow:
    period: str
    region_code: str
    region_name: str
    cells: dict[str, PublishedCell]


@dataclass(frozen=True)
class PublishedTable:
    """A protected table: `rule` says in Swedish how it was protected, `method` names the method and version."""

    level: str
    period: str
    measures: tuple[str, ...]
    rows: tuple[PublishedRow, ...]
    rule: str
    method: str = METHOD_VERSIONS[SUPPRESSION]

    def cell(self, period: str, region_code: str, measure: str) -> PublishedCell:
        for row in self.rows:
            if row.period == period and row.region_code == region_code:
                return row.cells[measure]
        raise KeyError((period, region_code))


def threshold_for(measure: str, threshold: int, signal_threshold: int,
                  signal_measures: Iterable[str] = SIGNAL_MEASURES) -> int:
    """The threshold of one measure: the stricter of the two for signal measures."""
    return max(threshold, signal_threshold) if measure in set(signal_measures) else threshold


def settings_options(settings) -> dict:
    """Keyword arguments for protect/protect_family from config.settings.Settings."""
    return {"method": settings.disclosure_method, "threshold": settings.small_cell_threshold,
            "signal_threshold": settings.signal_threshold}


# --- the Cell Key Method ----------------------------------------------------------

def perturb(value: int, key: float, threshold: int) -> int:
    """The CKM value of a cell: deterministic in (value, key), never in 1..threshold-1, unbiased."""
    if value <= 0:
        return 0
    if value < threshold:
        return threshold if key < value / threshold else 0
    reach = min(CKM_MAX_NOISE, value - threshold)
    noise = [(d, p) for d, p in CKM_NOISE if abs(d) <= reach]
    total = sum(p for _, p in noise)
    cumulative = 0.0
    for d, p in noise:
        cumulative += p / total
        if key < cumulative:
            return value + d
    return value + noise[-1][0]


# --- suppression -------------------------------------------------------------------

_LEVEL_RANK = {level: rank for rank, level in enumerate(reversed(LEVELS))}  # kommun first


def _is_national(cell) -> bool:
    return isinstance(cell, CellRef) and cell.level == "riket"


def _preference(values: Mapping, cell) -> tuple:
    """Smallest value first; on a tie the lowest level, then a stable order."""
    level = cell.level if isinstance(cell, CellRef) else ""
    return values[cell], _LEVEL_RANK.get(level, 0), repr(cell)


def suppression_pattern(
    values: Mapping[Hashable, int], relations: Iterable[Relation], threshold: int,
    *, initial: Iterable[Hashable] = (), keep: Iterable[Hashable] = (),
) -> frozenset:
    """The cells to suppress: primary (1..threshold-1) plus complements until no cell can be recovered.

    `initial` cells start suppressed (already suppressed in another table); `keep` cells are never chosen
    as complements (already published elsewhere).
    """
    if threshold < 1:
        raise ValueError("threshold must be at least 1")
    suppressed = {cell for cell, value in values.items() if 0 < value < threshold}
    suppressed |= {cell for cell in initial if cell in values}
    keep = frozenset(keep)
    if not suppressed:
        return frozenset()
    relations = [r for r in relations if all(c in values for c in r.cells)]
    relations_of: dict = defaultdict(list)
    for relation in relations:
        for cell in set(relation.cells):
            relations_of[cell].append(relation)

    additive = {r: values[r.total] == sum(values[p] for p in r.parts) for r in relations}

    def complement(among: Iterable[Relation], spare_totals: bool = False):
        candidates = {c for r in among for c in r.cells if c not in suppressed and values[c] > 0 and c not in keep
                      and not (spare_totals and _is_national(c))}
        return min(candidates, key=lambda c: _preference(values, c)) if candidates else None

    def linked(cell) -> list[Relation]:
        """Every relation around the suppressed cells linked to `cell` through relations, nearest first and
        of any size: where the bound that pins `cell` comes from when all cells around it are hidden."""
        seen, frontier, seen_relations, ordered = {cell}, [cell], set(), []
        while frontier:
            ring = [r for c in frontier for r in relations_of[c] if r not in seen_relations]
            ring = sorted(dict.fromkeys(ring), key=lambda r: len(r.parts))
            seen_relations.update(ring)
            ordered += ring
            frontier = [c for c in dict.fromkeys(c for r in ring for c in r.cells)
                        if c in suppressed and c not in seen]
            seen.update(frontier)
        return ordered

    def close_structurally(start: Iterable) -> None:
        """Cheap rules first: no relation may hold exactly one suppressed cell (its value would be the
        difference), and suppressed parts under a published total must not sum to too little."""
        work = [r for cell in start for r in relations_of[cell]]
        while work:
            relation = work.pop()
            hidden = [c for c in relation.cells if c in suppressed]
            too_few = len(hidden) == 1
            too_small = (relation.total not in suppressed and len(hidden) > 1 and additive[relation]
                         and sum(values[c] for c in hidden) - len(hidden) <= RECOVERABLE_WIDTH)
            if too_few or too_small:
                chosen = complement([relation])
                if chosen is not None:
                    suppressed.add(chosen)
                    work.extend(relations_of[chosen])
                    work.append(relation)

    close_structurally(sorted(suppressed, key=repr))
    # Suppressed cells are at least 1, except cells hidden from the start (`initial`) that may be 0
    # (new ads where active ads are hidden): there the attacker, too, must allow 0.
    floor = 0 if any(values[cell] == 0 for cell in suppressed) else 1
    # Two attackers: an informed one that knows every nearly additive relation's exact sum, and the
    # audit's, which only reads the published numbers.
    strong_cache: dict = {}
    audit_cache: dict = {}
    while True:
        known = {cell: value for cell, value in values.items() if cell not in suppressed}
        exposed = cell_intervals(known, suppressed, relations, only_recoverable=True, truth=values,
                                 cache=strong_cache, rough=True, floor=floor)
        if not exposed:
            exposed = cell_intervals(known, suppressed, relations, only_recoverable=True, cache=audit_cache,
                                     rough=True, skip_if_weaker=values, floor=floor)
        if not exposed:
            return frozenset(suppressed)
        added = []
        for cell in sorted(exposed, key=repr):
            around = relations_of[cell]
            if any(new in r.cells for new in added for r in around):
                continue  # a complement added this round may already widen it
            # The smallest relation around the cell, or one step further out, that still has a candidate
            # (so a kommun whose län is all suppressed gets a neighbouring län, not a kommun far away).
            small = [r for r in around if len(r.parts) <= _NEAR_PARTS]
            further = [r2 for r in small for c in r.cells if c in suppressed and c != cell for r2 in relations_of[c]
                       if len(r2.parts) <= _NEAR_PARTS]
            ordered = sorted(dict.fromkeys(around + further), key=lambda r: (len(r.parts), r not in around))
            # The national total is what users need most: hide it only when no other cell would do.
            chosen = next((c for c in map(lambda r: complement([r], spare_totals=True), ordered) if c is not None),
                          None)
            if chosen is None:
                chosen = next((c for c in map(lambda r: complement([r]), ordered) if c is not None), None)
            if chosen is None:
                # Every cell around it is hidden or 0, yet it is pinned: the bound comes through hidden
                # neighbours from a relation further out or too large to look at above (say a kommun's
                # quarter under a län of 49 kommuner). Hide in the nearest such relation instead.
                further_out = linked(cell)
                chosen = next((c for c in map(lambda r: complement([r], spare_totals=True), further_out)
                               if c is not None), None)
                if chosen is None:
                    chosen = next((c for c in map(lambda r: complement([r]), further_out) if c is not None), None)
                if chosen is not None:
                    log.info("disclosure: %r is protected by hiding %r, further out", cell, chosen)
            if chosen is not None:
                suppressed.add(chosen)
                added.append(chosen)
        if not added:
            raise DisclosureError(f"cannot protect {sorted(exposed, key=repr)[0]!r}: no cell left to suppress")
        close_structurally(added)


# --- tables ------------------------------------------------------------------------

# Marks every output protected with thresholds below the protective minimum (DEFAULT_THRESHOLD for counts,
# DEFAULT_SIGNAL_THRESHOLD for signals), which config.settings allows only with
# LAGESBILD_DISCLOSURE_UNSAFE_FOR_TESTS=1. The rule text carries it into every table, export and page.
NOT_FOR_PUBLICATION = "EJ FÖR PUBLICERING: skyddsgränser under miniminivån (endast för test)"


def unsafe_thresholds(threshold: int, signal_threshold: int) -> bool:
    """True when either threshold is below its protective minimum: the output is not for publication."""
    return threshold < DEFAULT_THRESHOLD or signal_threshold < DEFAULT_SIGNAL_THRESHOLD


def _rule(method: str, thresholds: Mapping[str, int], signal_measures: Iterable[str], unsafe: bool = False) -> str:
    plain = sorted({t for m, t in thresholds.items() if m not in set(signal_measures)})
    signal = sorted({t for m, t in thresholds.items() if m in set(signal_measures)})
    text = _rule_text(method, plain, signal)
    return f"{NOT_FOR_PUBLICATION}. {text}" if unsafe else text


def _rule_text(method: str, plain: list[int], signal: list[int]) -> str:
    version = METHOD_VERSIONS[method]

    def span(t: int) -> str:
        return f"1–{t - 1}" if t > 2 else "1"

    if method == CKM:
        parts = [f"{span(t)} visas som 0 eller {t}" for t in plain]
        parts += [f"signalmått: {span(t)} visas som 0 eller {t}" for t in signal]
        return (f"{version}: varje värde har ett litet brus (±{CKM_MAX_NOISE}) från en beständig cellnyckel; "
                + "; ".join(parts))
    parts = [f"värden {span(t)}" for t in plain if t > 1] + [f"signalmått {span(t)}" for t in signal if t > 1]
    shown = " och ".join(parts) or "inga små värden"
    return (f"{version}: {shown}, och celler som annars kunde räknas fram ur summor, "
            f"visas som {SUPPRESSED}")


def _publish(table: CountTable, cell_of, rule: str, method: str) -> PublishedTable:
    rows = tuple(
        PublishedRow(row.period, row.region_code, row.region_name,
                     {measure: cell_of(table, row, measure) for measure in table.measures})
        for row in table.rows
    )
    return PublishedTable(table.level, table.period, table.measures, rows, rule, METHOD_VERSIONS[method])


def _shown(value: int | None) -> PublishedCell:
    return PublishedCell(None, SUPPRESSED) if value is None else PublishedCell(value, str(value))


def protect_family(
    tables: Iterable[CountTable],
    geography: Geography | None = None,
    *,
    method: str = SUPPRESSION,
    threshold: int = DEFAULT_THRESHOLD,
    signal_threshold: int = DEFAULT_SIGNAL_THRESHOLD,
    signal_measures: Iterable[str] = SIGNAL_MEASURES,
    extra_relations: Iterable[Relation] = (),
) -> list[PublishedTable]:
    """Protect tables that may be published side by side, consistently; returns them in the same order.

    Give the levels and related periods of one window (see RELATED_PERIODS), built with
    analysis.counts.count_observations or analysis.queries.load_counts. `extra_relations` are sums
    the geography does not know (e.g. flows between police regions = Σ flows between their län).
    """
    tables = list(tables)
    for table in tables:
        if not isinstance(table, CountTable):
            raise TypeError(f"protect takes CountTable, not {type(table).__name__}")
    if method not in METHODS:
        raise ValueError(f"unknown disclosure method {method!r}; use one of {', '.join(METHODS)}")
    if threshold < 1 or signal_threshold < 1:
        raise ValueError("threshold must be at least 1")
    signal_measures = frozenset(signal_measures)
    unsafe = unsafe_thresholds(threshold, signal_threshold)
    measures = sorted({m for table in tables for m in table.measures})
    thresholds = {m: threshold_for(m, threshold, signal_threshold, signal_measures) for m in measures}

    if method == CKM:
        def ckm_cell(table: CountTable, row, measure: str) -> PublishedCell:
            if measure not in row.cell_keys:
                raise DisclosureError(f"the Cell Key Method needs cell keys ({table.level} {row.region_code})")
            return _shown(perturb(row.values[measure], row.cell_keys[measure], thresholds[measure]))

        return [_publish(t, ckm_cell, _rule(CKM, {m: thresholds[m] for m in t.measures}, signal_measures, unsafe), CKM)
                for t in tables]

    values: dict[str, dict[CellRef, int]] = defaultdict(dict)
    for table in tables:
        for row in table.rows:
            ref = CellRef(table.level, row.region_code, row.period)
            for measure in table.measures:
                value = row.values[measure]
                if values[measure].setdefault(ref, value) != value:
                    raise DisclosureError(f"two tables disagree on {measure} {ref}: not from the same window")
    cells = {ref for by_ref in values.values() for ref in by_ref}
    relations = hierarchy_relations(cells, geography or load_geography()) + list(extra_relations)
    hidden = {m: suppression_pattern(values[m], relations, thresholds[m]) for m in measures}

    def suppressed_cell(table: CountTable, row, measure: str) -> PublishedCell:
        ref = CellRef(table.level, row.region_code, row.period)
        return _shown(None if ref in hidden[measure] else row.values[measure])

    return [_publish(t, suppressed_cell, _rule(SUPPRESSION, {m: thresholds[m] for m in t.measures},
                                               signal_measures, unsafe), SUPPRESSION)
            for t in tables]


def protect_levels(
    tables_by_level: Mapping[str, CountTable], geography: Geography | None = None, **options
) -> dict[str, PublishedTable]:
    """Protect the level tables of one period kind together; returns them by level."""
    levels = list(tables_by_level)
    published = protect_family([tables_by_level[level] for level in levels], geography, **options)
    return dict(zip(levels, published))


def protect(
    table: CountTable,
    threshold: int = DEFAULT_THRESHOLD,
    *,
    family: Iterable[CountTable] = (),
    geography: Geography | None = None,
    **options,
) -> PublishedTable:
    """Protect one table, consistently with the other tables of its family (levels and related periods).

    Without a family only what the table itself shows is protected: publish several levels or period kinds
    of one window only through protect_family (or analysis.queries.load_published), never table by table.
    """
    if not isinstance(table, CountTable):
        raise TypeError(f"protect takes CountTable, not {type(table).__name__}")
    members = [table] + [other for other in family if other is not table]
    return protect_family(members, geography, threshold=threshold, **options)[0]


# --- quantiles (price per hour) ------------------------------------------------------

QUANTILE_ROUNDING = 50  # SEK: published quantiles are rounded to this, so no single ad's price shows through


def _swedish_int(value: int) -> str:
    return f"{value:,}".replace(",", " ")


def protect_quantiles(values: Iterable[int], threshold: int, *, step: int = QUANTILE_ROUNDING,
                      ) -> tuple[PublishedCell, PublishedCell, PublishedCell]:
    """First quartile, median and third quartile of one cell's values (one per unit), safe to publish.

    Published only when there are at least `threshold` units (callers pass the stricter signal
    threshold); each quantile (linear interpolation, as numpy's default) is rounded to the nearest
    `step`. Otherwise all three are suppressed (".."), as is an empty cell: there is no price to show.
    """
    ordered = sorted(values)
    if threshold < 1 or step < 1:
        raise ValueError("threshold and step must be at least 1")
    if len(ordered) < threshold or not ordered:
        hidden = PublishedCell(None, SUPPRESSED)
        return hidden, hidden, hidden

    def quantile(q: float) -> PublishedCell:
        position = q * (len(ordered) - 1)
        low = int(position)
        high = min(low + 1, len(ordered) - 1)
        exact = ordered[low] + (ordered[high] - ordered[low]) * (position - low)
        rounded = int(exact / step + 0.5) * step
        return PublishedCell(rounded, _swedish_int(rounded))

    return quantile(0.25), quantile(0.5), quantile(0.75)
