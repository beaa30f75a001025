"""`lagesbild runs`: recent crawl runs with their status, health, fill rates and coverage."""
from __future__ import annotations

import click
from rich.table import Column, Table

from config.settings import load_settings
from lagesbild.options import console
from lagesbild.terminal import status_markup
from scheduler import health
from store import open_store, runs
from web.wording import percent

FIELD_LABELS = {"profile_id": "profile", "phone": "phone", "location": "place", "category": "category",
                "posted": "posted"}


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


@click.command("runs")
@click.option("--site", help="Only this site.")
@click.option("--last", type=click.IntRange(min=1), default=20, show_default=True, help="How many runs to show.")
def runs_command(site: str | None, last: int) -> None:
    """Recent crawl runs: status, health, fill rates and coverage.  Example: lagesbild runs --last 10

    Coverage is the run's ads as a share of the median of the site's earlier complete and
    partial runs. A run is `suspect` when it failed a health check; it is still counted.
    """
    settings = load_settings()
    table = Table(*(Column(c, no_wrap=True) for c in ("run", "site", "status", "started (UTC)", "duration", "pages",
                                                      "ads", "errors", "parse fail")),
                  "fill rates", Column("coverage", no_wrap=True), "health / note", title="Crawl runs (newest first)")
    with open_store(settings.resolved_database_url) as store:
        for run in runs.list_runs(store, site=site, last=last):
            history = health.history_for(store, run, settings)
            status = status_markup(run.status)
            if run.crawl_status:
                status += f" ({run.crawl_status})"
            rates = ", ".join(f"{FIELD_LABELS.get(field, field)} {rate:.0%}"
                              for field, rate in (run.fill_rates or {}).items()) or "—"
            remarks = [health.describe(check) for check in run.health or ()]
            if run.note:
                remarks.append(run.note)
            table.add_row(str(run.id), run.site, status, f"{run.started_at:%Y-%m-%d %H:%M}", _duration(run.duration_s),
                          str(run.pages), str(run.items), str(run.errors), percent(health.parse_failure_rate(run), "—"),
                          rates, percent(health.coverage(run, history), "—"), "; ".join(remarks) or "ok")
    console.print(table)
