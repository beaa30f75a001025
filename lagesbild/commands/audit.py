"""`lagesbild audit-disclosure`: the automated attacker run against published files."""
from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import click
from rich.table import Table

from analysis.audit import AuditInputError, audit_files
from analysis.counts import UNRESOLVED
from config.errors import BadInput
from config.settings import load_settings, load_settings_geography
from evaluation.piiscan import NotLocalTruth, load_truth, needles_from_truth, needles_from_values, scan
from lagesbild.options import console
from store import open_store
from web.wording import LEVEL_NAMES


@click.command("audit-disclosure")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
def audit_disclosure(files: tuple[Path, ...]) -> None:
    """Try to recover suppressed cells from published files by solving their sums.

    Give every file an attacker could hold together (CSV or JSON exports, any levels and periods).
    Lists each suppressed cell that can be pinned to within ±2; exits 1 if there is one, 0 if none.

    Example: lagesbild audit-disclosure kommun.csv lan.csv riket.csv
    """
    geography = load_settings_geography(load_settings())
    try:
        report = audit_files(files, geography)
    except AuditInputError as exc:
        raise BadInput(str(exc)) from None
    if not report.findings:
        console.print(f"Ingen undertryckt cell kan räknas fram inom ±2 ({report.suppressed} undertryckta av "
                      f"{report.cells} celler i {len(report.files)} filer).")
        return
    table = Table("Fil", "Rad", "Nivå", "Region", "Period", "Mått", "Möjliga värden",
                  title=f"Celler som kan räknas fram ({len(report.findings)} av {report.suppressed} undertryckta)")
    for f in report.findings:
        region = "Okänd plats" if f.region == UNRESOLVED else geography.region_label(f.level, f.region)
        table.add_row(str(f.file), str(f.line), LEVEL_NAMES.get(f.level, f.level), region, f.period, f.measure,
                      str(f.low) if f.low == f.high else f"{f.low}–{f.high}")
    console.print(table)
    sys.exit(1)


@click.command("audit-pii")
@click.option("--truth", "truth_source", help="A sandbox ground truth (URL on 127.0.0.1 or a JSON file).")
@click.option("--values", "values_file", type=click.File("r", encoding="utf-8"),
              help="A file of known plaintext values, one per line (phone numbers are expanded to all written forms).")
def audit_pii(truth_source: str | None, values_file) -> None:
    """Scan the data folder, logs, Scrapy folders and the database for known plaintext values.

    Example: lagesbild audit-pii --truth http://127.0.0.1:8765/_truth.json
    """
    if not truth_source and values_file is None:
        raise click.UsageError("give --truth or --values")
    try:
        needles = needles_from_truth(load_truth(truth_source)) if truth_source else set()
    except NotLocalTruth as exc:
        raise click.UsageError(str(exc)) from None
    needles |= needles_from_values(values_file or ())
    settings = load_settings()
    store = open_store(settings.resolved_database_url)
    hits = scan(settings.resolved_home, store.engine, needles)
    if not hits:
        console.print(f"No plaintext found: {len(needles)} known values checked in {settings.resolved_home} and the database.")
        return
    table = Table("where", "count", title="Plaintext found")
    for where, count in sorted(Counter(hit.where for hit in hits).items()):  # never the values themselves
        table.add_row(where, str(count))
    console.print(table)
    sys.exit(1)
