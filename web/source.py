"""Published tables for the dashboard, API and reports: protected once per window, cached until the data changes.

The window is all data in the store. Every level and related period of it is protected together
(analysis.queries.load_published_family), so every page, download and API response shows the same
published numbers; asking for fewer periods or regions only filters rows of those protected tables, never
protects a smaller window anew (tables of overlapping windows could be differenced against each other).
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from typing import Callable

from analysis.disclosure import PublishedRow, PublishedTable
from analysis.periods import PERIODS
from analysis.completeness import Completeness, site_completeness
from analysis.demand import load_published_demand_family
from analysis.disclosure import DisclosureError
from analysis.mobility import protect_flows
from analysis.quality import CrawlBreak, crawl_breaks
from analysis.queries import load_published_family, prepare_counts
from analysis.signals import analyse as analyse_signals
from analysis.signals import load_signal_rows, protect_cluster_sizes, protect_signals
from config.geo import Geography
from store.runs import list_runs
from web.exports import ExportContext
from store.columnar import list_run_info
from web.quality import LOW_COMPLETENESS, PeriodQuality, break_badges, export_context, period_quality

LOW_SHARE = 0.5  # a site's estimated share of ads seen below this: the period gets "låg täckning"

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
        self._derived: dict[tuple, object] = {}
        self._runs: list | None = None
        self._fingerprint: tuple | None = None
        self._checked_at = 0.0

    # --- freshness -------------------------------------------------------------------

    def _refresh(self) -> None:
        now = time.monotonic()
        if self._runs is not None and now - self._checked_at < self.recheck_s:
            return
        runs = list_runs(self.store, last=None)
        fingerprint = tuple((run.id, run.status, run.finished_at) for run in runs)
        if fingerprint != self._fingerprint:
            self._families.clear()
            self._derived.clear()
            self._fingerprint = fingerprint
        self._runs = runs
        self._checked_at = now

    def invalidate(self) -> None:
        with self._lock:
            self._runs = None
            self._fingerprint = None
            self._families.clear()
            self._derived.clear()

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

    # --- signals and flows (analysis.signals, analysis.mobility; signal threshold) ---------------------

    def signal_rows(self) -> list:
        return self._cached(("signal_rows",), lambda: load_signal_rows(self.store))

    def signals(self):
        """Dedup, organisation and feature analysis of the whole window (exact; never shown as such)."""
        return self._cached(("signals",), lambda: analyse_signals(self.signal_rows()))

    def signal_table(self, level: str, period: str) -> PublishedTable:
        """Protected signal counts per region and period (with their related levels and periods)."""
        family = self._cached(("signal_family", FAMILY_OF[period]), lambda: protect_signals(
            self.signals(), self.geography, FAMILY_OF[period], self.settings))
        return family[(level, period)]

    def cluster_sizes(self, period: str) -> PublishedTable | None:
        """Shared-phone clusters by size for the whole country; None when they cannot be protected."""
        def make():
            try:
                return protect_cluster_sizes(self.signals(), self.geography, period, self.settings)
            except DisclosureError:
                return None
        return self._cached(("cluster_sizes", period), make)

    def flows(self, level: str, period: str) -> PublishedTable:
        """Protected origin–destination flows between police regions or län."""
        family = self._cached(("flows", FAMILY_OF[period]), lambda: protect_flows(
            self.signal_rows(), self.geography, FAMILY_OF[period], self.settings))
        return family[(level, period)]

    # --- the demand side (analysis.demand, issue 9; unique reviewers with the signal threshold) -------

    def demand_table(self, level: str, period: str) -> PublishedTable:
        """Protected efterfrågeannonser, recensioner and unika recensenter per region and period, the whole
        window's levels and related periods protected together (as the supply family)."""
        if period not in PERIODS:
            raise ValueError(f"unknown period {period!r}; use one of {', '.join(PERIODS)}")
        family = self._cached(("demand_family", FAMILY_OF[period]), lambda: load_published_demand_family(
            self.store, self.geography, FAMILY_OF[period], settings=self.settings))
        return family[(level, period)]

    def runs(self) -> list:
        """Every crawl run, newest first (per-site details: analysts only)."""
        with self._lock:
            self._refresh()
            return list(self._runs or ())

    def _cached(self, key: tuple, make):
        with self._lock:
            self._refresh()
            if key not in self._derived:
                self._derived[key] = make()
            return self._derived[key]

    def breaks(self, period: str) -> list[CrawlBreak]:
        """Crawl-quality breaks per site and period (analysis.quality), for badges and trend labels."""
        return self._cached(("breaks", period), lambda: crawl_breaks(self.runs(), period))

    def quality(self, period: str) -> dict[str, PeriodQuality]:
        """Badges per period, for every series: how the crawls went and what analysis flagged."""
        today = self.today() if self.today else None
        return self._cached(("quality", period, today),
                            lambda: period_quality(self.runs(), period, today, break_badges(self.breaks(period))))

    def prepared(self):
        """The store's observations read once (analysis.queries.prepare_counts), for completeness."""
        return self._cached(("prepared",), lambda: prepare_counts(self.store, self.geography))

    def completeness(self, level: str, code: str, period: str) -> list[Completeness]:
        """Estimated share of ads the crawls saw, per site and period (rounded shares, never counts)."""
        threshold = getattr(self.settings, "small_cell_threshold", 5)
        return self._cached(("completeness", level, code, period), lambda: site_completeness(
            self.prepared(), list_run_info(self.store).values(), self.geography, level, code, period,
            threshold=threshold))

    def region_quality(self, level: str, code: str, period: str) -> dict[str, PeriodQuality]:
        """quality(period) plus a low-completeness badge where some site saw under LOW_SHARE of the ads."""
        qualities = dict(self.quality(period))
        for entry in self.completeness(level, code, period):
            share = entry.share_chao
            quality = qualities.get(entry.period)
            if share is not None and share < LOW_SHARE and quality and LOW_COMPLETENESS not in quality.badges:
                badges = [b for b in quality.badges if b.code != "open"] + [LOW_COMPLETENESS]
                badges += [b for b in quality.badges if b.code == "open"]
                qualities[entry.period] = replace(quality, badges=tuple(badges))
        return qualities

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
    runs = list_runs(store, last=None)
    qualities = period_quality(runs, period, today, break_badges(crawl_breaks(runs, period)))
    if labels is not None:
        wanted = set(labels)
        qualities = {label: q for label, q in qualities.items() if label in wanted}
    return export_context(qualities, datetime.now(timezone.utc), excel)
