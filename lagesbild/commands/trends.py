"""`lagesbild trends`: one region's series with change, slope, trend test, change points and data-quality flags.

The table comes from analysis.trend_table.load_trend_table, built only from disclosure-protected counts:
a suppressed count reads "..", and nothing is computed from it. This module only finds the region and
prints.
"""
from __future__ import annotations

import click
from rich.table import Column, Table
from rich.text import Text

from analysis.counts import LEVELS
from analysis.engine import CATEGORY_MEASURES
from analysis.periods import PERIODS
from analysis.trend_table import TREND_MEASURES, TrendTable, load_trend_table
from config.geo import Geography
from config.settings import load_settings, load_settings_geography
from lagesbild.options import console, day, open_settings_store, window_options
from web.wording import (MEASURE_LABELS, PARENT_NAMES, PERIOD_NAMES, PRICE_NOTE, TREND_NOTE, change, flags, number,
                          percent, region_title, trend_sentences)


def resolve_region(geography: Geography, level: str, text: str | None) -> str:
    """The code of the region a user named (by name or code); a usage error when there is none."""
    if level != "riket" and not (text or "").strip():
        raise click.UsageError(f"give --region at --level {level} (a name or a code)")
    code = geography.find_region(level, text)
    if code is None:
        hint = f"{text!r} is not riket; leave --region out at --level riket" if level == "riket" else f"no {level} called {text!r}"
        raise click.BadParameter(hint, param_hint="--region")
    return code


def print_trend_table(table: TrendTable) -> None:
    out = Table(title=f"{region_title(table.level, table.region_name)}: {MEASURE_LABELS[table.measure].lower()} "
                      f"per {PERIOD_NAMES[table.period]}", caption=table.rule, caption_justify="left")
    for column in ("Period", MEASURE_LABELS[table.measure], "Per 100 000 inv.", "Mot föregående", "Mot året innan"):
        out.add_column(column, justify="left" if column == "Period" else "right")
    if table.parent is not None:
        out.add_column(f"Mot {PARENT_NAMES[table.parent[0]]} (per inv.)", justify="right")
    out.add_column("Täckning (Chao/Chapman)")
    out.add_column("Flaggor")
    for row in table.rows:
        cells = [row.period, row.cell.display, number(row.per_100k, 1), change(row.previous, row.has_previous),
                 change(row.year_before, row.has_year_before)]
        if table.parent is not None:
            cells.append(change(row.standing, row.has_standing))
        coverage = [f"{c.site} {percent(c.share_chao)}/{percent(c.share_chapman)}"
                    for c in row.completeness if c.occasions >= 2]
        out.add_row(*cells, "\n".join(coverage) or "–", flags(row))
    console.print(out)
    for line in trend_sentences(table):
        console.print(line, markup=False)
    shares = [row for row in table.rows if row.category_shares is not None]
    if shares:
        out = Table("Period", *(Column(c, justify="right") for c in CATEGORY_MEASURES.values()),
                    title="Andel annonser per kategori")
        for row in shares:
            out.add_row(row.period, *(percent(row.category_shares[m]) for m in CATEGORY_MEASURES))
        console.print(out)
    console.print(TREND_NOTE, markup=False)
    if any(row.completeness for row in table.rows):
        console.print(table.caveat, markup=False)
    if table.prices is not None:  # price per hour, where the region's sites give prices
        out = Table("Period", Column(Text("Median [kvartil 1–kvartil 3]"), justify="right"), title="Pris per timme (kr)")
        for row in table.rows:
            out.add_row(row.period, Text(table.prices.display(row.period)))
        console.print(out)
        console.print(table.prices.rule, markup=False, soft_wrap=True)
        console.print(PRICE_NOTE, markup=False)


@click.command("trends")
@click.option("--level", type=click.Choice(LEVELS), default="polisregion", show_default=True, help="Regional level.")
@click.option("--region", help="Region name or code, e.g. Syd, 12, 'Skåne län', 1280 or Malmö (not at riket).")
@click.option("--period", type=click.Choice(PERIODS), default="month", show_default=True, help="Time period.")
@click.option("--measure", type=click.Choice(TREND_MEASURES), default="active_ads", show_default=True,
              help="What to follow; demand_ads, reviews and unique_reviewers are the demand side.")
@window_options
def trends_command(level: str, region: str | None, period: str, measure: str, since, until) -> None:
    """One region's series with change, slope, trend test, change points and data-quality flags.

    Example: lagesbild trends --level polisregion --region Syd --period month
    """
    settings = load_settings()
    geography = load_settings_geography(settings)
    code = resolve_region(geography, level, region)
    table = load_trend_table(open_settings_store(settings), geography, level, code, period, measure,
                             day(since), day(until), settings)
    if not table.rows:
        console.print(f"{region_title(level, table.region_name)}: inga observationer i perioden.")
        return
    print_trend_table(table)
