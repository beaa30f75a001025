"""`lagesbild crawl`: crawl sites now, store anonymised observations, run the health checks."""
from __future__ import annotations

import sys

import click
from rich.table import Table

from config import clock
from config.settings import load_settings
from config.sites import get_site, load_sites
from crawler.runner import run_crawls
from lagesbild.options import console, err_console, open_settings_store, parse_as_of
from lagesbild.terminal import CrawlProgress, status_markup
from scheduler.alerts import review_and_alert  # health checks: suspect runs are marked, failures alerted
from scheduler.health import describe


@click.command("crawl")
@click.option("--site", "-s", "site_names", multiple=True, help="Site to crawl (repeatable).")
@click.option("--all", "all_sites", is_flag=True, help="Crawl every configured site.")
@click.option("--as-of", "as_of", help="Record the observations as made at this date or time "
                                       "(YYYY-MM-DD[THH:MM], Swedish time), e.g. to back-fill a sandbox week.")
def crawl_command(site_names: tuple[str, ...], all_sites: bool, as_of: str | None) -> None:
    """Crawl sites now and store anonymised observations.  Example: lagesbild crawl --site nattsida"""
    settings = load_settings()
    if bool(site_names) == all_sites:
        raise click.UsageError("give either --site NAME (one or more) or --all")
    observed_at = parse_as_of(as_of, "--as-of") if as_of else None
    if observed_at is not None and observed_at > clock.now():
        raise click.BadParameter("an observation time cannot be in the future", param_hint="--as-of")
    configured = load_sites(settings.sites_dir)
    chosen = list(configured.values()) if all_sites else [get_site(settings.sites_dir, n) for n in site_names]
    if not chosen:
        raise click.UsageError(f"no sites are configured in {settings.sites_dir}")
    store = open_settings_store(settings)
    with CrawlProgress(console, [site.name for site in chosen]) as progress:
        outcomes = run_crawls(chosen, settings, store, progress=progress, observed_at=observed_at)
    # Health checks after the crawl: a run that fails one is suspect, and the table says so.
    reviews = {r.run.id: r for r in review_and_alert(store, settings, [o.run_id for o in outcomes if o.run_id])}
    table = Table("site", "run", "status", "pages", "ads", "errors", "parse failures", "note", title="Crawl runs")
    for o in outcomes:
        review = reviews.get(o.run_id)
        checks = "; ".join(describe(check) for check in review.failed_checks) if review else ""
        table.add_row(o.site, str(o.run_id), status_markup(review.status if review else o.status), str(o.pages),
                      str(o.items), str(o.errors), str(o.parse_failures), "; ".join(filter(None, (o.note, checks))))
    console.print(table)
    if any(o.finish_reason == "shutdown" for o in outcomes): err_console.print("stopped by SIGTERM or Ctrl-C: the runs above ended early")  # noqa: E701,E501
    if any(o.status == "failed" for o in outcomes):
        sys.exit(1)
