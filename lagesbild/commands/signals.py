"""`lagesbild signals` and `lagesbild flows`: organisation, mobility and ad-feature signals, protected.

Every number comes from tables protected by analysis.disclosure with the stricter signal threshold;
a share is shown only when both its count and the number of adverts are published. These are
signals about the market, never assessments of individual ads.
"""
from __future__ import annotations

import click
from rich.table import Column, Table

from analysis.counts import LEVELS
from analysis.mobility import FLOW_LEVELS, FlowMatrix, flow_matrices, protect_flows
from analysis.periods import PERIODS
from analysis.queries import load_coverage
from analysis.signals import analyse, load_signal_rows, protect_cluster_sizes, protect_signals
from config.settings import load_settings, load_settings_geography
from lagesbild.options import console, day, open_settings_store, window_options
from lagesbild.terminal import print_coverage, published_table
from web.wording import (
    COUNT_COLUMNS,
    FEATURE_COLUMNS,
    FLOW_NOTE,
    LEVEL_NAMES,
    ORGANISATION_COLUMNS,
    PERIOD_NAMES,
    SIGNAL_NOTE,
    SIZE_LABELS,
)


def _load(since, until):
    """Settings, geography, the signal rows of a window and the store."""
    settings = load_settings()
    store = open_settings_store(settings)
    return settings, load_settings_geography(settings), load_signal_rows(store, day(since), day(until)), store


@click.command("signals")
@click.option("--level", type=click.Choice(LEVELS), default="polisregion", show_default=True, help="Regional level.")
@click.option("--period", type=click.Choice(PERIODS), default="quarter", show_default=True, help="Time period.")
@window_options
@click.option("--all-regions", is_flag=True, help="Also show regions with only zeros.")
def signals_command(level: str, period: str, since, until, all_regions: bool) -> None:
    """Organisation, mobility and ad-feature signals per region and period (signal threshold).

    Example: lagesbild signals --level polisregion --period quarter
    """
    settings, geography, rows, store = _load(since, until)
    if not rows:
        console.print("Inga observationer i perioden.")
        return
    signals = analyse(rows)
    family = protect_signals(signals, geography, period, settings)
    table = family[(level, period)]
    where = f"per {LEVEL_NAMES[level].lower()} och {PERIOD_NAMES[period]}"
    for heading, columns in (("Organisering och rörlighet", ORGANISATION_COLUMNS + COUNT_COLUMNS),
                             ("Annonsegenskaper", FEATURE_COLUMNS)):
        console.print(published_table(table, hide_empty=not all_regions, title=f"{heading} {where}",
                                      columns=(("active_adverts", "Annonser (unika)"),) + columns,
                                      share_of="active_adverts", plain=dict(COUNT_COLUMNS)))
    console.print(published_table(protect_cluster_sizes(signals, geography, period, settings), hide_empty=False,
                                  regions=False, columns=tuple(SIZE_LABELS.items()),
                                  title="Delade telefonnummer: kluster efter antal profiler (hela landet)"))
    console.print(SIGNAL_NOTE, soft_wrap=True)
    print_coverage(console, load_coverage(store, day(since), day(until)))


def flow_table(matrix: FlowMatrix, level: str, rule: str) -> Table:
    """One period's flows as a terminal matrix, from row to column ("–" on the diagonal, ".." suppressed)."""
    plural = {"polisregion": "polisregioner", "lan": "län"}[level]
    label = (lambda code: f"{code} {matrix.names[code]}") if level == "lan" else matrix.names.get
    rich = Table("Från \\ till", *(Column(code if level == "lan" else matrix.names[code], justify="right")
                                    for code in matrix.codes),
                 title=f"Flöden mellan {plural}, {matrix.period} (från rad till kolumn)", caption=rule)
    for origin in matrix.codes:
        rich.add_row(label(origin), *("–" if origin == destination else matrix.cells[(origin, destination)].display
                                      for destination in matrix.codes))
    return rich


@click.command("flows")
@click.option("--level", type=click.Choice(FLOW_LEVELS), default="polisregion", show_default=True,
              help="Regions the flows run between.")
@click.option("--period", type=click.Choice(PERIODS), default="quarter", show_default=True, help="Time period.")
@window_options
def flows_command(level: str, period: str, since, until) -> None:
    """Origin–destination flows of profiles between regions, per period (signal threshold).

    Example: lagesbild flows --level polisregion --period quarter
    """
    settings, geography, rows, store = _load(since, until)
    if not rows:
        console.print("Inga observationer i perioden.")
        return
    table = protect_flows(rows, geography, period, settings)[(level, period)]
    for matrix in flow_matrices(table):
        console.print(flow_table(matrix, level, table.rule))
    console.print(FLOW_NOTE, soft_wrap=True)
    print_coverage(console, load_coverage(store, day(since), day(until)))
