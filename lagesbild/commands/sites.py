"""`lagesbild sites`: list the configured sites and dry-run one."""
from __future__ import annotations

import click
from rich.table import Table

from config.settings import Settings, load_settings
from config.sites import get_site, load_sites
from crawler.runner import dry_run_key, run_crawls, throwaway_key
from lagesbild.options import console


@click.group("sites")
def sites_group() -> None:
    """Configured sites."""


@sites_group.command("list")
def sites_list() -> None:
    """List the configured sites.  Example: lagesbild sites list"""
    settings = load_settings()
    table = Table("name", "display name", "render", "start URLs", "delay (s)", "config version",
                  title=f"Sites in {settings.sites_dir}")
    for site in load_sites(settings.sites_dir).values():
        table.add_row(site.name, site.display_name, site.render_label, "\n".join(site.start_urls),
                      f"{site.rate_limit.delay_s:g}", site.config_version)
    console.print(table)


@sites_group.command("check")
@click.argument("name")
def sites_check(name: str) -> None:
    """Validate a site config and dry-run it on one listing page and one detail page (nothing is stored).

    Example: lagesbild sites check nattsida
    """
    settings = load_settings()
    site = get_site(settings.sites_dir, name)
    console.print(f"[green]config OK[/green]: {site.source_file} (version {site.config_version}, render={site.render_label})")
    [outcome] = run_crawls([site], settings, store=None, max_detail_pages=1, key=_key_for_dry_run(settings))
    console.print(f"listing pages fetched: {outcome.listing_pages}, pages in all: {outcome.pages}, "
                  f"errors: {outcome.errors}, parse failures: {outcome.parse_failures}")
    if not outcome.observations:
        raise click.ClickException(f"{name}: no ad could be extracted ({outcome.note or 'no detail page parsed'})")
    observed = outcome.observations[0]
    table = Table("field", "value", title="Extracted from one detail page (identifiers already tokenised)")
    for field in ("ad_token", "profile_token", "phone_token", "kommun_code", "unresolved_reason", "category", "posted_at",
                  "price_per_hour"):
        value = getattr(observed, field)
        table.add_row(field, "—" if value is None else str(value))
    console.print(table)


def _key_for_dry_run(settings: Settings):
    key = dry_run_key(settings)
    if key is None:
        console.print("No study-period key yet: the tokens below use a throw-away key.")
    return key or throwaway_key()
