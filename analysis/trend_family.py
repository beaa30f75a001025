"""The trend family: every protected table of one window that the trend table reads — the base counts,
the measures beyond them (new ads, ads per category) protected consistently with them, and rates
derived from published cells.

* New ads (`new_ads`) at every level, and ads per category (`ads_kvinna`, …) at riket, polisregion and
  län (kommun cells are too small to be worth publishing by category) are protected by
  analysis.disclosure's own primitives, *together with* the base protection of active ads:
  - a new-ads cell starts suppressed wherever the active-ads cell is suppressed (in the first period of
    the data the two are the same number, so publishing one would reveal the other);
  - category counts of a cell add up to its active ads, so the categories and active ads are protected as
    one problem in which active-ads cells keep their published status (suppressed ones stay suppressed,
    published ones are never taken as complements). If no pattern exists, every category cell is
    suppressed.
  With the Cell Key Method every cell gets its own persistent noise, as the base counts do.
* Rates and shares (`per_100k`, `category_shares`) are computed only from published cells: a suppressed
  count gives a suppressed rate or share, never a number.

Price per hour is not in the data (no site price is stored yet), so it is not a measure here.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from analysis import disclosure, frozen
from analysis.relations import SUPPRESSED, CellRef, Relation, hierarchy_relations
from analysis.counts import LEVELS, UNRESOLVED, CountTable
from analysis.disclosure import PublishedCell, PublishedRow, PublishedTable
from analysis.engine import CATEGORY_MEASURES, NEW_ADS, Prepared
from analysis.queries import load_counts, prepare_counts
from config.geo import Geography

CATEGORY_LEVELS = ("riket", "polisregion", "lan")
EXTRA_LABELS = {NEW_ADS: "Nya annonser", **{m: f"Annonser: {c}" for m, c in CATEGORY_MEASURES.items()}}
CENSORED_NOTE = "första perioden i data: alla annonser räknas som nya"


def extra_measures(level: str) -> tuple[str, ...]:
    """The extra measures published at a level."""
    return (NEW_ADS, *CATEGORY_MEASURES) if level in CATEGORY_LEVELS else (NEW_ADS,)


def _refs(table: CountTable | PublishedTable) -> Iterable[tuple[CellRef, object]]:
    for row in table.rows:
        yield CellRef(table.level, row.region_code, row.period), row


def _tagged(relations: Iterable[Relation], tag: str) -> list[Relation]:
    return [Relation((tag, r.total), tuple((tag, p) for p in r.parts), f"{tag}:{r.kind}") for r in relations]


def _shown(value: int | None) -> PublishedCell:
    return PublishedCell(None, SUPPRESSED) if value is None else PublishedCell(value, str(value))


def protect_extras(
    extras: Mapping[tuple[str, str], CountTable],
    base_exact: Mapping[tuple[str, str], CountTable],
    base_published: Mapping[tuple[str, str], PublishedTable],
    geography: Geography,
    *,
    method: str = disclosure.SUPPRESSION,
    threshold: int = disclosure.DEFAULT_THRESHOLD,
    signal_threshold: int = disclosure.DEFAULT_SIGNAL_THRESHOLD,
) -> dict[tuple[str, str], PublishedTable]:
    """Protect the extra-measure tables of one window (same keys as the base family), consistently
    with the base family's protection (see the module docstring)."""
    del signal_threshold  # no extra measure is a signal
    if method not in disclosure.METHODS:
        raise ValueError(f"unknown disclosure method {method!r}")
    if method == disclosure.CKM:
        def ckm(table: CountTable, row, measure: str) -> PublishedCell:
            return _shown(disclosure.perturb(row.values[measure], row.cell_keys[measure], threshold))
        rule = (f"{disclosure.METHOD_VERSIONS[disclosure.CKM]}: varje värde har ett litet brus från en "
                "beständig cellnyckel; andelar och takter räknas från de publicerade värdena")
        return {key: _publish(table, ckm, rule, disclosure.CKM) for key, table in extras.items()}

    hidden_active = {ref for table in base_published.values() for ref, row in _refs(table)
                     if row.cells["active_ads"].suppressed}
    published_active = {ref for table in base_published.values() for ref, row in _refs(table)
                        if not row.cells["active_ads"].suppressed}

    # New ads: their own hierarchy, starting from the suppressed active-ads cells.
    new_values = {ref: row.values[NEW_ADS] for table in extras.values() for ref, row in _refs(table)}
    new_hidden = disclosure.suppression_pattern(
        new_values, hierarchy_relations(new_values, geography), threshold, initial=hidden_active)

    # Categories and active ads as one problem.
    values: dict = {}
    for table in base_exact.values():
        for ref, row in _refs(table):
            values[("active_ads", ref)] = row.values["active_ads"]
    category_refs = {ref for key, table in extras.items() if key[0] in CATEGORY_LEVELS for ref, _ in _refs(table)}
    for table in extras.values():
        if table.level not in CATEGORY_LEVELS:
            continue
        for ref, row in _refs(table):
            for measure in CATEGORY_MEASURES:
                values[(measure, ref)] = row.values[measure]
    active_refs = {ref for tag, ref in values if tag == "active_ads"}
    relations = _tagged(hierarchy_relations(active_refs, geography), "active_ads")
    category_relations = hierarchy_relations(category_refs, geography)
    for measure in CATEGORY_MEASURES:
        relations += _tagged(category_relations, measure)
    relations += [Relation(("active_ads", ref), tuple((m, ref) for m in CATEGORY_MEASURES), "kategorier")
                  for ref in sorted(category_refs)]
    try:
        category_hidden = disclosure.suppression_pattern(
            values, relations, threshold,
            initial={("active_ads", ref) for ref in hidden_active},
            keep={("active_ads", ref) for ref in published_active})
        withheld = False
    except disclosure.DisclosureError:
        category_hidden, withheld = frozenset(), True

    def suppressed_cell(table: CountTable, row, measure: str) -> PublishedCell:
        ref = CellRef(table.level, row.region_code, row.period)
        if measure == NEW_ADS:
            hide = ref in new_hidden
        else:
            hide = withheld or (measure, ref) in category_hidden
        return _shown(None if hide else row.values[measure])

    base_rule = next(iter(base_published.values())).rule if base_published else ""
    rule = (f"{base_rule}; nya annonser och annonser per kategori skyddas tillsammans med aktiva annonser"
            + ("; kategorierna kunde inte skyddas och visas inte" if withheld else ""))
    return {key: _publish(table, suppressed_cell, rule, disclosure.SUPPRESSION) for key, table in extras.items()}


