"""Published tables for the dashboard, API and reports: protected once per window, cached until the data changes.

The window is all data in the store. Every level and related period of it is protected together
(analysis.queries.load_published_family), so every page, download and API response shows the same
published numbers; asking for fewer periods or regions only filters rows of those protected tables, never
protects a smaller window anew (tables of overlapping windows could be differenced against each other).
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Callable

from analysis.disclosure import PublishedRow, PublishedTable
from analysis.periods import PERIODS
from analysis.queries import load_published_family
from config.geo import Geography
from store import repository
from web.exports import ExportContext
from web.quality import PeriodQuality, export_context, period_quality

# Week tables are protected on their own; months, quarters and years together.
FAMILY_OF = {"week": "week", "month": "month", "quarter": "month", "year": "month"}


@dataclass(frozen=True)
class Snapshot:
    """What the store held when the tables were protected: runs by id, status and end."""

    fingerprint: tuple
    taken_at: float


class PublishedSource:
    """Protected tables and run quality, cached; re-checks the store every `recheck_s` seconds."""

    def __init__(self, store, geography: Geography, settings=None, *, recheck_s: float = 10.0,
                 today: Callable[[], date] | None = None) -> None:
        self.store = store
        self.geography = geography
        self.settings = settings
        self.recheck_s = recheck_s
        self.today = today
        self._lock = threading.RLock()
        self._families: dict[str, dict[tuple[str, str], PublishedTable]] = {}
        self._runs: list | None = None
        self._fingerprint: tuple | None = None
        self._checked_at = 0.0

    # --- freshness -------------------------------------------------------------------

    def _refresh(self) -> None:
        now = time.monotonic()
        if self._runs is not None and now - self._checked_at < self.recheck_s:
            return
        runs = repository.list_runs(self.store, last=None)
        fingerprint = tuple((run.id, run.status, run.finished_at) for run in runs)
        if fingerprint != self._fingerprint:
            self._families.clear()
            self._fingerprint = fingerprint
        self._runs = runs
        self._checked_at = now

    def invalidate(self) -> None:
        with self._lock:
            self._runs = None
            self._fingerprint = None
            self._families.clear()

    # --- tables ----------------------------------------------------------------------

    def family(self, period: str) -> dict[tuple[str, str], PublishedTable]:
        """Every level of `period` and its related periods, protected together."""
        if period not in PERIODS:
            raise ValueError(f"unknown period {period!r}; use one of {', '.join(PERIODS)}")
        with self._lock:
            self._refresh()
            kind = FAMILY_OF[period]
            if kind not in self._families:
                self._families[kind] = load_published_family(self.store, self.geography, kind,
                                                             settings=self.settings)
            return self._families[kind]

    def table(self, level: str, period: str) -> PublishedTable:
        return self.family(period)[(level, period)]

    def runs(self) -> list:
        """Every crawl run, newest first (per-site details: analysts only)."""
        with self._lock:
            self._refresh()
            return list(self._runs or ())

    def quality(self, period: str) -> dict[str, PeriodQuality]:
        today = self.today() if self.today else None
        return period_quality(self.runs(), period, today)

    def export_context(self, period: str, excel: bool = False, labels=None) -> ExportContext:
        qualities = self.quality(period)
        if labels is not None:
            qualities = {label: q for label, q in qualities.items() if label in set(labels)}
        return export_context(qualities, datetime.now(timezone.utc), excel)


def filter_rows(table: PublishedTable, keep: Callable[[PublishedRow], bool]) -> PublishedTable:
    """The same protected table with fewer rows (a subset of what is published anyway)."""
    return PublishedTable(table.level, table.period, table.measures,
                          tuple(row for row in table.rows if keep(row)), table.rule, table.method)


def runs_context(store, period: str, labels=None, excel: bool = False, today: date | None = None) -> ExportContext:
    """The ExportContext of a table of `period` periods from the store's runs (for the CLI export)."""
    qualities = period_quality(repository.list_runs(store, last=None), period, today)
    if labels is not None:
        wanted = set(labels)
        qualities = {label: q for label, q in qualities.items() if label in wanted}
    return export_context(qualities, datetime.now(timezone.utc), excel)
