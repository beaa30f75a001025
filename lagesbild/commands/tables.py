"""`lagesbild counts` and `lagesbild export`: protected count tables in the terminal and as files."""
from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Column, Table

from analysis.demand import demand_supply_ratio, load_published_demand
from analysis.disclosure import PublishedTable
from analysis.queries import load_coverage, load_published
from config.geo import Geography
from config.settings import Settings, load_settings, load_settings_geography
from lagesbild.options import console, day, output_option, level_option, open_settings_store, period_option, window_options
from lagesbild.terminal import print_coverage, published_table
from web.auth import operator
from web.exports import FORMATS, UnsupportedExport
from web.files import write_protected_file


def protected_counts(settings: Settings, store, level: str, period: str, since, until):
    """One level's table, protected together with the other levels and periods an attacker could hold."""
    geography = load_settings_geography(settings)
    return load_published(store, geography, level, period, day(since), day(until), settings)


@click.command("counts")
@level_option(default="polisregion")
@period_option
@window_options
@click.option("--all-regions", is_flag=True, help="Also show regions with only zeros.")
def counts_command(level: str, period: str, since, until, all_regions: bool) -> None:
    """Active ads, unique profiles and unique phone tokens per region and period (small cells protected).

    Example: lagesbild counts --level polisregion --period month
    """
    settings = load_settings()
    store = open_settings_store(settings)
    table = protected_counts(settings, store, level, period, since, until)
    if not table.rows:
        console.print("No observations in the chosen period.")
    else:
        console.print(published_table(table, hide_empty=not all_regions))

    print_demand(console, store, load_settings_geography(settings), settings, level, period, day(since),
                 day(until), table, all_regions=all_regions)
    print_coverage(console, load_coverage(store, day(since), day(until)))


@click.command("export")
@level_option(default="kommun")
@period_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True,
              help="csv, xlsx, json, kolada (Kolada-shaped JSON) or jsonstat (JSON-stat2 as SCB's PxWebApi).")
@click.option("--excel", is_flag=True, help="CSV for Swedish Excel: UTF-8 BOM, ';' and decimal commas.")
@output_option
@click.option("--demand", is_flag=True, help="The demand side instead: efterfrågeannonser, recensioner, unika recensenter.")
@window_options
def export_command(level: str, period: str, fmt: str, excel: bool, output: Path, since, until, demand: bool = False) -> None:
    """Write protected counts keyed by SCB codes, with quality flags, coverage and the suppression rule.

    Example: lagesbild export --level kommun --period month --format csv -o kommun.csv
    """
    if excel and fmt != "csv":
        raise click.UsageError("--excel only applies to --format csv")
    if fmt == "kolada" and level == "polisregion":
        raise click.UsageError("Kolada has no codes for police regions; use --level kommun, lan or riket")
    settings = load_settings()
    geography = load_settings_geography(settings)
    store = open_settings_store(settings)
    if demand:  # the demand measures, protected together as their own family
        table = load_published_demand(store, geography, level, period, day(since), day(until), settings)
    else:
        table = protected_counts(settings, store, level, period, since, until)
    window = "".join(f" {name}={day:%Y-%m-%d}" for name, day in (("från", since), ("till", until)) if day)
    try:
        rows = write_protected_file(table, geography, store, output, fmt, excel=excel, who=operator(), create_folder=False,
                                    detail=f"{fmt}{' excel' if excel else ''} {level} {period}{window}")
    except UnsupportedExport as exc:
        raise click.UsageError(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror}") from None
    console.print(f"Wrote {rows} values to {output}")


def print_demand(console: Console, store, geography: Geography, settings, level: str, period: str, since, until,
                 supply: PublishedTable, *, all_regions: bool = False) -> None:
    """The protected demand table of a window, and buyers' ads per active ad from the published cells."""
    demand = load_published_demand(store, geography, level, period, since, until, settings)
    if not demand.rows:
        console.print("Inga efterfrågeannonser eller recensioner i perioden.")
        return
    console.print(published_table(demand, hide_empty=not all_regions))
    asked = {(row.period, row.region_code): row.cells["demand_ads"].value for row in demand.rows}
    shown = [row for row in demand_supply_ratio(demand, supply)
             if row.ratio is not None or asked[(row.period, row.region_code)] != 0]
    if shown:
        ratio = Table("Period", "Område", Column("Kvot", justify="right"), title="Efterfrågeannonser per aktiv annons",
                      caption="Beräknat ur de skyddade tabellerna; .. = någon av cellerna är skyddad eller utbudet är noll")
        for row in shown:
            ratio.add_row(row.period, row.region_name, row.display)
        console.print(ratio)
