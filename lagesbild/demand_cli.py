"""The demand side in `lagesbild counts`: efterfrågeannonser, recensioner, unika recensenter and the ratio."""
from __future__ import annotations

from rich.console import Console
from rich.table import Table

from analysis.demand import demand_supply_ratio, load_published_demand
from analysis.disclosure import PublishedTable
from config.geo import Geography
from lagesbild.display import published_table


def demand_tables(store, geography: Geography, settings, level: str, period: str, since, until,
                  supply: PublishedTable) -> tuple[PublishedTable, Table | None]:
    """The protected demand table of a window, and the demand/supply ratio per region from published cells."""
    demand = load_published_demand(store, geography, level, period, since, until, settings)
    if not demand.rows:
        return demand, None
    ratio = Table(title="Efterfrågeannonser per aktiv annons", caption="Beräknat ur de skyddade tabellerna; .. = "
                  "någon av cellerna är skyddad eller utbudet är noll")
    for column in ("Period", "Område", "Kvot"):
        ratio.add_column(column, justify="right" if column == "Kvot" else "left")
    shown = 0
    for row in demand_supply_ratio(demand, supply):
        if row.ratio is not None or any(r.period == row.period and r.region_code == row.region_code
                                        and r.cells["demand_ads"].value != 0 for r in demand.rows):
            ratio.add_row(row.period, row.region_name, row.display)
            shown += 1
    return demand, ratio if shown else None


def print_demand(console: Console, store, geography: Geography, settings, level: str, period: str, since, until,
                 supply: PublishedTable, *, all_regions: bool = False) -> None:
    demand, ratio = demand_tables(store, geography, settings, level, period, since, until, supply)
    if not demand.rows:
        console.print("Inga efterfrågeannonser eller recensioner i perioden.")
        return
    console.print(published_table(demand, hide_empty=not all_regions))
    if ratio is not None:
        console.print(ratio)
