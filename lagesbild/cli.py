"""The `lagesbild` command: one thin command per verb, each calling one public function."""
from __future__ import annotations

import os
import secrets
import sys
from datetime import date, datetime
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from analysis.counts import LEVELS
from analysis.periods import PERIODS
from analysis.queries import load_coverage, load_published, load_published_family
from config.settings import BUNDLED_SITES_DIR, Settings, load_settings, load_settings_geography
from config.sites import SiteConfig, get_site, load_sites
from lagesbild.display import CrawlProgress, published_table, print_coverage
from lagesbild.errors import USER_ERRORS
from web.exports import FORMATS, write_export

console = Console()
err_console = Console(stderr=True, soft_wrap=True)
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(context_settings=CONTEXT)
def app() -> None:
    """lagesbild: anonymised trend monitoring of the online escort-ad market."""


@app.group("sites")
def sites_group() -> None:
    """Configured sites."""


@app.group("sandbox")
def sandbox_group() -> None:
    """The bundled fictional sandbox sites on 127.0.0.1."""


@app.group("db")
def db_group() -> None:
    """Database schema."""


from lagesbild.audit_pii_cli import audit_pii  # noqa: E402
from lagesbild.keys_cli import keys_group  # noqa: E402
from lagesbild.purge_cli import purge_command  # noqa: E402
from lagesbild.audit_cli import audit_disclosure  # noqa: E402

app.add_command(keys_group)
app.add_command(audit_pii)
app.add_command(purge_command)
app.add_command(audit_disclosure)


@app.group("places")
def places_group() -> None:
    """Place resolution: from ad location texts to kommun codes."""


@app.group("geo")
def geo_group() -> None:
    """Geography tables: kommuner, län, police regions and population."""


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


def _open_store(settings: Settings):
    from store import open_store

    return open_store(settings.resolved_database_url)


def _protected_counts(settings: Settings, store, level: str, period: str, since, until):
    """One level's table, protected together with the other levels and periods an attacker could hold."""
    geography = load_settings_geography(settings)
    return load_published(store, geography, level, period, _day(since), _day(until), settings)


def window_options(command):
    """--level, --period, --from and --to, shared by the table commands."""
    command = click.option("--to", "until", type=click.DateTime(["%Y-%m-%d"]), help="Last day (YYYY-MM-DD).")(command)
    command = click.option("--from", "since", type=click.DateTime(["%Y-%m-%d"]), help="First day (YYYY-MM-DD).")(command)
    return command


def level_option(default: str):
    return click.option("--level", type=click.Choice(LEVELS), default=default, show_default=True, help="Regional level.")


period_option = click.option("--period", type=click.Choice(PERIODS), default="month", show_default=True, help="Time period.")


# --- sites -----------------------------------------------------------------

@sites_group.command("list")
def sites_list() -> None:
    """List the configured sites.  Example: lagesbild sites list"""
    settings = load_settings()
    table = Table(title=f"Sites in {settings.sites_dir}")
    for column in ("name", "display name", "render", "start URLs", "delay (s)", "config version"):
        table.add_column(column)
    for site in load_sites(settings.sites_dir).values():
        table.add_row(site.name, site.display_name, site.render, "\n".join(site.start_urls),
                      f"{site.rate_limit.delay_s:g}", site.config_version)
    console.print(table)


@sites_group.command("check")
@click.argument("name")
def sites_check(name: str) -> None:
    """Validate a site config and dry-run it on one listing page and one detail page (nothing is stored).

    Example: lagesbild sites check nattsida
    """
    from crawler.runner import run_crawls

    settings = load_settings()
    site = get_site(settings.sites_dir, name)
    console.print(f"[green]config OK[/green]: {site.source_file} (version {site.config_version}, render={site.render})")
    [outcome] = run_crawls([site], settings, store=None, max_detail_pages=1, key=_dry_run_key(settings))
    console.print(f"listing pages fetched: {outcome.listing_pages}, pages in all: {outcome.pages}, "
                  f"errors: {outcome.errors}, parse failures: {outcome.parse_failures}")
    if not outcome.observations:
        raise click.ClickException(f"{name}: no ad could be extracted ({outcome.note or 'no detail page parsed'})")
    observed = outcome.observations[0]
    table = Table(title="Extracted from one detail page (identifiers already tokenised)")
    table.add_column("field")
    table.add_column("value")
    for field in ("ad_token", "profile_token", "phone_token", "kommun_code", "unresolved_reason", "category", "posted_at"):
        value = getattr(observed, field)
        table.add_row(field, "—" if value is None else str(value))
    console.print(table)


