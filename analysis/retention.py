"""Retention: freeze the exact counts of ended periods, then purge old observations (supply and demand).

The frozen counts are served by analysis.frozen; the demand side's are counted by analysis.demand."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from analysis import demand as demand_analysis
from analysis.counts import LEVELS, MEASURES, count_observations
from analysis.frozen import aggregate_cells
from analysis.periods import PERIODS, local_date, local_midnight, period_bounds, period_label, period_start_day
from config import clock
from config.geo import Geography
from store import demand as demand_store
from store.aggregates import (
    AggregateCell,
    LateObservations,
    add_count_aggregates,
    count_purgeable_observations,
    frozen_periods,
    late_observations,
    purge_observations,
    purgeable_observation_times,
)
from store.observations import iter_observation_rows

# Provenance stored with every frozen count: how the value was computed.
AGGREGATE_METHOD = "exact-distinct-tokens-v1"


# --- the cutoff -------------------------------------------------------------------


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
    return local_midnight(earliest)


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

    def summary(self) -> list[str]:
        """What was (or would be) deleted and frozen, a sentence a line, for the terminal and the job log."""
        kept_from = local_date(self.cutoff)  # a Swedish midnight: the first day that is kept
        if self.nothing_to_do:
            return [f"Nothing to purge: no observations, buyers' ads or reviews of finished runs before {kept_from} "
                    f"(retention {self.retention_days} days)."]
        verb = "Would delete" if self.dry_run else "Deleted"
        lines = [f"Cutoff: observations before {kept_from} 00:00 Swedish time (retention {self.retention_days} days).",
                 f"{verb} {_plural(self.observations, 'observation')}."]
        if self.requests or self.reviews:
            lines.append(f"{verb} {_plural(self.requests, 'buyer ad sighting')} and "
                         f"{_plural(self.reviews, 'review event')} (the demand side).")
        verb = "Would freeze" if self.dry_run else "Froze"
        for side, labels in (("counts", self.frozen), ("demand counts", self.demand_frozen)):
            frozen = [_periods(period, labels[period]) for period in PERIODS if labels.get(period)]
            lines.append(f"{verb} the {side} of: {'; '.join(frozen)}." if frozen else
                         f"No new periods to freeze ({side}).")
        if not self.dry_run:
            lines.append(f"Stored {self.aggregate_cells} count cells.")
        for late, what in ((self.late, "observations"), (self.demand_late, "buyers' ads or reviews")):
            if late:  # back-filled into frozen periods: kept out of their frozen counts
                shown = ", ".join(f"{e.period_kind} {e.period} ({e.count})" for e in late[:6])
                lines.append(f"Note: {what} arrived after their period was frozen and are not counted there: "
                             f"{shown}{' …' if len(late) > 6 else ''}.")
        return lines


def _periods(kind: str, labels: tuple[str, ...]) -> str:
    """'year 2025', 'quarters 2025-Q2, 2025-Q3' or '4 weeks 2025-W14 … 2025-W40'."""
    if len(labels) == 1:
        return f"{kind} {labels[0]}"
    if len(labels) <= 3:
        return f"{kind}s {', '.join(labels)}"
    return f"{len(labels)} {kind}s {labels[0]} … {labels[-1]}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


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

    `now` (default: config.clock.now()) only sets the cutoff; whether a run has
    finished is judged by the real clock. A dry run changes nothing.
    """
    now = _aware(now) if now is not None else clock.now()
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
