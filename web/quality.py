"""Data-quality badges per period, from how the crawls behind it went (and, when present, analysis flags).

A badge is a short Swedish label with a plain explanation, shown beside every series on the dashboard,
as the `kvalitet` column of exports and in reports. Badges never hold counts of ads: only numbers of
crawl runs, which are operational facts about lagesbild itself.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Iterable, Mapping

from analysis.periods import local_date, period_label, period_start_day
from config import clock
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
DROP = Badge("drop", "färre annonser än vanligt",
             "En sajt gav under hälften så många sidor eller annonser som vanligt. Ett tapp i perioden kan bero "
             "på insamlingen, inte på marknaden.")
PARSE = Badge("parse", "fler tolkningsfel",
              "Fler annonssidor än vanligt gick inte att tolka. En del annonser kan saknas.")
LAYOUT = Badge("layout", "ändrad sidlayout",
               "Ett fält, till exempel ort eller telefonnummer, hittades på betydligt färre sidor än vanligt. "
               "Det tyder på att sajten har bytt utseende; siffror som bygger på fältet kan vara för låga.")
LOW_COMPLETENESS = Badge("completeness", "låg täckning",
                         "Enligt en fångst–återfångst-skattning såg insamlingarna mindre än hälften av annonserna "
                         "på någon sajt i perioden. Skattningen är ungefärlig, men siffran kan vara för låg.")
STARTED = Badge("started", "insamlingen började under perioden",
                "Den första insamlingen gjordes en bit in i perioden, så perioden täcks bara delvis och "
                "siffran är lägre än för en hel period.", "info")
OPEN = Badge("open", "pågående period",
             "Perioden har inte tagit slut. Fler insamlingar tillkommer, så siffran kan ändras.", "info")
BADGES = (FAILED, PARTIAL, SUSPECT, MISSING_SITE, DROP, PARSE, LAYOUT, LOW_COMPLETENESS, STARTED, OPEN)
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
    return local_date(clock.now())


def period_quality(runs: Iterable, period_kind: str, today: date | None = None,
                   extra: Mapping[str, Iterable[Badge]] | None = None) -> dict[str, PeriodQuality]:
    """Quality of every period (of kind `period_kind`) that had a crawl run, keyed by label.

    `runs` are store.runs.RunSummary-like objects (site, status, observed_at); `extra` adds badges
    from analysis (e.g. change points flagged as data artefacts) per period.
    """
    by_period: dict[str, list] = defaultdict(list)
    all_sites: set[str] = set()
    first_day: date | None = None
    for run in runs:
        day = local_date(run.observed_at)
        by_period[period_label(day, period_kind)].append(run)
        all_sites.add(run.site)
        first_day = day if first_day is None else min(first_day, day)
    # A series of weekly crawls that starts more than a week into a period covers it only in part.
    started = None
    if first_day is not None and (first_day - period_start_day(first_day, period_kind)).days >= 7:
        started = period_label(first_day, period_kind)
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
        if label == started:
            badges.append(STARTED)
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


# Crawl-quality breaks found by analysis.quality (per site and period), as badges without site names.
BREAK_BADGES = {"outage": FAILED, "partial": PARTIAL, "suspect": SUSPECT, "pages_drop": DROP, "items_drop": DROP,
                "parse_failures": PARSE, "fill_rate": LAYOUT}


def break_badges(breaks: Iterable) -> dict[str, list[Badge]]:
    """Badges per period from analysis.quality.CrawlBreak objects (site names are dropped)."""
    result: dict[str, list[Badge]] = defaultdict(list)
    for item in breaks:
        badge = BREAK_BADGES.get(item.kind)
        if item.kind == "outage" and item.run_id is None:
            badge = MISSING_SITE  # no run at all in a period between runs
        if badge is not None and badge not in result[item.period]:
            result[item.period].append(badge)
    return dict(result)
