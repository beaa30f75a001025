"""`lagesbild audit-disclosure`: the automated attacker run against published files."""
from __future__ import annotations

import sys
from pathlib import Path
import click
from rich.console import Console
from rich.table import Table
from analysis.audit import AuditInputError, audit_files
from analysis.counts import UNRESOLVED
from config.settings import load_settings, load_settings_geography
import json
import urllib.request
from evaluation.piiscan import needles_from_truth, phone_forms, scan


LEVEL_LABELS = {"riket": "Riket", "polisregion": "Polisregion", "lan": "Län", "kommun": "Kommun"}


class BadInput(click.ClickException):
    """A file the audit cannot read: one line on stderr, exit code 2."""

    exit_code = 2


def _region_name(geography, level: str, code: str) -> str:
    if code == UNRESOLVED:
        return "Okänd plats"
    try:
        return f"{geography.region_name(level, code)} ({code})" if level in ("kommun", "lan") else \
            geography.region_name(level, code)
    except (KeyError, ValueError):
        return code


@click.command("audit-disclosure")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
def audit_disclosure(files: tuple[Path, ...]) -> None:
    """Try to recover suppressed cells from published files by solving their sums.

    Give every file an attacker could hold together (CSV or JSON exports, any levels and periods).
    Lists each suppressed cell that can be pinned to within ±2; exits 1 if there is one, 0 if none.

    Example: lagesbild audit-disclosure kommun.csv lan.csv riket.csv
    """
    console = Console()
    geography = load_settings_geography(load_settings())
    try:
        report = audit_files(files, geography)
    except AuditInputError as exc:
        raise BadInput(str(exc)) from None
    if not report.findings:
        console.print(f"Ingen undertryckt cell kan räknas fram inom ±2 ({report.suppressed} undertryckta av "
                      f"{report.cells} celler i {len(report.files)} filer).")
        return
    table = Table(title=f"Celler som kan räknas fram ({len(report.findings)} av {report.suppressed} undertryckta)")
    for column in ("Fil", "Rad", "Nivå", "Region", "Period", "Mått", "Möjliga värden"):
        table.add_column(column)
    for finding in report.findings:
        values = str(finding.low) if finding.low == finding.high else f"{finding.low}–{finding.high}"
        table.add_row(str(finding.file), str(finding.line), LEVEL_LABELS.get(finding.level, finding.level),
                      _region_name(geography, finding.level, finding.region), finding.period,
                      finding.measure, values)
    console.print(table)
    sys.exit(1)


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