def _dry_run_key(settings: Settings):
    """The active study-period key, or a throw-away one before `keys init` (nothing is stored)."""
    from crawler.keys import KeyRing, SecretKey, StudyPeriod
    from crawler.runner import study_period_key

    if KeyRing(settings.resolved_key_dir, settings.key_period).periods():
        return study_period_key(settings)
    console.print("No study-period key yet: the tokens below use a throw-away key.")
    return StudyPeriod("dry-run", "dry-run", "", "active"), SecretKey(secrets.token_bytes(32))


# --- sandbox ---------------------------------------------------------------

@sandbox_group.command("serve")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port on 127.0.0.1 (0 picks a free one).")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the fictional market.")
def sandbox_serve(port: int, seed: int) -> None:
    """Serve the fictional sandbox sites on 127.0.0.1 until Ctrl-C.  Example: lagesbild sandbox serve --port 8765"""
    from lagesbild.sandbox.server import SandboxServer

    try:
        server = SandboxServer(port=port, seed=seed)  # binds the port here
    except OSError as exc:
        raise click.ClickException(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}") from None
    console.print(f"Sandbox sites at {server.url}/ (truth at {server.url}/_truth.json); Ctrl-C stops.")
    server.serve_forever()


# --- crawl -----------------------------------------------------------------

def crawl_and_report(sites: list[SiteConfig], settings: Settings, store, key=None) -> list:
    from crawler.runner import run_crawls

    with CrawlProgress(console, [s.name for s in sites]) as progress:
        outcomes = run_crawls(sites, settings, store, progress=progress, key=key)
    table = Table(title="Crawl runs")
    for column in ("site", "run", "status", "pages", "ads", "errors", "parse failures", "note"):
        table.add_column(column)
    for o in outcomes:
        colour = {"complete": "green", "partial": "yellow", "failed": "red"}.get(o.status, "white")
        table.add_row(o.site, str(o.run_id), f"[{colour}]{o.status}[/{colour}]", str(o.pages), str(o.items),
                      str(o.errors), str(o.parse_failures), o.note or "")
    console.print(table)
    return outcomes


@app.command()
@click.option("--site", "-s", "site_names", multiple=True, help="Site to crawl (repeatable).")
@click.option("--all", "all_sites", is_flag=True, help="Crawl every configured site.")
def crawl(site_names: tuple[str, ...], all_sites: bool) -> None:
    """Crawl sites now and store anonymised observations.  Example: lagesbild crawl --site nattsida"""
    settings = load_settings()
    if bool(site_names) == all_sites:
        raise click.UsageError("give either --site NAME (one or more) or --all")
    configured = load_sites(settings.sites_dir)
    chosen = list(configured.values()) if all_sites else [get_site(settings.sites_dir, n) for n in site_names]
    if not chosen:
        raise click.UsageError(f"no sites are configured in {settings.sites_dir}")
    store = _open_store(settings)
    outcomes = crawl_and_report(chosen, settings, store)
    if any(o.status == "failed" for o in outcomes):
        sys.exit(1)


# --- counts and export -----------------------------------------------------

@app.command()
@level_option("polisregion")
@period_option
@window_options
@click.option("--all-regions", is_flag=True, help="Also show regions with only zeros.")
def counts(level: str, period: str, since, until, all_regions: bool) -> None:
    """Active ads, unique profiles and unique phone tokens per region and period (small cells protected).

    Example: lagesbild counts --level polisregion --period month
    """
    settings = load_settings()
    store = _open_store(settings)
    table = _protected_counts(settings, store, level, period, since, until)
    if not table.rows:
        console.print("No observations in the chosen period.")
    else:
        console.print(published_table(table, hide_empty=not all_regions))
    print_coverage(console, load_coverage(store, _day(since), _day(until)))


