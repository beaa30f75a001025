"""`lagesbild audit-pii`: check that no known plaintext value was stored or logged."""
from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from config.settings import load_settings
from evaluation.piiscan import needles_from_truth, phone_forms, scan

console = Console()


def _load_truth(source: str) -> dict:
    if source.startswith(("http://127.0.0.1", "http://localhost", "http://[::1]")):
        with urllib.request.urlopen(source, timeout=30) as response:
            return json.load(response)
    if source.startswith(("http://", "https://")):
        raise click.UsageError("--truth URLs must point at the local sandbox (127.0.0.1 or localhost)")
    return json.loads(Path(source).read_text(encoding="utf-8"))


@click.command("audit-pii")
@click.option("--truth", "truth_source", help="A sandbox ground truth (URL on 127.0.0.1 or a JSON file).")
@click.option("--values", "values_file", type=click.File("r", encoding="utf-8"),
              help="A file of known plaintext values, one per line (phone numbers are expanded to all written forms).")
def audit_pii(truth_source: str | None, values_file) -> None:
    """Scan the data folder, logs, Scrapy folders and the database for known plaintext values.

    Example: lagesbild audit-pii --truth http://127.0.0.1:8765/_truth.json
    """
    from store import open_store

    if not truth_source and values_file is None:
        raise click.UsageError("give --truth or --values")
    needles: set[str] = set()
    if truth_source:
        needles |= needles_from_truth(_load_truth(truth_source))
    if values_file is not None:
        for line in values_file:
            value = line.strip()
            if value.startswith("+46") and value[1:].isdigit():
                needles |= phone_forms(value)
            elif value:
                needles.add(value)
    settings = load_settings()
    store = open_store(settings.resolved_database_url)
    hits = scan(settings.resolved_home, store.engine, needles)
    if not hits:
        console.print(f"No plaintext found: {len(needles)} known values checked in {settings.resolved_home} and the database.")
        return
    table = Table(title="Plaintext found")
    table.add_column("where")
    table.add_column("count")
    by_place: dict[str, int] = {}
    for hit in hits:  # the values themselves are not printed again
        by_place[hit.where] = by_place.get(hit.where, 0) + 1
    for where, count in sorted(by_place.items()):
        table.add_row(where, str(count))
    console.print(table)
    sys.exit(1)
