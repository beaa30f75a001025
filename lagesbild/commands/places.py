"""`lagesbild places` and `lagesbild geo`: place resolution and the geography tables."""
from __future__ import annotations

import csv
import sys
from pathlib import Path

import click
from rich.table import Table

from config.population import refresh_population
from config.settings import load_settings, load_settings_geography
from crawler.places import build_place_resolver
from lagesbild.options import console, open_settings_store
from store.places import top_unresolved_places


@click.group("places")
def places_group() -> None:
    """Place resolution: from ad location texts to kommun codes."""


@click.group("geo")
def geo_group() -> None:
    """Geography tables: kommuner, län, police regions and population."""


@places_group.command("explain")
@click.argument("text")
@click.option("--context", help="Context, e.g. the site's region page (\"Skåne\").")
def places_explain(text: str, context: str | None) -> None:
    """Show how a place text resolves, and why.  Example: lagesbild places explain "Gbg centrum"
    """
    settings = load_settings()
    geography = load_settings_geography(settings)
    result = build_place_resolver(settings).resolve(text, context=context)
    for step in getattr(result, "trace", ()):
        console.print(f"  · {step}", markup=False, highlight=False, soft_wrap=True)
    names = ", ".join(geography.describe_kommun(code) for code in result.kommun_codes)
    console.print(f"{result.status_text}: {names or '—'}", markup=False, highlight=False, soft_wrap=True)
    console.print(f"why: {result.explanation}", markup=False, highlight=False, soft_wrap=True)


@places_group.command("resolve")
@click.argument("source", type=click.File("r", encoding="utf-8"), default="-")
@click.option("--context", help="Context applied to every line, e.g. a region page name.")
def places_resolve(source, context: str | None) -> None:
    """Resolve place texts in bulk, one per line, to CSV input,kommunkod,status.

    Example: lagesbild places resolve places.txt > resolved.csv
    """
    resolver = build_place_resolver(load_settings())
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["input", "kommunkod", "status"])
    for line in source:
        text = line.rstrip("\r\n")
        result = resolver.resolve(text, context=context)
        writer.writerow([text, result.primary or "", result.status_text])


@places_group.command("unresolved")
@click.option("--top", type=click.IntRange(min=1), default=50, show_default=True, help="How many to list.")
def places_unresolved(top: int) -> None:
    """The most frequent place texts seen in crawls that could not be resolved (aggregate counts only).

    Example: lagesbild places unresolved --top 20
    """
    settings = load_settings()
    table = Table("text", "reason", "count", "sites", "last seen (UTC)", title="Unresolved place texts (all crawls)")
    for place in top_unresolved_places(open_settings_store(settings), top=top):
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
    settings = load_settings()
    table, total = refresh_population(population_file, settings.population_file, year)
    console.print(f"Population {table.year} ({table.source}, {total:,} inhabitants in 290 kommuner) "
                  f"written to {settings.population_file}")
