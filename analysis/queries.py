"""The analysis edge: reads observations and run outcomes from the store and returns typed tables."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from analysis import disclosure, frozen
from analysis.counts import LEVELS, MEASURES, CountTable
from analysis.engine import Prepared
from analysis.periods import day_bounds
from config.geo import Geography
from store.run_health import run_status_by_site
from store.columnar import hour_of, observation_columns


@dataclass(frozen=True)
class Coverage:
    """How the crawls behind a table went, per site: runs by status."""

    site: str
    complete: int
    partial: int
    failed: int
    running: int
    suspect: int = 0  # counted, but a health check failed (scheduler.health): a possible data artefact

    @property
    def honest_note(self) -> str:
        def plural(n: int, one: str, many: str) -> str:
            return f"{n} {one if n == 1 else many}"

        parts = [plural(self.complete, "komplett", "kompletta")]
        if self.partial:
            parts.append(plural(self.partial, "ofullständig", "ofullständiga"))
        if self.suspect:
            parts.append(plural(self.suspect, "misstänkt", "misstänkta") + " (räknad, kontrollera)")
        if self.failed:
            parts.append(plural(self.failed, "misslyckad", "misslyckade") + " (ej räknad)")
        if self.running:
            parts.append(f"{self.running} pågående (ej räknad)")
        return f"{self.site}: " + ", ".join(parts)


def prepare_counts(
    store,
    geography: Geography,
    since: date | None = None,
    until: date | None = None,
) -> Prepared:
    """Observations of complete, partial and suspect runs, read once and ready for any number of tables.

    The window [since, until] (Swedish calendar days) bounds what is counted; first sightings (for new
    ads) are taken over the whole store.
    """
    start, end = day_bounds(since, until)
    return Prepared(observation_columns(store), geography,
                    since_hour=None if start is None else hour_of(start),
                    until_hour=None if end is None else hour_of(end))


def load_counts(
    store,
    geography: Geography,
    level: str,
    period: str,
    since: date | None = None,
    until: date | None = None,
    *,
    prepared: Prepared | None = None,
) -> CountTable:
    """Exact counts from complete, partial and suspect runs; failed and running runs are not counted.

    Periods frozen by a purge come whole from their stored counts when they overlap
    the window; the others are counted from observations (see analysis.frozen).
    Pass `prepared` (from prepare_counts, same window) to reuse one read for several tables.
    """
    start, end = day_bounds(since, until)
    labels = frozen.frozen_labels(store, level, period)
    prepared = prepared if prepared is not None else prepare_counts(store, geography, since, until)
    live = prepared.table(level, period, MEASURES, exclude=labels)
    if not labels:
        return live
    return frozen.merge_frozen(live, frozen.frozen_cells(store, level, period, start, end), geography)


def load_published_family(
    store,
    geography: Geography,
    period: str,
    since: date | None = None,
    until: date | None = None,
    settings=None,
) -> dict[tuple[str, str], disclosure.PublishedTable]:
    """Every level and related period of one window, protected together, keyed by (level, period).

    `settings` (config.settings.Settings) chooses the method and thresholds; None means the defaults.
    """
    options = disclosure.settings_options(settings) if settings is not None else {}
    keys = [(level, kind) for kind in disclosure.RELATED_PERIODS[period] for level in LEVELS]
    prepared = prepare_counts(store, geography, since, until)
    tables = [load_counts(store, geography, level, kind, since, until, prepared=prepared) for level, kind in keys]
    return dict(zip(keys, disclosure.protect_family(tables, geography, **options)))


def load_published(
    store,
    geography: Geography,
    level: str,
    period: str,
    since: date | None = None,
    until: date | None = None,
    settings=None,
) -> disclosure.PublishedTable:
    """One protected table, consistent with every other level and related period of the same window."""
    return load_published_family(store, geography, period, since, until, settings)[(level, period)]


def load_coverage(store, since: date | None = None, until: date | None = None) -> list[Coverage]:
    start, end = day_bounds(since, until)
    by_site: dict[str, dict[str, int]] = {}
    for entry in run_status_by_site(store, since=start, until=end):
        by_site.setdefault(entry.site, {})[entry.status] = entry.count
    return [
        Coverage(site, s.get("complete", 0), s.get("partial", 0), s.get("failed", 0), s.get("running", 0),
                 s.get("suspect", 0))
        for site, s in sorted(by_site.items())
    ]
