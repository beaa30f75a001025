"""Population per kommun from downloaded SCB (TAB638, BE0101N1) or Kolada (N01951) files."""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

from config.errors import ConfigError
from config.geo import load_geography

POPULATION_COLUMNS = ("kommunkod", "kommunnamn", "folkmangd", "ar")
KOLADA_POPULATION_KPI = "N01951"
_KOMMUN_CELL = re.compile(r"^\s*(?P<code>\d{4})(?:\s+(?P<name>.+?))?\s*$")
_YEAR = re.compile(r"^(?:19|20)\d{2}$")


@dataclass(frozen=True)
class PopulationTable:
    year: int
    by_kommun: dict[str, int]
    source: str


def _number(text: str) -> int | None:
    cleaned = text.replace("\u00a0", "").replace(" ", "").strip()
    return int(cleaned) if cleaned.isdigit() else None


def _from_jsonstat(data: dict, file: str, year: int | None) -> PopulationTable:
    dims = data["id"]
    sizes = data["size"]
    region_dim = next((d for d in dims if d.lower() == "region"), None)
    time_dim = next((d for d in dims if d.lower() in {"tid", "år", "ar", "year"}), None)
    if region_dim is None or time_dim is None:
        raise ConfigError(file, "id", "JSON-stat needs a Region and a Tid dimension")
    index = {d: data["dimension"][d]["category"]["index"] for d in dims}
    positions = {d: (index[d] if isinstance(index[d], dict) else {k: i for i, k in enumerate(index[d])}) for d in dims}
    years = sorted(positions[time_dim], key=int)
    chosen = str(year) if year else years[-1]
    if chosen not in positions[time_dim]:
        raise ConfigError(file, time_dim, f"no data for year {chosen} (has {', '.join(years)})")
    values = data["value"]
    by_kommun: dict[str, int] = {}
    for code, region_pos in positions[region_dim].items():
        if not re.fullmatch(r"\d{4}", code):
            continue
        offset, stride = 0, 1
        for dim, size in reversed(list(zip(dims, sizes))):
            pos = region_pos if dim == region_dim else positions[time_dim][chosen] if dim == time_dim else 0
            offset += pos * stride
            stride *= size
        value = values[offset] if isinstance(values, list) else values.get(str(offset))
        if value is not None:
            by_kommun[code] = int(value)
    return PopulationTable(int(chosen), by_kommun, "SCB JSON-stat2")


def _from_kolada(data: dict, file: str, year: int | None) -> PopulationTable:
    rows = [v for v in data["values"] if v.get("kpi", KOLADA_POPULATION_KPI) == KOLADA_POPULATION_KPI]
    periods = sorted({int(v["period"]) for v in rows})
    if not periods:
        raise ConfigError(file, "values", f"no {KOLADA_POPULATION_KPI} values")
    chosen = year or periods[-1]
    by_kommun = {}
    for row in rows:
        if int(row["period"]) != chosen or not re.fullmatch(r"\d{4}", str(row["municipality"])):
            continue
        total = next((v for v in row["values"] if v.get("gender") == "T"), None)
        if total is not None and total.get("value") is not None:
            by_kommun[str(row["municipality"])] = int(total["value"])
    return PopulationTable(chosen, by_kommun, f"Kolada {KOLADA_POPULATION_KPI}")


def _from_csv(text: str, file: str, year: int | None) -> PopulationTable:
    dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    rows = list(csv.reader(io.StringIO(text), dialect))
    header_at = next((i for i, row in enumerate(rows) if any(_YEAR.match(c.strip().strip('"')) for c in row)
                      or any(c.strip().lower() in {"år", "ar", "tid", "year"} for c in row)), None)
    if header_at is None:
        raise ConfigError(file, "header", "no year column found (expected a column named by year, or år/Tid)")
    header = [c.strip().strip('"').lower() for c in rows[header_at]]
    year_columns = {int(h): i for i, h in enumerate(header) if _YEAR.match(h)}
    by_kommun: dict[str, int] = {}
    if year_columns:  # wide: region, ..., 2022, 2023
        chosen = year or max(year_columns)
        if chosen not in year_columns:
            raise ConfigError(file, "header", f"no column for year {chosen}")
        for row in rows[header_at + 1:]:
            region = next((m for c in row if (m := _KOMMUN_CELL.match(c))), None)
            if region and len(row) > year_columns[chosen] and (n := _number(row[year_columns[chosen]])) is not None:
                by_kommun[region["code"]] = by_kommun.get(region["code"], 0) + n
        return PopulationTable(chosen, by_kommun, "SCB CSV")
    year_col = next(i for i, h in enumerate(header) if h in {"år", "ar", "tid", "year"})
    value_col = len(header) - 1
    found_years = sorted({int(r[year_col]) for r in rows[header_at + 1:] if len(r) > year_col and r[year_col].strip().isdigit()})
    if not found_years:
        raise ConfigError(file, header[year_col], "no year values")
    chosen = year or found_years[-1]
    for row in rows[header_at + 1:]:
        if len(row) <= value_col or not row[year_col].strip().isdigit() or int(row[year_col]) != chosen:
            continue
        region = next((m for c in row if (m := _KOMMUN_CELL.match(c))), None)
        if region and (n := _number(row[value_col])) is not None:
            by_kommun[region["code"]] = by_kommun.get(region["code"], 0) + n
    return PopulationTable(chosen, by_kommun, "SCB CSV")


def read_population_file(path: Path, year: int | None = None) -> PopulationTable:
    """Population per kommun from an SCB CSV or JSON-stat2 download, or a Kolada N01951 JSON response."""
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        text = path.read_text(encoding="cp1252")  # PxWeb's "ANSI" CSV
    except OSError as exc:
        raise ConfigError(file, "", f"cannot read file ({exc.strerror})") from None
    try:
        if text.lstrip().startswith("{"):
            data = json.loads(text)
            if data.get("class") == "dataset" or "dimension" in data:
                return _from_jsonstat(data, file, year)
            if "values" in data:
                return _from_kolada(data, file, year)
            raise ConfigError(file, "", "JSON is neither JSON-stat2 nor a Kolada data response")
        return _from_csv(text, file, year)
    except (KeyError, ValueError, TypeError, csv.Error) as exc:
        raise ConfigError(file, "", f"not a population table this command can read ({type(exc).__name__}: {exc})") from None


def write_population_csv(table: PopulationTable, names: dict[str, str], path: Path) -> None:
    """Write the table in the bundled format (kommunkod,kommunnamn,folkmangd,ar), all kommuner required."""
    missing = sorted(set(names) - set(table.by_kommun))
    if missing:
        shown = ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
        raise ConfigError(str(path), "kommunkod", f"{len(missing)} kommuner have no population ({shown})")
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    with temporary.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(POPULATION_COLUMNS)
        for code in sorted(names):
            writer.writerow([code, names[code], table.by_kommun[code], table.year])
    temporary.replace(path)


def refresh_population(source: Path, target: Path, year: int | None = None) -> tuple[PopulationTable, int]:
    """Read a downloaded population table and write it as the bundled format to `target`.

    Returns the table and the total population of the 290 kommuner.
    """
    table = read_population_file(source, year)
    names = {code: kommun.name for code, kommun in load_geography().kommuner.items()}
    write_population_csv(table, names, target)
    return table, sum(table.by_kommun[code] for code in names)
