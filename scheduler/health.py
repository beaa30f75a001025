"""Health and drift checks after every crawl run, in the spirit of Spidermon, kept in our own run history.

A run is compared with the site's recent complete and partial runs (the baseline):

- items or pages below a fraction of the baseline median;
- a field's fill rate collapsing (location or phone suddenly empty: the tell-tale of a layout change);
- request errors plus parse failures above a share of the pages fetched;
- a finish reason other than "finished".

A complete or partial run that fails a check becomes `suspect` (store.run_health.record_health);
a failed run stays failed. Failed checks are stored as small dicts of names and numbers only.
"""
from __future__ import annotations

from dataclasses import dataclass
from statistics import median
from typing import Any

from config.settings import Settings
from store.errors import StoreError
from store.run_health import record_health, site_history
from store.runs import SUSPECT, RunSummary, get_run

# A field must have been found on at least this share of pages in the baseline to count as collapsed.
MIN_BASELINE_FILL = 0.2
# Fill rates of runs with fewer parsed detail pages than this are too noisy to compare.
MIN_PAGES_FOR_FILL = 5


@dataclass(frozen=True)
class Review:
    """A run after its health checks: its status afterwards and the checks it failed."""

    run: RunSummary
    failed_checks: tuple[dict[str, Any], ...]
    baseline_runs: int

    @property
    def status(self) -> str:
        return self.run.status

    @property
    def needs_alert(self) -> bool:
        return self.run.status in ("failed", SUSPECT)


def parsed_pages(run: RunSummary) -> int:
    return max(run.detail_pages - run.parse_failures, 0)


def error_rate(run: RunSummary) -> float:
    """(request errors + parse failures) per page fetched; 1.0 when errors came with no page at all."""
    problems = run.errors + run.parse_failures
    if run.pages == 0:
        return 1.0 if problems else 0.0
    return problems / run.pages


def parse_failure_rate(run: RunSummary) -> float | None:
    return None if run.detail_pages == 0 else run.parse_failures / run.detail_pages


def baseline_median(history: list[RunSummary], attribute: str) -> float | None:
    values = [getattr(run, attribute) for run in history]
    return float(median(values)) if values else None


def coverage(run: RunSummary, history: list[RunSummary]) -> float | None:
    """Items of the run as a share of the median of the site's earlier runs (None without history)."""
    base = baseline_median(history, "items")
    return None if not base else run.items / base


def evaluate(run: RunSummary, history: list[RunSummary], settings: Settings) -> list[dict[str, Any]]:
    """The checks `run` fails against `history` (the site's earlier complete/partial runs, newest first)."""
    failed: list[dict[str, Any]] = []
    if run.finish_reason != "finished":
        failed.append({"check": "finish_reason", "value": run.finish_reason})
    rate = error_rate(run)
    if rate > settings.health_max_error_rate:
        failed.append({"check": "error_rate", "value": round(rate, 4), "threshold": settings.health_max_error_rate})
    if len(history) >= settings.health_min_history:
        for attribute in ("items", "pages"):
            base = baseline_median(history, attribute)
            value = getattr(run, attribute)
            if base and value < settings.health_min_ratio * base:
                failed.append({"check": attribute, "value": value, "baseline": base,
                               "threshold": settings.health_min_ratio})
        if run.fill_rates and parsed_pages(run) >= MIN_PAGES_FOR_FILL:
            for field, value in sorted(run.fill_rates.items()):
                earlier = [r.fill_rates[field] for r in history
                           if r.fill_rates and field in r.fill_rates and parsed_pages(r) >= MIN_PAGES_FOR_FILL]
                if len(earlier) < settings.health_min_history:
                    continue
                base = float(median(earlier))
                if base >= MIN_BASELINE_FILL and value < settings.health_fill_ratio * base:
                    failed.append({"check": "fill_rate", "field": field, "value": value, "baseline": round(base, 4),
                                   "threshold": settings.health_fill_ratio})
    return failed


def history_for(store, run: RunSummary, settings: Settings) -> list[RunSummary]:
    """The baseline: the site's newest complete/partial runs before `run` (suspect runs are left out)."""
    return site_history(store, run.site, before_run_id=run.id, last=settings.health_history_runs)


def review_run(store, settings: Settings, run_id: int) -> Review:
    """Check one finished run, store the result (marking it suspect when needed) and return it."""
    run = get_run(store, run_id)
    if run is None:
        raise StoreError(f"crawl run {run_id} does not exist")
    history = history_for(store, run, settings)
    failed = evaluate(run, history, settings)
    record_health(store, run_id, failed)
    after = get_run(store, run_id)
    assert after is not None
    return Review(after, tuple(failed), len(history))


def describe(check: dict[str, Any], language: str = "en") -> str:
    """One check in words, in English (CLI) or Swedish (alerts)."""
    name = check.get("check")
    value = check.get("value")
    base = check.get("baseline")
    sv = language == "sv"
    if name == "finish_reason":
        return f"avslutades med {value!r}, inte 'finished'" if sv else f"finish reason {value!r}, not 'finished'"
    if name == "error_rate":
        text = f"{value:.0%} errors per page (threshold {check['threshold']:.0%})"
        return f"{value:.0%} fel per sida (gräns {check['threshold']:.0%})" if sv else text
    if name in ("items", "pages"):
        what = {"items": ("annonser", "items"), "pages": ("sidor", "pages")}[name][0 if sv else 1]
        if sv:
            return f"{value} {what}, under {check['threshold']:.0%} av medianen {base:g}"
        return f"{value} {what}, below {check['threshold']:.0%} of the recent median {base:g}"
    if name == "fill_rate":
        field = check.get("field")
        if sv:
            return f"fältet {field} fanns på {value:.0%} av sidorna (median {base:.0%}): ändrad layout?"
        return f"field {field} found on {value:.0%} of pages (median {base:.0%}): layout change?"
    return str(check)
