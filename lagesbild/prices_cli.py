"""Price per hour in `lagesbild trends`: median [Q1–Q3] per period, where the region's sites give prices.

The cells come protected from analysis.prices (at least the signal threshold of priced ads, rounded to
50 kr); this module only prints them.
"""
from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from analysis.trend_table import TrendTable


def print_price_series(table: TrendTable, console: Console) -> None:
    """A small table of the region's price per hour by period; nothing when no site gives prices."""
    if table.prices is None:
        return
    out = Table(title="Pris per timme (kr)")
    out.add_column("Period")
    out.add_column(Text("Median [kvartil 1–kvartil 3]"), justify="right")
    for row in table.rows:
        out.add_row(row.period, Text(table.prices.display(row.period)))
    console.print(out)
    console.print(table.prices.rule, markup=False, soft_wrap=True)
    console.print("Timpriset är det pris per timme annonsen anger; annonser utan timpris (bara pris för 30 minuter, "
                  "eller inget pris) ingår inte. Ett 30-minuterspris räknas aldrig om till timpris.", markup=False)
