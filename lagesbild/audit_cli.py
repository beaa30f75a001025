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
