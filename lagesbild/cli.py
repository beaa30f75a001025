"""The `lagesbild` command: one thin command per verb, each calling one public function."""
from __future__ import annotations

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
from config import clock
from config.settings import Settings, load_settings, load_settings_geography
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
from lagesbild.runs_cli import runs_command  # noqa: E402
from lagesbild.schedule_cli import schedule_group, scheduler_group  # noqa: E402
from lagesbild.status_cli import status_command  # noqa: E402
from lagesbild.evaluate_cli import evaluate_command  # noqa: E402
from lagesbild.serve_cli import serve_command  # noqa: E402
from lagesbild.report_cli import report_command  # noqa: E402
from lagesbild.users_cli import users_group  # noqa: E402
from lagesbild.trends_cli import trends_command  # noqa: E402
from lagesbild.signals_cli import flows_command, signals_command  # noqa: E402

app.add_command(keys_group)
app.add_command(audit_pii)
app.add_command(purge_command)
app.add_command(audit_disclosure)
app.add_command(runs_command)
app.add_command(schedule_group)
app.add_command(scheduler_group)
app.add_command(status_command)
app.add_command(evaluate_command)
app.add_command(serve_command)
app.add_command(report_command)
app.add_command(users_group)
app.add_command(trends_command)
app.add_command(signals_command)
app.add_command(flows_command)


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
        table.add_row(site.name, site.display_name, site.render_label, "\n".join(site.start_urls),
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
    console.print(f"[green]config OK[/green]: {site.source_file} (version {site.config_version}, render={site.render_label})")
    [outcome] = run_crawls([site], settings, store=None, max_detail_pages=1, key=_dry_run_key(settings))
    console.print(f"listing pages fetched: {outcome.listing_pages}, pages in all: {outcome.pages}, "
                  f"errors: {outcome.errors}, parse failures: {outcome.parse_failures}")
    if not outcome.observations:
        raise click.ClickException(f"{name}: no ad could be extracted ({outcome.note or 'no detail page parsed'})")
    observed = outcome.observations[0]
    table = Table(title="Extracted from one detail page (identifiers already tokenised)")
    table.add_column("field")
    table.add_column("value")
    for field in ("ad_token", "profile_token", "phone_token", "kommun_code", "unresolved_reason", "category", "posted_at",
                  "price_per_hour"):
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
@click.option("--week", help="Serve the market as it stood in this week: a simulation week number or an ISO "
                             "week such as 2026-W30 (default: now).")
@click.option("--as-of", "as_of", help="Serve the market as it stood at this date or time (YYYY-MM-DD[THH:MM]).")
@click.option("--scale", type=click.FloatRange(0, 50, min_open=True), default=1.0, show_default=True,
              help="Market size relative to the default.")
@click.option("--faults", "faults_file", type=click.Path(dir_okay=False, path_type=Path),
              help="YAML fault plan for reliability tests (see config/sandbox/faults-example.yaml).")
def sandbox_serve(port: int, seed: int, week: str | None, as_of: str | None, scale: float,
                  faults_file: Path | None) -> None:
    """Serve the fictional sandbox sites on 127.0.0.1 until Ctrl-C.  Example: lagesbild sandbox serve --week 2026-W30"""
    from sandbox.market import build_market
    from sandbox.server import SandboxServer

    from sandbox.faults import FaultPlan

    faults = FaultPlan.from_yaml(faults_file) if faults_file else None  # a bad file: one-line ConfigError
    moment = sandbox_moment(week, as_of)
    market = build_market(seed, moment, scale=scale)
    try:
        server = SandboxServer(port=port, seed=seed, market=market, faults=faults)  # binds the port here
    except OSError as exc:
        raise click.ClickException(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}") from None
    console.print(f"Sandbox sites at {server.url}/ as of {market.as_of:%Y-%m-%d %H:%M} "
                  f"(truth at {server.url}/_truth.json); Ctrl-C stops.")
    for line in faults.describe() if faults else ():
        console.print(f"  fault: {line}", markup=False, highlight=False)
    server.serve_forever()


def sandbox_moment(week: str | None, as_of: str | None) -> datetime | None:
    """The moment --week or --as-of names (None = now); a bad value is a usage error."""
    from sandbox.simulation import occasion, parse_week

    if week and as_of:
        raise click.UsageError("give --week or --as-of, not both")
    if week:
        try:
            return occasion(parse_week(week))
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--week") from None
    if as_of:
        return parse_as_of(as_of, "--as-of")
    return None


def parse_as_of(text: str, option: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a date or time like 2026-07-22 or 2026-07-22T03:00",
                                 param_hint=option) from None
    if moment.tzinfo is None:  # naive times are Swedish local time
        from zoneinfo import ZoneInfo

        moment = moment.replace(tzinfo=ZoneInfo("Europe/Stockholm"))
    return moment


# --- crawl -----------------------------------------------------------------

def crawl_and_report(sites: list[SiteConfig], settings: Settings, store, key=None,
                     observed_at: datetime | None = None) -> list:
    from crawler.runner import run_crawls

    with CrawlProgress(console, [s.name for s in sites]) as progress:
        outcomes = run_crawls(sites, settings, store, progress=progress, key=key, observed_at=observed_at)
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
@click.option("--as-of", "as_of", help="Record the observations as made at this date or time "
                                       "(YYYY-MM-DD[THH:MM], Swedish time), e.g. to back-fill a sandbox week.")
def crawl(site_names: tuple[str, ...], all_sites: bool, as_of: str | None) -> None:
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
    store = _open_store(settings)
    outcomes = crawl_and_report(chosen, settings, store, observed_at=observed_at)
    from scheduler.alerts import review_and_alert  # health checks: suspect runs are marked, failures alerted
    from scheduler.health import describe

    for review in review_and_alert(store, settings, [o.run_id for o in outcomes if o.run_id is not None]):
        if review.failed_checks:
            console.print(f"run {review.run.id} ({review.run.site}) is {review.status}: "
                          + "; ".join(describe(check) for check in review.failed_checks), markup=False)
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
    from lagesbild.demand_cli import print_demand  # the demand side (issue 9)

    print_demand(console, store, load_settings_geography(settings), settings, level, period, _day(since),
                 _day(until), table, all_regions=all_regions)
    print_coverage(console, load_coverage(store, _day(since), _day(until)))


@app.command()
@level_option("kommun")
@period_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True,
              help="csv, xlsx, json, kolada (Kolada-shaped JSON) or jsonstat (JSON-stat2 as SCB's PxWebApi).")
