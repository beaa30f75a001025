"""Data-quality badges per period, from how the crawls behind it went (and, when present, analysis flags).

A badge is a short Swedish label with a plain explanation, shown beside every series on the dashboard,
as the `kvalitet` column of exports and in reports. Badges never hold counts of ads: only numbers of
crawl runs, which are operational facts about lagesbild itself.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Iterable, Mapping

from analysis.periods import local_date, period_label
from web.exports import ExportContext


@dataclass(frozen=True)
class Badge:
    code: str
    label: str
    explanation: str
    severity: str = "varning"  # 'varning' or 'info'


FAILED = Badge("failed", "misslyckad insamling",
               "Minst en insamling i perioden misslyckades och räknas inte. Annonser från den sajten kan "
               "saknas, så siffran kan vara för låg.")
PARTIAL = Badge("partial", "delvis täckning",
                "Minst en insamling i perioden avbröts eller hade fel (ofullständig). En del annonser kan "
                "saknas, så siffran kan vara något för låg.")
SUSPECT = Badge("suspect", "möjlig dataartefakt",
                "En hälsokontroll slog larm: till exempel färre annonser eller sidor än vanligt, eller att "
                "ett fält plötsligt saknas (ändrad sidlayout). En förändring kan bero på insamlingen, inte "
                "på marknaden.")
MISSING_SITE = Badge("missing_site", "sajt saknas",
                     "En sajt som annars ingår har ingen användbar insamling i perioden. Siffran är "
                     "troligen för låg och går inte att jämföra rakt av med andra perioder.")
OPEN = Badge("open", "pågående period",
             "Perioden har inte tagit slut. Fler insamlingar tillkommer, så siffran kan ändras.", "info")
BADGES = (FAILED, PARTIAL, SUSPECT, MISSING_SITE, OPEN)
USABLE = ("complete", "partial", "suspect")


@dataclass(frozen=True)
class PeriodQuality:
    """How the crawls of one period went, and the badges that follow."""

    period: str
    runs: int = 0
    complete: int = 0
    partial: int = 0
    failed: int = 0
    suspect: int = 0
    running: int = 0
    sites: int = 0
    badges: tuple[Badge, ...] = field(default_factory=tuple)

    @property
    def flag(self) -> str:
        """The `kvalitet` text of exports: the badges' labels, '' when nothing is wrong."""
        return "; ".join(badge.label for badge in self.badges)

    @property
    def coverage(self) -> str:
        """Swedish note on the crawls behind the period (numbers of runs only)."""
        def plural(n: int, one: str, many: str) -> str:
            return f"{n} {one if n == 1 else many}"

        parts = [plural(self.complete, "komplett", "kompletta")]
        if self.partial:
            parts.append(plural(self.partial, "ofullständig", "ofullständiga"))
        if self.suspect:
            parts.append(plural(self.suspect, "misstänkt", "misstänkta"))
        if self.failed:
            parts.append(plural(self.failed, "misslyckad", "misslyckade") + " (ej räknad)")
        if self.running:
            parts.append(f"{self.running} pågående (ej räknad)")
        return f"{plural(self.runs, 'insamling', 'insamlingar')} av {plural(self.sites, 'sajt', 'sajter')}: " \
               + ", ".join(parts)


def _today() -> date:
    return local_date(datetime.now(timezone.utc))


def period_quality(runs: Iterable, period_kind: str, today: date | None = None,
                   extra: Mapping[str, Iterable[Badge]] | None = None) -> dict[str, PeriodQuality]:
    """Quality of every period (of kind `period_kind`) that had a crawl run, keyed by label.

    `runs` are store.repository.RunSummary-like objects (site, status, observed_at); `extra` adds badges
    from analysis (e.g. change points flagged as data artefacts) per period.
    """
    by_period: dict[str, list] = defaultdict(list)
    all_sites: set[str] = set()
    for run in runs:
        by_period[period_label(local_date(run.observed_at), period_kind)].append(run)
        all_sites.add(run.site)
    current = period_label(today or _today(), period_kind)
    result = {}
    for label, period_runs in sorted(by_period.items()):
        statuses = [run.status for run in period_runs]
        usable_sites = {run.site for run in period_runs if run.status in USABLE}
        badges = []
        if "failed" in statuses:
            badges.append(FAILED)
        if "partial" in statuses:
            badges.append(PARTIAL)
        if "suspect" in statuses:
            badges.append(SUSPECT)
        if usable_sites and all_sites - usable_sites:
            badges.append(MISSING_SITE)
        for badge in (extra or {}).get(label, ()):
            if badge not in badges:
                badges.append(badge)
        if label >= current:
            badges.append(OPEN)
        result[label] = PeriodQuality(
            label, len(period_runs), statuses.count("complete"), statuses.count("partial"),
            statuses.count("failed"), statuses.count("suspect"), statuses.count("running"),
            len({run.site for run in period_runs}), tuple(badges))
    return result


def coverage_summary(qualities: Mapping[str, PeriodQuality]) -> str:
    """One Swedish sentence on all crawls behind a table."""
    if not qualities:
        return "Inga insamlingar i perioden."
    total = PeriodQuality(
        "alla",
        runs=sum(q.runs for q in qualities.values()),
        complete=sum(q.complete for q in qualities.values()),
        partial=sum(q.partial for q in qualities.values()),
        failed=sum(q.failed for q in qualities.values()),
        suspect=sum(q.suspect for q in qualities.values()),
        running=sum(q.running for q in qualities.values()),
        sites=max(q.sites for q in qualities.values()),
    )
    first, last = min(qualities), max(qualities)
    span = first if first == last else f"{first}–{last}"
    return f"Insamlingar {span}: {total.coverage}"


def export_context(qualities: Mapping[str, PeriodQuality], generated_at: datetime | None = None,
                   excel: bool = False) -> ExportContext:
    """The ExportContext (quality flags, coverage) of a table whose periods have these qualities."""
    used = {badge for q in qualities.values() for badge in q.badges}
    return ExportContext(
        quality={label: q.flag for label, q in qualities.items()},
        coverage=coverage_summary(qualities),
        coverage_by_period={label: q.coverage for label, q in qualities.items()},
        quality_meanings={badge.label: badge.explanation for badge in BADGES if badge in used},
        generated_at=generated_at,
        excel=excel,
    )
