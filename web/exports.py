"""File exports of protected count tables, keyed by SCB codes for municipal spreadsheets."""
from __future__ import annotations

import csv
from pathlib import Path

from analysis.counts import UNRESOLVED
from analysis.disclosure import PublishedTable
from config.geo import Geography

FORMATS = ("csv",)
CSV_COLUMNS = ("kommunkod", "kommunnamn", "lanskod", "lansnamn", "polisregion", "period", "matt", "varde")
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


def _geo_columns(geography: Geography, level: str, code: str) -> dict[str, str]:
    empty = {"kommunkod": "", "kommunnamn": "", "lanskod": "", "lansnamn": "", "polisregion": ""}
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


def export_rows(table: PublishedTable, geography: Geography) -> list[dict[str, str]]:
    """One row per region, period and measure; suppressed cells carry their marker, never 0."""
    rows = []
    for row in table.rows:
        geo = _geo_columns(geography, table.level, row.region_code)
        for measure in table.measures:
            rows.append({**geo, "period": row.period, "matt": MEASURE_CODES[measure],
                         "varde": row.cells[measure].display})
    return rows


def write_csv(table: PublishedTable, geography: Geography, path: Path) -> int:
    """Write the table as UTF-8 CSV; returns the number of data rows."""
    rows = export_rows(table, geography)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def write_export(table: PublishedTable, geography: Geography, path: Path, fmt: str = "csv") -> int:
    if not isinstance(table, PublishedTable):
        raise TypeError("exports take only disclosure-protected tables")
    if fmt == "csv":
        return write_csv(table, geography, path)
    raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