@click.option("--excel", is_flag=True, help="CSV for Swedish Excel: UTF-8 BOM, ';' and decimal commas.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="File to write.")
@click.option("--demand", is_flag=True, help="The demand side instead: efterfrågeannonser, recensioner, unika recensenter.")
@window_options
def export(level: str, period: str, fmt: str, excel: bool, output: Path, since, until, demand: bool = False) -> None:
    """Write protected counts keyed by SCB codes, with quality flags, coverage and the suppression rule.

    Example: lagesbild export --level kommun --period month --format csv -o kommun.csv
    """
    from web.auth import log_event, operator
    from web.exports import UnsupportedExport
    from web.source import runs_context

    if excel and fmt != "csv":
        raise click.UsageError("--excel only applies to --format csv")
    if fmt == "kolada" and level == "polisregion":
        raise click.UsageError("Kolada has no codes for police regions; use --level kommun, lan or riket")
    settings = load_settings()
    store = _open_store(settings)
    table = _protected_counts(settings, store, level, period, since, until)
    if demand:  # issue 9: the demand measures, protected together as their own family
        from analysis.demand import load_published_demand

        table = load_published_demand(store, load_settings_geography(settings), level, period, _day(since),
                                      _day(until), settings)
    context = runs_context(store, period, {row.period for row in table.rows}, excel=excel)
    try:
        rows = write_export(table, load_settings_geography(settings), output, fmt, context)
    except UnsupportedExport as exc:
        raise click.UsageError(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror}") from None
    window = "".join(f" {name}={day:%Y-%m-%d}" for name, day in (("från", since), ("till", until)) if day)
    log_event(store, operator(), "cli", "export",
              f"{fmt}{' excel' if excel else ''} {level} {period}{window}")
    console.print(f"Wrote {rows} values to {output}")


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


# --- db --------------------------------------------------------------------

@db_group.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema up to date (also done automatically on first use).  Example: lagesbild db upgrade"""
    from store.db import describe_url, upgrade_database

    settings = load_settings()
    revision = upgrade_database(settings.resolved_database_url)
    console.print(f"Database {describe_url(settings.resolved_database_url)} is at revision {revision}")


# --- demo ------------------------------------------------------------------

def series_options(default_weeks: int):
    """--weeks, --scale and --seed of a back-filled sandbox series."""
    def decorate(command):
        command = click.option("--seed", type=int, default=1, show_default=True,
                               help="Seed of the simulated market.")(command)
        command = click.option("--scale", type=click.FloatRange(0, 50, min_open=True), default=1.0,
                               show_default=True, help="Market size relative to the default.")(command)
        return click.option("--weeks", type=click.IntRange(1, 156), default=default_weeks, show_default=True,
                            help="How many weeks to back-fill, ending this week.")(command)
    return decorate


def report_week(moment: datetime, outcomes: list) -> None:
    """One progress line per back-filled week."""
    from sandbox.simulation import week_of

    colour = {"complete": "green", "partial": "yellow", "failed": "red", "suspect": "yellow"}
    parts = [f"{o.site} [{colour.get(o.status, 'white')}]{o.status}[/] {o.items} ads" for o in outcomes]
    console.print(f"week {moment:%G-W%V} (sim {week_of(moment)}): " + ", ".join(parts))


@app.command()
@series_options(26)
def demo(weeks: int, scale: float, seed: int) -> None:
    """Back-fill weekly crawls of the simulated sandbox market, then print the trend tables.

    Example: lagesbild demo --weeks 26
    """
    from crawler.runner import study_period_key
    from evaluation.series import plan_series, run_backfill

    settings = load_settings()
    store = _open_store(settings)
    key = study_period_key(settings, create_if_missing=True)  # the demo may create its first key
    plan = plan_series(weeks, seed, scale)
    console.print(f"Back-filling {weeks} weeks of the simulated market (seed {seed}, scale {scale:g}) "
                  f"from sandbox sites on 127.0.0.1, with {len(plan.incidents)} planted site incidents …")
    results = run_backfill(plan, settings, store, key, on_week=report_week)
    geography = load_settings_geography(settings)
    family = load_published_family(store, geography, "month", settings=settings)  # protected once, used twice
    console.print(published_table(family[("polisregion", "month")], hide_empty=False))
    console.print(published_table(load_published(store, geography, "riket", "week", settings=settings),
                                  hide_empty=False))
    print_coverage(console, load_coverage(store))
    csv_path = settings.export_dir / "kommun-manad.csv"
    from web.source import runs_context

    write_export(family[("kommun", "month")], geography, csv_path, context=runs_context(store, "month"))
    console.print(f"Municipal CSV (kommun × month): {csv_path}")
    console.print(f"Database: {settings.resolved_database_url}")
    console.print(f"Series manifest: {settings.resolved_home / 'series.json'} "
                  "(score it against the truth with `lagesbild evaluate --demo`)")
    if not any(o.status == "complete" for outcomes in results for o in outcomes):
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