@app.command()
@level_option("kommun")
@period_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True, help="File format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="File to write.")
@window_options
def export(level: str, period: str, fmt: str, output: Path, since, until) -> None:
    """Write protected counts keyed by SCB codes.

    Example: lagesbild export --level kommun --period month --format csv -o kommun.csv
    """
    settings = load_settings()
    store = _open_store(settings)
    table = _protected_counts(settings, store, level, period, since, until)
    try:
        rows = write_export(table, load_settings_geography(settings), output, fmt)
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror}") from None
    console.print(f"Wrote {rows} rows to {output}")


# --- places and geography -----------------------------------------------------

@places_group.command("explain")
@click.argument("text")
@click.option("--context", help="Context, e.g. the site's region page (\"Skåne\").")
def places_explain(text: str, context: str | None) -> None:
    """Show how a place text resolves, and why.  Example: lagesbild places explain "Gbg centrum"
    """
    from crawler.places import build_place_resolver

    settings = load_settings()
    geography = load_settings_geography(settings)
    result = build_place_resolver(settings).resolve(text, context=context)
    for step in getattr(result, "trace", ()):
        console.print(f"  · {step}", markup=False, highlight=False, soft_wrap=True)
    names = ", ".join(f"{code} {geography.kommuner[code].name} ({geography.lan_of(code).name}, "
                      f"polisregion {geography.polisregion_of(code)})" for code in result.kommun_codes)
    status = result.status if result.reason in (None, "ambiguous") else f"unresolved:{result.reason}"
    console.print(f"{status}: {names or '—'}", markup=False, highlight=False, soft_wrap=True)
    console.print(f"why: {result.explanation}", markup=False, highlight=False, soft_wrap=True)


@places_group.command("resolve")
@click.argument("source", type=click.File("r", encoding="utf-8"), default="-")
@click.option("--context", help="Context applied to every line, e.g. a region page name.")
def places_resolve(source, context: str | None) -> None:
    """Resolve place texts in bulk, one per line, to CSV input,kommunkod,status.

    Example: lagesbild places resolve places.txt > resolved.csv
    """
    import csv

    from crawler.places import build_place_resolver

    resolver = build_place_resolver(load_settings())
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["input", "kommunkod", "status"])
    for line in source:
        text = line.rstrip("\r\n")
        result = resolver.resolve(text, context=context)
        status = result.status if result.status != "unresolved" else f"unresolved:{result.reason}"
        writer.writerow([text, result.primary or "", status])


@places_group.command("unresolved")
@click.option("--top", type=click.IntRange(min=1), default=50, show_default=True, help="How many to list.")
def places_unresolved(top: int) -> None:
    """The most frequent place texts seen in crawls that could not be resolved (aggregate counts only).

    Example: lagesbild places unresolved --top 20
    """
    from store import repository

    settings = load_settings()
    table = Table(title="Unresolved place texts (all crawls)")
    for column in ("text", "reason", "count", "sites", "last seen (UTC)"):
        table.add_column(column)
    for place in repository.top_unresolved_places(_open_store(settings), top=top):
        table.add_row(place.text, place.reason, str(place.count), ", ".join(place.sites), f"{place.last_seen:%Y-%m-%d}")
    console.print(table)
    console.print(f"Add an alias with: echo 'text,kommunkod' >> {settings.resolved_place_aliases_file}")


