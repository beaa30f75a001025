"""File exports of protected count tables, keyed by SCB codes for municipal spreadsheets.

Every exporter is registered in EXPORTERS through @exporter, which refuses anything but a
disclosure-protected PublishedTable. Suppressed cells are written as ".." in CSV and as null with
status ".." in JSON (SCB's convention), never as 0. Every file names the protection method and version.
"""
from __future__ import annotations

import csv
import json
from functools import wraps
from pathlib import Path
from typing import Callable

from analysis.counts import UNRESOLVED
from analysis.disclosure import SUPPRESSED, PublishedTable
from config.geo import Geography

GEO_COLUMNS = ("kommunkod", "kommunnamn", "lanskod", "lansnamn", "polisregion")
CSV_COLUMNS = (*GEO_COLUMNS, "period", "matt", "varde", "status", "metod")
MEASURE_CODES = {
    "active_ads": "aktiva_annonser",
    "unique_profiles": "unika_profiler",
    "unique_phones": "unika_telefonnummer",
}
MEASURE_LABELS = {
    "active_ads": "Aktiva annonser",
    "unique_profiles": "Unika profiler",
    "unique_phones": "Unika telefonnummer",
}
STATUS_MEANINGS = {SUPPRESSED: "Uppgift inte tillgänglig eller för osäker för att anges (röjandeskydd)"}

Exporter = Callable[[PublishedTable, Geography, Path], int]
EXPORTERS: dict[str, Exporter] = {}


def exporter(fmt: str) -> Callable[[Exporter], Exporter]:
    """Register an exporter under a format name; it only ever receives protected tables."""

    def register(write: Exporter) -> Exporter:
        @wraps(write)
        def checked(table: PublishedTable, geography: Geography, path: Path) -> int:
            if not isinstance(table, PublishedTable):
                raise TypeError("exports take only disclosure-protected tables")
            return write(table, geography, path)

        EXPORTERS[fmt] = checked
        return checked

    return register


def _geo_columns(geography: Geography, level: str, code: str) -> dict[str, str]:
    empty = dict.fromkeys(GEO_COLUMNS, "")
    if code == UNRESOLVED:
        name_column = "kommunnamn" if level == "kommun" else ("lansnamn" if level == "lan" else "polisregion")
        return {**empty, name_column: "Okänd plats"} if level != "riket" else empty
    if level == "riket":
        return {**empty, "polisregion": "Riket"}
    if level == "polisregion":
        return {**empty, "polisregion": code}
    if level == "lan":
        lan = geography.lan[code]
        return {**empty, "lanskod": lan.code, "lansnamn": lan.name, "polisregion": lan.polisregion}
    kommun = geography.kommuner[code]
    lan = geography.lan[kommun.lan_code]
    return {"kommunkod": kommun.code, "kommunnamn": kommun.name, "lanskod": lan.code,
            "lansnamn": lan.name, "polisregion": lan.polisregion}


def export_records(table: PublishedTable, geography: Geography) -> list[dict]:
    """One record per region, period and measure; `varde` is the published value or None when suppressed."""
    records = []
    for row in table.rows:
        geo = _geo_columns(geography, table.level, row.region_code)
        for measure in table.measures:
            cell = row.cells[measure]
            records.append({**geo, "period": row.period, "matt": MEASURE_CODES[measure],
                            "varde": cell.value, "status": cell.status})
    return records


def export_rows(table: PublishedTable, geography: Geography) -> list[dict[str, str]]:
    """CSV rows: suppressed cells read '..' in `varde` and in `status`, never 0."""
    return [{**record, "varde": SUPPRESSED if record["varde"] is None else str(record["varde"]),
             "metod": table.method}
            for record in export_records(table, geography)]


@exporter("csv")
def write_csv(table: PublishedTable, geography: Geography, path: Path) -> int:
    """Write the table as UTF-8 CSV; returns the number of data rows."""
    rows = export_rows(table, geography)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


@exporter("json")
def write_json(table: PublishedTable, geography: Geography, path: Path) -> int:
    """Write the table as UTF-8 JSON: the method and rule, then the records under "varden"."""
    records = export_records(table, geography)
    document = {
        "metod": table.method,
        "regel": table.rule,
        "niva": table.level,
        "periodtyp": table.period,
        "statuskoder": STATUS_MEANINGS,
        "varden": records,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return len(records)


FORMATS = tuple(EXPORTERS)


def write_export(table: PublishedTable, geography: Geography, path: Path, fmt: str = "csv") -> int:
    """Write a protected table in one of FORMATS; returns the number of data rows."""
    if not isinstance(table, PublishedTable):
        raise TypeError("exports take only disclosure-protected tables")
    try:
        write = EXPORTERS[fmt]
    except KeyError:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}") from None
    return write(table, geography, path)
