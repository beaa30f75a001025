"""Frozen counts: the exact counts a purge (analysis.retention) stored for whole ended periods, and how
live tables take them in. Both sides read them, the supply (analysis.queries) and the demand
(analysis.demand), so they live below both and below the purge that writes them."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from analysis.counts import (
    MEASURES,
    UNRESOLVED,
    CountRow,
    CountTable,
    all_region_codes,
    cell_key,
    region_display_name,
)
from analysis.periods import local_date, period_label
from config.geo import Geography
from store.aggregates import AggregateCell, frozen_periods, list_count_aggregates
from store.observations import ObservationRow


def outside_periods(
    rows: Iterable[ObservationRow], labels: set[str], period: str
) -> Iterator[ObservationRow]:
    """The observations whose period (of kind `period`) is not one of `labels`."""
    if not labels:
        yield from rows
        return
    label_of: dict[datetime, str] = {}
    for row in rows:
        label = label_of.get(row.observed_at)
        if label is None:
            label = label_of[row.observed_at] = period_label(local_date(row.observed_at), period)
        if label not in labels:
            yield row


def frozen_labels(store, level: str, period: str, measures: tuple[str, ...] = MEASURES) -> set[str]:
    """Labels of the periods whose counts of `measures` (the supply side's by default) at `level` are frozen."""
    return frozen_periods(store, period, level, measures=measures)


def frozen_cells(
    store, level: str, period: str, start: datetime | None, end: datetime | None,
    measures: tuple[str, ...] = MEASURES,
) -> list[AggregateCell]:
    """Frozen counts (of `measures`) of the periods that overlap the window [start, end)."""
    return list_count_aggregates(store, level, period, since=start, until=end, measures=measures)


def _zero_row(geography: Geography, level: str, label: str, code: str,
              measures: tuple[str, ...] = MEASURES) -> CountRow:
    empty = cell_key(())
    return CountRow(
        period=label,
        region_code=code,
        region_name=region_display_name(geography, level, code),
        values={measure: 0 for measure in measures},
        cell_keys={measure: empty for measure in measures},
    )


def _frozen_rows(
    cells: list[AggregateCell], geography: Geography, level: str,
    measures: tuple[str, ...] = MEASURES,
) -> dict[str, dict[str, CountRow]]:
    """Frozen cells as CountRows by period label and region code."""
    values: dict[tuple[str, str], dict[str, int]] = {}
    keys: dict[tuple[str, str], dict[str, float]] = {}
    for cell in cells:
        values.setdefault((cell.period, cell.region_code), {})[cell.measure] = cell.value
        keys.setdefault((cell.period, cell.region_code), {})[cell.measure] = cell.cell_key
    rows: dict[str, dict[str, CountRow]] = {}
    for (label, code), by_measure in values.items():
        if set(by_measure) != set(measures):
            raise ValueError(f"frozen counts of {label} {code} do not hold the measures {', '.join(measures)}")
        rows.setdefault(label, {})[code] = CountRow(
            period=label,
            region_code=code,
            region_name=region_display_name(geography, level, code),
            values={measure: by_measure[measure] for measure in measures},
            cell_keys={measure: keys[(label, code)][measure] for measure in measures},
        )
    return rows


def merge_frozen(
    live: CountTable, cells: list[AggregateCell], geography: Geography
) -> CountTable:
    """Add frozen periods to a live table, shaped exactly as `count_observations` shapes a table.

    Periods are sorted by label; every region of the level is listed; the unresolved
    row appears in every period when any period (live or frozen) has an unresolved ad.
    A frozen period cannot be cut by a window: `frozen_cells` returns it whole when it
    overlaps the window, so only windows of whole periods give the same table as before
    the purge (a live period is still cut at the window's edges).
    """
    if not cells:
        return live
    frozen = _frozen_rows(cells, geography, live.level, live.measures)
    live_rows: dict[str, dict[str, CountRow]] = {}
    for row in live.rows:
        live_rows.setdefault(row.period, {})[row.region_code] = row
    if set(frozen) & set(live_rows):  # the live side must leave frozen periods out
        raise ValueError("a period is both frozen and counted live")
    regions = all_region_codes(geography, live.level)
    for label, by_code in frozen.items():
        if set(by_code) - {UNRESOLVED} != set(regions):
            raise ValueError(f"frozen counts of {label} do not match the regions of the current geography")
    has_unresolved = any(UNRESOLVED in by_code for by_code in (*live_rows.values(), *frozen.values()))
    if has_unresolved:
        regions.append(UNRESOLVED)
    rows = []
    for label in sorted({*live_rows, *frozen}):
        by_code = live_rows.get(label) or frozen[label]
        for code in regions:
            row = by_code.get(code)
            rows.append(row if row is not None else _zero_row(geography, live.level, label, code, live.measures))
    return CountTable(level=live.level, period=live.period, measures=live.measures, rows=tuple(rows))


def aggregate_cells(table: CountTable, label: str, start: datetime, end: datetime) -> list[AggregateCell]:
    """The cells of one period's exact table (every measure, every row) as frozen counts."""
    cells = []
    for row in table.rows:
        if row.period != label:  # cannot happen: the bounds are the period's own
            raise ValueError(f"observation of {row.period} found inside {label}")
        for measure in table.measures:
            cells.append(AggregateCell(
                level=table.level,
                period_kind=table.period,
                period=label,
                period_start=start,
                period_end=end,
                region_code=row.region_code,
                measure=measure,
                value=row.values[measure],
                cell_key=row.cell_keys[measure],
            ))
    return cells
