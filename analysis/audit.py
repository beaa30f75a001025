"""The disclosure audit: reads published files and reports the suppressed cells the attacker recovers.

The attacker (analysis.attack) solves the sums among cells (analysis.relations) for every measure
of the files, taken together: a cell published in any file is known.

Input files are lagesbild's own exports: CSV with the columns kommunkod, kommunnamn, lanskod, lansnamn,
polisregion, period, matt, varde[, status] or the JSON export (the same records under "varden").
"""
from __future__ import annotations

import csv
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

from analysis.attack import Interval, recoverable_cells
from analysis.relations import RIKET_CODE, SUPPRESSED, UNRESOLVED, CellRef, hierarchy_relations
from config.geo import Geography

UNRESOLVED_NAME = "Okänd plats"
REQUIRED_COLUMNS = ("kommunkod", "kommunnamn", "lanskod", "lansnamn", "polisregion", "period", "matt", "varde")


class AuditInputError(Exception):
    """A file the audit cannot read as a lagesbild export."""


@dataclass(frozen=True)
class Finding:
    """A suppressed cell the attacker recovered: where it was published and the values it must lie in."""

    file: Path
    line: int
    level: str
    region: str
    period: str
    measure: str
    low: int
    high: int


@dataclass(frozen=True)
class AuditReport:
    files: tuple[Path, ...]
    cells: int
    suppressed: int
    findings: tuple[Finding, ...]

    @property
    def recoverable(self) -> bool:
        return bool(self.findings)


def _row_region(row: Mapping[str, str]) -> tuple[str, str] | None:
    """(level, region code) of one export row, from which geography columns are filled."""
    if row.get("kommunkod"):
        return "kommun", row["kommunkod"]
    if row.get("kommunnamn") == UNRESOLVED_NAME:
        return "kommun", UNRESOLVED
    if row.get("lanskod"):
        return "lan", row["lanskod"]
    if row.get("lansnamn") == UNRESOLVED_NAME:
        return "lan", UNRESOLVED
    name = row.get("polisregion") or ""
    if name == "Riket":
        return "riket", RIKET_CODE
    if name == UNRESOLVED_NAME:
        return "polisregion", UNRESOLVED
    if name:
        return "polisregion", name
    return None


def _row_value(row: Mapping, where: str) -> int | None:
    """The published value, or None when the row is suppressed ('..', or any old marker such as '<5')."""
    status = row.get("status") or ""
    value = row.get("varde")
    if status == SUPPRESSED or value is None or value == SUPPRESSED:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    if text.startswith("<"):
        return None
    raise AuditInputError(f"{where}: varde {value!r} is neither a count nor {SUPPRESSED}")


def _read_records(path: Path) -> list[tuple[int, Mapping]]:
    """(line or record number, record) pairs from a CSV or JSON export."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise AuditInputError(f"{path}: not UTF-8 text") from None
    if path.suffix.lower() == ".json":
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise AuditInputError(f"{path}: not JSON ({exc.msg}, line {exc.lineno})") from None
        records = document.get("varden") if isinstance(document, dict) else None
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise AuditInputError(f"{path}: not a lagesbild JSON export (no list of records under 'varden')")
        return list(enumerate(records, start=1))
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        raise AuditInputError(f"{path}: not a lagesbild CSV export (missing columns {', '.join(missing)})")
    return [(line, row) for line, row in enumerate(reader, start=2)]


def read_published(paths: Iterable[Path]) -> tuple[dict[tuple[str, CellRef], int | None], dict]:
    """Published values by (measure, cell) from export files; a cell published anywhere is known.

    Returns the values and, per cell, the (file, line) where it first appears.
    """
    values: dict[tuple[str, CellRef], int | None] = {}
    origin: dict[tuple[str, CellRef], tuple[Path, int]] = {}
    for path in paths:
        for line, row in _read_records(Path(path)):
            where = f"{path}:{line}"
            region = _row_region(row)
            period, measure = str(row.get("period") or ""), str(row.get("matt") or "")
            if region is None or not period or not measure:
                raise AuditInputError(f"{where}: row names no region, period or measure")
            key = (measure, CellRef(region[0], region[1], period))
            value = _row_value(row, where)
            previous = values.get(key)
            if previous is not None and value is not None and previous != value:
                raise AuditInputError(
                    f"{where}: {measure} {region[1]} {period} is {value} here but {previous} in "
                    f"{origin[key][0]} (files from different windows cannot be audited together)"
                )
            if previous is None:  # a cell published in any file is known
                values[key] = value
            origin.setdefault(key, (Path(path), line))
    return values, origin


def audit_values(
    values: Mapping[tuple[str, CellRef], int | None], geography: Geography
) -> dict[tuple[str, CellRef], Interval]:
    """Recoverable cells among published values keyed by (measure, cell); None marks a suppressed cell."""
    by_measure: dict[str, dict[CellRef, int | None]] = defaultdict(dict)
    for (measure, cell), value in values.items():
        by_measure[measure][cell] = value
    found: dict[tuple[str, CellRef], Interval] = {}
    for measure, cells in sorted(by_measure.items()):
        unknown = [cell for cell, value in cells.items() if value is None]
        if not unknown:
            continue
        known = {cell: value for cell, value in cells.items() if value is not None}
        relations = hierarchy_relations(cells, geography)
        for cell, interval in recoverable_cells(known, unknown, relations).items():
            found[(measure, cell)] = interval
    return found


def audit_tables(tables: Iterable, geography: Geography) -> dict[tuple[str, CellRef], Interval]:
    """Recoverable cells among published tables (analysis.disclosure.PublishedTable), keyed by (measure, cell)."""
    values: dict[tuple[str, CellRef], int | None] = {}
    for table in tables:
        for row in table.rows:
            for measure, cell in row.cells.items():
                values[(measure, CellRef(table.level, row.region_code, row.period))] = cell.value
    return audit_values(values, geography)


def audit_files(paths: Iterable[Path], geography: Geography) -> AuditReport:
    """Try to recover every suppressed cell in a set of published files (CSV or JSON exports)."""
    paths = tuple(Path(p) for p in paths)
    values, origin = read_published(paths)
    recovered = audit_values(values, geography)
    findings = tuple(
        Finding(origin[key][0], origin[key][1], key[1].level, key[1].region, key[1].period, key[0],
                int(interval.low), int(interval.high))
        for key, interval in sorted(recovered.items(), key=lambda item: (str(origin[item[0]][0]), origin[item[0]][1]))
    )
    suppressed = sum(1 for value in values.values() if value is None)
    return AuditReport(paths, len(values), suppressed, findings)