@geo_group.command("refresh")
@click.option("--population", "population_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              required=True, help="SCB TAB638/BE0101N1 download (CSV or JSON-stat2) or Kolada N01951 JSON.")
@click.option("--year", type=click.IntRange(1968, 2100), help="Year to take (default: the latest in the file).")
def geo_refresh(population_file: Path, year: int | None) -> None:
    """Replace the bundled population figures with a newer downloaded table.

    Example: lagesbild geo refresh --population BE0101N1.csv
    """
    from config.geo import load_geography
    from config.population import read_population_file, write_population_csv

    settings = load_settings()
    table = read_population_file(population_file, year)
    names = {code: kommun.name for code, kommun in load_geography().kommuner.items()}
    write_population_csv(table, names, settings.population_file)
    total = sum(table.by_kommun[code] for code in names)
    console.print(f"Population {table.year} ({table.source}, {total:,} inhabitants in 290 kommuner) "
                  f"written to {settings.population_file}")


# --- runs and db -----------------------------------------------------------

@app.command()
@click.option("--site", help="Only this site.")
@click.option("--last", type=click.IntRange(min=1), default=20, show_default=True, help="How many runs to show.")
def runs(site: str | None, last: int) -> None:
    """Recent crawl runs with their status.  Example: lagesbild runs --last 10"""
    from store import repository

    settings = load_settings()
    store = _open_store(settings)
    table = Table(title="Crawl runs (newest first)")
    for column in ("run", "site", "status", "started (UTC)", "duration", "pages", "ads", "errors", "parse failures"):
        table.add_column(column, no_wrap=True)
    table.add_column("note")
    for run in repository.list_runs(store, site=site, last=last):
        duration = f"{(run.finished_at - run.started_at).total_seconds():.0f} s" if run.finished_at else "—"
        table.add_row(str(run.id), run.site, run.status, f"{run.started_at:%Y-%m-%d %H:%M}", duration,
                      str(run.pages), str(run.items), str(run.errors), str(run.parse_failures), run.note or "")
    console.print(table)


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema up to date (also done automatically on first use).  Example: lagesbild db upgrade"""
    from store.db import describe_url, upgrade_database

    settings = load_settings()
    revision = upgrade_database(settings.resolved_database_url)
    console.print(f"Database {describe_url(settings.resolved_database_url)} is at revision {revision}")


# --- demo ------------------------------------------------------------------

@app.command()
def demo() -> None:
    """Serve the sandbox sites, crawl them all, then print the regional table and write a municipal CSV.

    Example: lagesbild demo
    """
    from crawler.runner import study_period_key
    from lagesbild.sandbox.server import SandboxServer

    settings = load_settings()
    store = _open_store(settings)
    key = study_period_key(settings, create_if_missing=True)  # the demo may create its first key
    with SandboxServer(port=0).start() as sandbox:
        os.environ["LAGESBILD_SANDBOX_URL"] = sandbox.url
        sites = list(load_sites(BUNDLED_SITES_DIR).values())
        console.print(f"Sandbox sites at {sandbox.url}/; crawling {', '.join(s.name for s in sites)} …")
        outcomes = crawl_and_report(sites, settings, store, key=key)
    geography = load_settings_geography(settings)
    family = load_published_family(store, geography, "month", settings=settings)  # protected once, used twice
    console.print(published_table(family[("polisregion", "month")], hide_empty=False))
    print_coverage(console, load_coverage(store))
    csv_path = settings.export_dir / "kommun-manad.csv"
    write_export(family[("kommun", "month")], geography, csv_path)
    console.print(f"Municipal CSV (kommun × month): {csv_path}")
    console.print(f"Database: {settings.resolved_database_url}")
    if any(o.status == "failed" for o in outcomes):
        sys.exit(1)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: library errors become one line on stderr and a non-zero exit."""
    try:
        code = app.main(args=argv, prog_name="lagesbild", standalone_mode=False)
    except click.UsageError as exc:
        err_console.print(f"error: {exc.format_message()}", markup=False, highlight=False)
        sys.exit(2)
    except click.ClickException as exc:
        err_console.print(f"error: {exc.format_message()}", markup=False, highlight=False)
        sys.exit(exc.exit_code)
    except click.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    except tuple(USER_ERRORS) as exc:
        err_console.print(f"error: {exc}", markup=False, highlight=False)
        sys.exit(USER_ERRORS[type(exc)])
    except OSError as exc:  # a data folder or file the user pointed at is not usable
        where = f"{exc.filename}: " if exc.filename else ""
        err_console.print(f"error: {where}{exc.strerror or exc}", markup=False, highlight=False)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
