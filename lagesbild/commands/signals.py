"""`lagesbild signals` and `lagesbild flows`: organisation, mobility and ad-feature signals, protected.

Every number comes from tables protected by analysis.disclosure with the stricter signal threshold;
a share is shown only when both its count and the number of adverts are published. These are
signals about the market, never assessments of individual ads.
"""
from __future__ import annotations

from datetime import datetime

import click
from rich.console import Console
from rich.table import Table

from analysis.counts import LEVELS
from analysis.disclosure import PublishedCell, PublishedTable
from analysis.mobility import FLOW_LEVELS, FLOW_MEASURE, PAIR_SEPARATOR, protect_flows
from analysis.periods import PERIODS
from analysis.signals import (
    CLUSTER_SIZE_MEASURES,
    FEATURE_MEASURES,
    analyse,
    load_signal_rows,
    protect_cluster_sizes,
    protect_signals,
)
from config.settings import load_settings, load_settings_geography

console = Console(highlight=False)

LEVEL_LABELS = {"riket": "Riket", "polisregion": "Polisregion", "lan": "Län", "kommun": "Kommun"}
PERIOD_LABELS = {"week": "vecka", "month": "månad", "quarter": "kvartal", "year": "år"}
ORGANISATION_COLUMNS = (
    ("network_adverts", "I nätverk"),
    ("template_adverts", "I textmallar"),
    ("touring_adverts", "Anger turné"),
)
FEATURE_COLUMNS = (
    (FEATURE_MEASURES["obscured_phone"], "Dolt nummer"),
    (FEATURE_MEASURES["stated_ethnicity"], "Etnicitet angiven"),
    (FEATURE_MEASURES["youth_language"], "Ungdomligt språk"),
    (FEATURE_MEASURES["trust_language"], "Pålitlighetsspråk"),
)
COUNT_COLUMNS = (("mobile_profiles", "Rörliga profiler"), ("mobile_phones", "Rörliga nummer"))
SIZE_LABELS = dict(zip(CLUSTER_SIZE_MEASURES, ("2 profiler", "3–5 profiler", "6–10 profiler", "11+ profiler")))
SIGNAL_NOTE = ("Signaler om organisering och rörlighet på marknaden – inte bedömningar av enskilda annonser. "
               "Annonser är unika annonser (omannonseringar och korspubliceringar räknas en gång). "
               "Nätverk: profiler som delar telefonnummer, minst tre personer. Rörliga: sedda i minst två "
               "kommuner under perioden. Annonsegenskaperna följer Lugo-Graulich m.fl. (2024).")
FLOW_NOTE = ("Flöden: profiler som setts i en region och vid nästa observation (högst 35 dagar senare) i en "
             "annan, räknade i perioden för ankomsten. En signal om rörlighet, inte om brott.")


def _window(since: datetime | None, until: datetime | None):
    if since and until and since > until:
        raise click.UsageError("--from must not be after --to")
    return (since.date() if since else None), (until.date() if until else None)


def _load(since, until):
    from store import open_store

    settings = load_settings()
    store = open_store(settings.resolved_database_url)
    return settings, load_settings_geography(settings), load_signal_rows(store, since, until), store


def _coverage(store, since, until) -> None:
    from analysis.queries import load_coverage
    from lagesbild.terminal import print_coverage

    print_coverage(console, load_coverage(store, since, until))


def _share(count: PublishedCell, total: PublishedCell) -> str:
    if count.value is None:
        return count.display
    if total.value is None or total.value == 0:
        return count.display
    return f"{count.display} ({round(100 * count.value / total.value)} %)"


def signals_table(table: PublishedTable, part: str = "organisation", *, hide_empty: bool = True) -> Table:
    """A terminal table of the protected signal table: counts with their share of all adverts.

    `part` "organisation": networks, templates, touring and mobile tokens; "features": the ad features.
    """
    if not isinstance(table, PublishedTable):
        raise TypeError("the terminal shows only disclosure-protected tables")
    shares, counts = (ORGANISATION_COLUMNS, COUNT_COLUMNS) if part == "organisation" else (FEATURE_COLUMNS, ())
    heading = "Organisering och rörlighet" if part == "organisation" else "Annonsegenskaper"
    rich = Table(title=f"{heading} per {LEVEL_LABELS[table.level].lower()} och {PERIOD_LABELS[table.period]}",
                 caption=table.rule)
    rich.add_column("Period")
    rich.add_column(LEVEL_LABELS[table.level])
    rich.add_column("Annonser (unika)", justify="right")
    for _, label in shares + counts:
        rich.add_column(label, justify="right")
    for row in table.rows:
        if hide_empty and all(cell.value == 0 for cell in row.cells.values()):
            continue
        total = row.cells["active_adverts"]
        rich.add_row(row.period, row.region_name, total.display,
                     *(_share(row.cells[m], total) for m, _ in shares),
                     *(row.cells[m].display for m, _ in counts))
    return rich