def _publish(table: CountTable, cell_of, rule: str, method: str) -> PublishedTable:
    rows = tuple(PublishedRow(row.period, row.region_code, row.region_name,
                              {measure: cell_of(table, row, measure) for measure in table.measures})
                 for row in table.rows)
    return PublishedTable(table.level, table.period, table.measures, rows, rule,
                          disclosure.METHOD_VERSIONS[method])


# --- derived rates ---------------------------------------------------------------


def population(geography: Geography, level: str, code: str) -> int | None:
    """Inhabitants of a region (None for the unplaced row)."""
    if code == UNRESOLVED:
        return None
    try:
        return geography.population_of(level, None if level == "riket" else code)
    except (KeyError, ValueError):
        return None


def per_100k(cell: PublishedCell, inhabitants: int | None) -> float | None:
    """A published count per 100 000 inhabitants; None when the count is suppressed or there is no population."""
    if cell.value is None or not inhabitants:
        return None
    return cell.value * 100_000 / inhabitants


def category_shares(row: PublishedRow, total: PublishedCell) -> dict[str, float | None]:
    """Each category's share of the row's active ads, from published cells only (None when either is
    suppressed, or there are no ads)."""
    shares: dict[str, float | None] = {}
    for measure in CATEGORY_MEASURES:
        cell = row.cells.get(measure)
        if cell is None or cell.value is None or total.value is None or total.value == 0:
            shares[measure] = None
        else:
            shares[measure] = cell.value / total.value
    return shares


# --- one window, every table ------------------------------------------------------


@dataclass(frozen=True)
class TrendFamily:
    """Every protected table of one window: the base measures (as every other output publishes them)
    and the extra measures. `censored` names, per period kind, the first period of the data, whose new
    ads are all ads; `frozen` the periods served from frozen counts, which have no extra measures."""

    base: dict[tuple[str, str], PublishedTable]
    extras: dict[tuple[str, str], PublishedTable]
    censored: dict[str, str | None]
    frozen: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)


def load_trend_family(
    store,
    geography: Geography,
    period: str,
    since: date | None = None,
    until: date | None = None,
    settings=None,
    *,
    prepared: Prepared | None = None,
) -> TrendFamily:
    """Every level and related period of one window, base and extra measures, protected together."""
    options = disclosure.settings_options(settings) if settings is not None else {}
    keys = [(level, kind) for kind in disclosure.RELATED_PERIODS[period] for level in LEVELS]
    prepared = prepared if prepared is not None else prepare_counts(store, geography, since, until)
    base_exact = {key: load_counts(store, geography, *key, since, until, prepared=prepared) for key in keys}
    base = dict(zip(keys, disclosure.protect_family([base_exact[k] for k in keys], geography, **options)))
    frozen_labels = {key: frozenset(frozen.frozen_labels(store, *key)) for key in keys}
    extras_exact = {key: prepared.table(key[0], key[1], extra_measures(key[0]), exclude=frozen_labels[key])
                    for key in keys}
    extras = protect_extras(extras_exact, base_exact, base, geography, **options)
    # The first live period is censored, also after a purge (first sightings before it are gone).
    return TrendFamily(base, extras, prepared.first_labels(), frozen_labels)
