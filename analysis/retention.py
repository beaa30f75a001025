"""Retention: freeze the exact counts of ended periods, purge old observations, and serve frozen counts."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from analysis.counts import (
    LEVELS,
    MEASURES,
    UNRESOLVED,
    CountRow,
    CountTable,
    all_region_codes,
    cell_key,
    count_observations,
    region_display_name,
)
from analysis.periods import PERIODS, STOCKHOLM, local_date, period_label
from config.geo import Geography
from store import demand as demand_store
from store.aggregates import (
    AggregateCell,
    LateObservations,
    add_count_aggregates,
    count_purgeable_observations,
    frozen_periods,
    late_observations,
    list_count_aggregates,
    purge_observations,
    purgeable_observation_times,
)
from store.observations import ObservationRow, iter_observation_rows

# Provenance stored with every frozen count: how the value was computed.
AGGREGATE_METHOD = "exact-distinct-tokens-v1"


# --- periods and the cutoff --------------------------------------------------------


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, STOCKHOLM).astimezone(timezone.utc)


def period_start_day(day: date, period: str) -> date:
    """The first day of the period (of kind `period`) that contains `day`."""
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    if period == "quarter":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    if period == "year":
        return date(day.year, 1, 1)
    raise ValueError(f"unknown period {period!r}; use one of {', '.join(PERIODS)}")


def _next_period_day(start: date, period: str) -> date:
    if period == "week":
        return start + timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[period]
    index = start.year * 12 + start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_bounds(day: date, period: str) -> tuple[datetime, datetime]:
    """The period containing the Swedish calendar day `day`, as aware UTC instants [start, end)."""
    start = period_start_day(day, period)
    return _local_midnight(start), _local_midnight(_next_period_day(start, period))


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def purge_cutoff(now: datetime, retention_days: int) -> datetime:
    """The instant before which observations may be purged (aware UTC, a Swedish local midnight).

    The earliest of: the start of the day `retention_days` before `now`, and the
    start of the current ISO week, month, quarter and year.
    """
    if retention_days < 1:
        raise ValueError("retention_days must be at least 1")
    today = local_date(now)
    earliest = min(
        today - timedelta(days=retention_days),
        *(period_start_day(today, period) for period in PERIODS),
    )
    return _local_midnight(earliest)


# --- serving frozen counts -----------------------------------------------------------


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


# --- purging -----------------------------------------------------------------------


@dataclass(frozen=True)
class PurgeResult:
    """What a purge did (or, for a dry run, would do). The demand side (buyers' ads and review events,
    issue 9) is frozen and purged the same way, in the same transaction."""

    cutoff: datetime  # aware UTC; observations observed before it are purged
    retention_days: int
    dry_run: bool
    observations: int  # deleted, or that would be deleted
    frozen: dict[str, tuple[str, ...]]  # newly frozen period labels by period kind
    aggregate_cells: int = 0  # frozen count cells written (supply and demand)
    late: tuple[LateObservations, ...] = field(default_factory=tuple)
    requests: int = 0  # buyers' ad sightings deleted, or that would be deleted
    reviews: int = 0  # review events deleted, or that would be deleted
    demand_frozen: dict[str, tuple[str, ...]] = field(default_factory=dict)  # newly frozen for the demand measures
    demand_late: tuple[LateObservations, ...] = field(default_factory=tuple)

    @property
    def nothing_to_do(self) -> bool:
        return self.observations == 0 and self.requests == 0 and self.reviews == 0


def _first_days_of(moments: Iterable[datetime]) -> dict[tuple[str, str], date]:
    """Per (period kind, label) holding one of `moments`: its first such day."""
    first: dict[tuple[str, str], date] = {}
    for day in sorted({local_date(m) for m in moments}):
        for period in PERIODS:
            first.setdefault((period, period_label(day, period)), day)
    return first


def _first_days(store, cutoff: datetime, finished_by: datetime) -> dict[tuple[str, str], date]:
    """Per (period kind, label) holding counted observations a purge would delete: its first such day."""
    return _first_days_of(purgeable_observation_times(store, cutoff, finished_by=finished_by))


def _to_freeze(first_day: dict[tuple[str, str], date], frozen_before: dict[str, set[str]]) -> list[tuple[str, str]]:
    return sorted(
        ((period, label) for period, label in first_day if label not in frozen_before[period]),
        key=lambda key: (PERIODS.index(key[0]), first_day[key]),
    )


def _labels(todo: list[tuple[str, str]]) -> dict[str, tuple[str, ...]]:
    return {period: tuple(label for kind, label in todo if kind == period) for period in PERIODS}


def freeze_period(
    store, geography: Geography, period: str, day: date, finished_by: datetime
) -> list[AggregateCell]:
    """Exact counts, at every level, of the whole period containing `day` (runs finished by `finished_by`)."""
    start, end = period_bounds(day, period)
    label = period_label(day, period)
    cells = []
    for level in LEVELS:
        rows = iter_observation_rows(store, since=start, until=end, finished_by=finished_by)
        table = count_observations(rows, geography, level, period)
        cells += aggregate_cells(table, label, start, end)
    return cells


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


def purge(
    store,
    geography: Geography,
    retention_days: int,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
) -> PurgeResult:
    """Freeze the counts of every period holding observations older than the cutoff, then delete those.

    - The cutoff (`purge_cutoff`) is never later than the start of the current ISO
      week, month, quarter or year, so every period holding a purged observation
      has ended — an ISO week straddling a year end included.
    - Every such period not frozen yet is counted whole, at every level, exactly as
      `load_counts` counts it (runs finished by the purge's start), and stored in the
      same transaction that deletes the observations. Frozen periods stay as they are.
    - Frozen periods are final: `load_counts` serves them from the stored counts and
      never mixes in observations. Observations reaching a frozen period later (a
      back-fill, or a run that was still running) are left out of it, listed in
      `late`, and deleted by the next purge once older than the cutoff. Periods of
      other kinds that were not frozen (a later month of a frozen year) count them.
    - Observations of runs still running, or finished after the purge began, are
      kept; crawl runs and unresolved-place aggregates are never deleted.
    - The demand side follows the same rules on its own: every period holding a buyers'
      ad sighting or a review event about to be deleted (a review by its own date) gets
      its demand measures frozen at every level (analysis.demand.freeze_demand_period),
      in the same transaction, and is then served from them (`demand_frozen`, `demand_late`).

    `now` (default: the current time) only sets the cutoff; whether a run has
    finished is judged by the real clock. A dry run changes nothing.
    """
    from analysis import demand as demand_analysis  # analysis.demand imports this module

    now = _aware(now) if now is not None else datetime.now(timezone.utc)
    cutoff = purge_cutoff(now, retention_days)
    snapshot = datetime.now(timezone.utc)  # runs finished by then are frozen and purged; later ones wait
    pending = count_purgeable_observations(store, cutoff, finished_by=snapshot)
    first_day = _first_days(store, cutoff, snapshot) if pending else {}
    frozen_before = {period: frozen_periods(store, period, measures=MEASURES) for period in PERIODS}
    todo = _to_freeze(first_day, frozen_before)

    demand_pending = demand_store.purgeable_demand(store, cutoff, finished_by=snapshot)
    demand_first = _first_days_of(demand_pending.moments)
    demand_measures = demand_analysis.DEMAND_MEASURES
    demand_frozen_before = {period: frozen_periods(store, period, measures=demand_measures)
                            for period in PERIODS}
    demand_todo = _to_freeze(demand_first, demand_frozen_before)

    def result(deleted: int, written: int, requests: int, reviews: int) -> PurgeResult:
        return PurgeResult(cutoff, retention_days, dry_run, deleted, _labels(todo), written,
                           tuple(late_observations(store, measures=MEASURES)), requests, reviews,
                           _labels(demand_todo), tuple(demand_store.late_demand(store, demand_measures)))

    if dry_run or (not pending and not demand_pending.total):
        return result(pending, 0, demand_pending.requests, demand_pending.reviews)
    cells = [
        cell
        for period, label in todo
        for cell in freeze_period(store, geography, period, first_day[(period, label)], snapshot)
    ]
    cells += [
        cell
        for period, label in demand_todo
        for cell in demand_analysis.freeze_demand_period(store, geography, period,
                                                         demand_first[(period, label)], snapshot)
    ]
    with store.session() as session:  # one transaction: the counts are stored before the rows go
        written = add_count_aggregates(session, cells, computed_at=snapshot, method=AGGREGATE_METHOD)
        deleted = purge_observations(session, cutoff, finished_by=snapshot) if pending else 0
        requests, reviews = demand_store.purge_demand(session, cutoff, finished_by=snapshot)
    return result(deleted, written, requests, reviews)
