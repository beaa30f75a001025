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
from store import repository

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
    rows: Iterable[repository.ObservationRow], labels: set[str], period: str
) -> Iterator[repository.ObservationRow]:
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


def frozen_labels(store, level: str, period: str) -> set[str]:
    """Labels of the periods whose counts at `level` are frozen."""
    return repository.frozen_periods(store, period, level)


def frozen_cells(
    store, level: str, period: str, start: datetime | None, end: datetime | None
) -> list[repository.AggregateCell]:
    """Frozen counts of the periods that overlap the window [start, end)."""
    return repository.list_count_aggregates(store, level, period, since=start, until=end)


def _zero_row(geography: Geography, level: str, label: str, code: str) -> CountRow:
    empty = cell_key(())
    return CountRow(
        period=label,
        region_code=code,
        region_name=region_display_name(geography, level, code),
        values={measure: 0 for measure in MEASURES},
        cell_keys={measure: empty for measure in MEASURES},
    )


def _frozen_rows(
    cells: list[repository.AggregateCell], geography: Geography, level: str
) -> dict[str, dict[str, CountRow]]:
    """Frozen cells as CountRows by period label and region code."""
    values: dict[tuple[str, str], dict[str, int]] = {}
    keys: dict[tuple[str, str], dict[str, float]] = {}
    for cell in cells:
        values.setdefault((cell.period, cell.region_code), {})[cell.measure] = cell.value
        keys.setdefault((cell.period, cell.region_code), {})[cell.measure] = cell.cell_key
    rows: dict[str, dict[str, CountRow]] = {}
    for (label, code), by_measure in values.items():
        if set(by_measure) != set(MEASURES):
            raise ValueError(f"frozen counts of {label} {code} do not hold the measures {', '.join(MEASURES)}")
        rows.setdefault(label, {})[code] = CountRow(
            period=label,
            region_code=code,
            region_name=region_display_name(geography, level, code),
            values={measure: by_measure[measure] for measure in MEASURES},
            cell_keys={measure: keys[(label, code)][measure] for measure in MEASURES},
        )
    return rows


def merge_frozen(
    live: CountTable, cells: list[repository.AggregateCell], geography: Geography
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
    frozen = _frozen_rows(cells, geography, live.level)
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
            rows.append(row if row is not None else _zero_row(geography, live.level, label, code))
    return CountTable(level=live.level, period=live.period, measures=live.measures, rows=tuple(rows))


# --- purging -----------------------------------------------------------------------


@dataclass(frozen=True)
class PurgeResult:
    """What a purge did (or, for a dry run, would do)."""

    cutoff: datetime  # aware UTC; observations observed before it are purged
    retention_days: int
    dry_run: bool
    observations: int  # deleted, or that would be deleted
    frozen: dict[str, tuple[str, ...]]  # newly frozen period labels by period kind
    aggregate_cells: int = 0  # frozen count cells written
    late: tuple[repository.LateObservations, ...] = field(default_factory=tuple)

    @property
    def nothing_to_do(self) -> bool:
        return self.observations == 0


def _first_days(store, cutoff: datetime, finished_by: datetime) -> dict[tuple[str, str], date]:
    """Per (period kind, label) holding counted observations a purge would delete: its first such day."""
    days = sorted({local_date(m) for m in repository.purgeable_observation_times(store, cutoff, finished_by=finished_by)})
    first: dict[tuple[str, str], date] = {}
    for day in days:
        for period in PERIODS:
            first.setdefault((period, period_label(day, period)), day)
    return first


def freeze_period(
    store, geography: Geography, period: str, day: date, finished_by: datetime
) -> list[repository.AggregateCell]:
    """Exact counts, at every level, of the whole period containing `day` (runs finished by `finished_by`)."""
    start, end = period_bounds(day, period)
    label = period_label(day, period)
    cells = []
    for level in LEVELS:
        rows = repository.iter_observation_rows(store, since=start, until=end, finished_by=finished_by)
        table = count_observations(rows, geography, level, period)
        for row in table.rows:
            if row.period != label:  # cannot happen: the bounds are the period's own
                raise ValueError(f"observation of {row.period} found inside {label}")
            for measure in table.measures:
                cells.append(repository.AggregateCell(
                    level=level,
                    period_kind=period,
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

    `now` (default: the current time) only sets the cutoff; whether a run has
    finished is judged by the real clock. A dry run changes nothing.
    """
    now = _aware(now) if now is not None else datetime.now(timezone.utc)
    cutoff = purge_cutoff(now, retention_days)
    snapshot = datetime.now(timezone.utc)  # runs finished by then are frozen and purged; later ones wait
    pending = repository.count_purgeable_observations(store, cutoff, finished_by=snapshot)
    first_day = _first_days(store, cutoff, snapshot) if pending else {}
    frozen_before = {period: repository.frozen_periods(store, period) for period in PERIODS}
    todo = sorted(
        ((period, label) for period, label in first_day if label not in frozen_before[period]),
        key=lambda key: (PERIODS.index(key[0]), first_day[key]),
    )
    labels = {period: tuple(label for kind, label in todo if kind == period) for period in PERIODS}
    if not dry_run:  # buyers' ads and review events (issue 9) follow the same retention; they are not frozen
        demand_store.purge_demand(store, cutoff)
    if dry_run or not pending:
        late = tuple(repository.late_observations(store))
        return PurgeResult(cutoff, retention_days, dry_run, pending, labels, late=late)
    cells = [
        cell
        for period, label in todo
        for cell in freeze_period(store, geography, period, first_day[(period, label)], snapshot)
    ]
    with store.session() as session:  # one transaction: the counts are stored before the rows go
        written = repository.add_count_aggregates(session, cells, computed_at=snapshot, method=AGGREGATE_METHOD)
        deleted = repository.purge_observations(session, cutoff, finished_by=snapshot)
    late = tuple(repository.late_observations(store))
    return PurgeResult(cutoff, retention_days, False, deleted, labels, written, late)