def cluster_size_table(table: PublishedTable) -> Table:
    rich = Table(title="Delade telefonnummer: kluster efter antal profiler (hela landet)", caption=table.rule)
    rich.add_column("Period")
    for measure in CLUSTER_SIZE_MEASURES:
        rich.add_column(SIZE_LABELS[measure], justify="right")
    for row in table.rows:
        rich.add_row(row.period, *(row.cells[m].display for m in CLUSTER_SIZE_MEASURES))
    return rich


@click.command("signals")
@click.option("--level", type=click.Choice(LEVELS), default="polisregion", show_default=True, help="Regional level.")
@click.option("--period", type=click.Choice(PERIODS), default="quarter", show_default=True, help="Time period.")
@click.option("--from", "since", type=click.DateTime(["%Y-%m-%d"]), help="First day (YYYY-MM-DD).")
@click.option("--to", "until", type=click.DateTime(["%Y-%m-%d"]), help="Last day (YYYY-MM-DD).")
@click.option("--all-regions", is_flag=True, help="Also show regions with only zeros.")
def signals_command(level: str, period: str, since, until, all_regions: bool) -> None:
    """Organisation, mobility and ad-feature signals per region and period (signal threshold).

    Example: lagesbild signals --level polisregion --period quarter
    """
    first, last = _window(since, until)
    settings, geography, rows, store = _load(first, last)
    if not rows:
        console.print("Inga observationer i perioden.")
        return
    signals = analyse(rows)
    family = protect_signals(signals, geography, period, settings)
    table = family[(level, period)]
    console.print(signals_table(table, "organisation", hide_empty=not all_regions))
    console.print(signals_table(table, "features", hide_empty=not all_regions))
    console.print(cluster_size_table(protect_cluster_sizes(signals, geography, period, settings)))
    console.print(SIGNAL_NOTE, soft_wrap=True)
    _coverage(store, first, last)


def flow_matrix(table: PublishedTable, period: str) -> Table:
    """One period's protected flows as an origin × destination matrix (".." = suppressed)."""
    cells: dict[tuple[str, str], PublishedCell] = {}
    names: dict[str, str] = {}
    for row in table.rows:
        if row.period != period:
            continue
        origin, destination = row.region_code.split(PAIR_SEPARATOR)
        cells[(origin, destination)] = row.cells[FLOW_MEASURE]
        origin_name, destination_name = row.region_name.split(" → ")
        names[origin], names[destination] = origin_name, destination_name
    codes = list(dict.fromkeys(code for pair in cells for code in pair))
    plural = {"polisregion": "polisregioner", "lan": "län"}[table.level]
    rich = Table(title=f"Flöden mellan {plural}, {period} (från rad till kolumn)",
                 caption=table.rule)
    rich.add_column("Från \\ till")
    for code in codes:
        rich.add_column(code if table.level == "lan" else names[code], justify="right")
    for origin in codes:
        label = f"{origin} {names[origin]}" if table.level == "lan" else names[origin]
        rich.add_row(label, *("–" if origin == destination else cells[(origin, destination)].display
                              for destination in codes))
    return rich


@click.command("flows")
@click.option("--level", type=click.Choice(FLOW_LEVELS), default="polisregion", show_default=True,
              help="Regions the flows run between.")
@click.option("--period", type=click.Choice(PERIODS), default="quarter", show_default=True, help="Time period.")
@click.option("--from", "since", type=click.DateTime(["%Y-%m-%d"]), help="First day (YYYY-MM-DD).")
@click.option("--to", "until", type=click.DateTime(["%Y-%m-%d"]), help="Last day (YYYY-MM-DD).")
def flows_command(level: str, period: str, since, until) -> None:
    """Origin–destination flows of profiles between regions, per period (signal threshold).

    Example: lagesbild flows --level polisregion --period quarter
    """
    first, last = _window(since, until)
    settings, geography, rows, store = _load(first, last)
    if not rows:
        console.print("Inga observationer i perioden.")
        return
    table = protect_flows(rows, geography, period, settings)[(level, period)]
    for label in sorted({row.period for row in table.rows}):
        console.print(flow_matrix(table, label))
    console.print(FLOW_NOTE, soft_wrap=True)
    _coverage(store, first, last)
