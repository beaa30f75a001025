"""File exports of protected count tables, keyed by SCB codes for municipal spreadsheets and systems.

Formats: CSV (UTF-8, or with `excel` a UTF-8 BOM, ';' and decimal commas for Swedish Excel), XLSX,
JSON (lagesbild's own records), Kolada-shaped JSON and JSON-stat2 following SCB's PxWebApi conventions.

Every exporter is registered in EXPORTERS through @exporter, which refuses anything but a
disclosure-protected PublishedTable. Suppressed cells are written as ".." in CSV and XLSX and as null with
status ".." in JSON (SCB's convention), never as 0; a suppressed cell's rate per 100 000 is suppressed too.
Every file names the protection method and version, the suppression rule, the crawl coverage behind it
and a quality flag per period (ExportContext).
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import wraps
from pathlib import Path
from typing import Callable, Mapping

from analysis.counts import UNRESOLVED
from analysis.disclosure import SUPPRESSED, PublishedTable
from config.geo import Geography

GEO_COLUMNS = ("kommunkod", "kommunnamn", "lanskod", "lansnamn", "polisregion")
CSV_COLUMNS = (*GEO_COLUMNS, "period", "matt", "varde", "per_100k", "status", "kvalitet", "tackning", "metod",
               "regel")
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
# Signal measures (analysis.signals; protected with the stricter signal threshold).
SIGNAL_CODES = {
    "active_adverts": ("unika_annonser", "Unika annonser (omannonseringar räknade en gång)"),
    "network_adverts": ("annonser_i_natverk", "Annonser i nätverk (delat telefonnummer)"),
    "template_adverts": ("annonser_i_textmallar", "Annonser i textmallar"),
    "touring_adverts": ("annonser_anger_turne", "Annonser som anger turné"),
    "obscured_phone_adverts": ("annonser_dolt_nummer", "Annonser med dolt nummer"),
    "ethnicity_adverts": ("annonser_etnicitet_angiven", "Annonser med angiven etnicitet"),
    "youth_adverts": ("annonser_ungdomligt_sprak", "Annonser med ungdomligt språk"),
    "trust_adverts": ("annonser_palitlighetssprak", "Annonser med pålitlighetsspråk"),
    "mobile_profiles": ("rorliga_profiler", "Rörliga profiler (minst två kommuner)"),
    "mobile_phones": ("rorliga_telefonnummer", "Rörliga telefonnummer (minst två kommuner)"),
    "phone_clusters_2": ("telefonkluster_2_profiler", "Telefonkluster med 2 profiler"),
    "phone_clusters_3_5": ("telefonkluster_3_5_profiler", "Telefonkluster med 3–5 profiler"),
    "phone_clusters_6_10": ("telefonkluster_6_10_profiler", "Telefonkluster med 6–10 profiler"),
    "phone_clusters_11_plus": ("telefonkluster_11_plus_profiler", "Telefonkluster med minst 11 profiler"),
    "flows": ("floden", "Flöden (profiler som flyttat)"),
}
MEASURE_CODES.update({measure: code for measure, (code, _) in SIGNAL_CODES.items()})
MEASURE_LABELS.update({measure: label for measure, (_, label) in SIGNAL_CODES.items()})
# The demand side (analysis.demand, issue 9).
DEMAND_CODES = {"demand_ads": ("efterfrageannonser", "Efterfrågeannonser"), "reviews": ("recensioner", "Recensioner"),
                "unique_reviewers": ("unika_recensenter", "Unika recensenter")}
MEASURE_CODES.update({measure: code for measure, (code, _) in DEMAND_CODES.items()})
MEASURE_LABELS.update({measure: label for measure, (_, label) in DEMAND_CODES.items()})


def measure_code(measure: str) -> str:
    return MEASURE_CODES.get(measure, measure)


def measure_label(measure: str) -> str:
    return MEASURE_LABELS.get(measure, measure)


STATUS_MEANINGS = {SUPPRESSED: "Uppgift inte tillgänglig eller för osäker för att anges (röjandeskydd)"}
UNRESOLVED_NAME = "Okänd plats"
RIKET_NAME = "Riket"
# Region codes in JSON-stat2 and Kolada: SCB writes the whole country as "00"; Kolada as "0000" and a
# län (region) as "00" + the län code.
JSONSTAT_RIKET = "00"
KOLADA_RIKET = "0000"
SOURCE = "lagesbild (NSPM, Jämställdhetsmyndigheten)"


@dataclass(frozen=True)
class ExportContext:
    """What every export states besides the numbers.

    `quality` maps a period label to a short Swedish quality flag ("" when the crawls behind it were
    complete); `cell_quality` may override it for one (region code, period). `coverage` is the crawl
    coverage of the whole window in Swedish and `coverage_by_period` the same per period. `excel`
    switches CSV to what Swedish Excel opens directly (UTF-8 BOM, ';', decimal comma).
    """

    quality: Mapping[str, str] = field(default_factory=dict)
    cell_quality: Mapping[tuple[str, str], str] = field(default_factory=dict)
    coverage: str = "Täckning okänd: inga uppgifter om insamlingarna följde med tabellen."
    coverage_by_period: Mapping[str, str] = field(default_factory=dict)
    quality_meanings: Mapping[str, str] = field(default_factory=dict)
    generated_at: datetime | None = None
    excel: bool = False

    def flag(self, region_code: str, period: str) -> str:
        return self.cell_quality.get((region_code, period), self.quality.get(period, ""))

    @property
    def generated(self) -> str:
        moment = self.generated_at or datetime.now(timezone.utc)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


DEFAULT_CONTEXT = ExportContext()
Renderer = Callable[[PublishedTable, Geography, ExportContext], tuple[bytes, int]]


@dataclass(frozen=True)
class ExportFormat:
    name: str
    suffix: str
    media_type: str
    render: Renderer  # checked: refuses anything but a PublishedTable


Exporter = Callable[..., int]
EXPORTERS: dict[str, Exporter] = {}
EXPORT_FORMATS: dict[str, ExportFormat] = {}


def _check(table: object) -> None:
    if not isinstance(table, PublishedTable):
        raise TypeError("exports take only disclosure-protected tables")


def exporter(fmt: str, suffix: str, media_type: str) -> Callable[[Renderer], Renderer]:
    """Register a renderer under a format name; it only ever receives protected tables.

    EXPORTERS[fmt](table, geography, path, context=None) writes a file and returns the number of values.
    """

    def register(render: Renderer) -> Renderer:
        @wraps(render)
        def checked_render(table: PublishedTable, geography: Geography,
                           context: ExportContext | None = None) -> tuple[bytes, int]:
            _check(table)
            return render(table, geography, context or DEFAULT_CONTEXT)

        def write(table: PublishedTable, geography: Geography, path: Path,
                  context: ExportContext | None = None) -> int:
            _check(table)
            data, count = checked_render(table, geography, context)
            path = Path(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            return count

        write.__name__ = write.__qualname__ = f"write_{fmt}"
        write.__doc__ = render.__doc__
        EXPORTERS[fmt] = write
        EXPORT_FORMATS[fmt] = ExportFormat(fmt, suffix, media_type, checked_render)
        return checked_render

    return register


# --- records -----------------------------------------------------------------------

def _geo_columns(geography: Geography, level: str, code: str) -> dict[str, str]:
    empty = dict.fromkeys(GEO_COLUMNS, "")
    if code == UNRESOLVED:
        name_column = "kommunnamn" if level == "kommun" else ("lansnamn" if level == "lan" else "polisregion")
        return {**empty, name_column: UNRESOLVED_NAME} if level != "riket" else empty
    if level == "riket":
        return {**empty, "polisregion": RIKET_NAME}
    if level == "polisregion":
        return {**empty, "polisregion": code}
    if level == "lan":
        lan = geography.lan[code]
        return {**empty, "lanskod": lan.code, "lansnamn": lan.name, "polisregion": lan.polisregion}
    kommun = geography.kommuner[code]
    lan = geography.lan[kommun.lan_code]
    return {"kommunkod": kommun.code, "kommunnamn": kommun.name, "lanskod": lan.code,
            "lansnamn": lan.name, "polisregion": lan.polisregion}


def population(geography: Geography, level: str, code: str) -> int | None:
    """Inhabitants of a region (None for the unplaced row)."""
    if code == UNRESOLVED:
        return None
    try:
        return geography.population_of(level, None if level == "riket" else code)
    except (KeyError, ValueError):
        return None


def per_100k(value: int | None, inhabitants: int | None) -> float | None:
    """The published value per 100 000 inhabitants, one decimal; None when suppressed or no population."""
    if value is None or not inhabitants:
        return None
    return round(value * 100_000 / inhabitants, 1)


def export_records(table: PublishedTable, geography: Geography,
                   context: ExportContext | None = None) -> list[dict]:
    """One record per region, period and measure; `varde` and `per_100k` are None when suppressed."""
    _check(table)
    context = context or DEFAULT_CONTEXT
    records = []
    for row in table.rows:
        geo = _geo_columns(geography, table.level, row.region_code)
        inhabitants = population(geography, table.level, row.region_code)
        for measure in table.measures:
            cell = row.cells[measure]
            records.append({**geo, "period": row.period, "matt": measure_code(measure),
                            "varde": cell.value, "per_100k": per_100k(cell.value, inhabitants),
                            "status": cell.status, "kvalitet": context.flag(row.region_code, row.period)})
    return records


def _decimal(value: float | None, excel: bool) -> str:
    if value is None:
        return ""
    text = f"{value:.1f}"
    return text.replace(".", ",") if excel else text


def export_rows(table: PublishedTable, geography: Geography,
                context: ExportContext | None = None) -> list[dict[str, str]]:
    """CSV rows: suppressed cells read '..' in `varde`, `per_100k` and `status`, never 0."""
    context = context or DEFAULT_CONTEXT
    rows = []
    for record in export_records(table, geography, context):
        suppressed = record["varde"] is None
        rows.append({**record,
                     "varde": SUPPRESSED if suppressed else str(record["varde"]),
                     "per_100k": SUPPRESSED if suppressed else _decimal(record["per_100k"], context.excel),
                     "tackning": context.coverage_by_period.get(record["period"], context.coverage),
                     "metod": table.method, "regel": table.rule})
    return rows


def _about(table: PublishedTable, context: ExportContext) -> list[tuple[str, str]]:
    """The facts every export states, as (Swedish label, text) pairs."""
    about = [
        ("Källa", SOURCE),
        ("Metod (röjandeskydd)", table.method),
        ("Regel", table.rule),
        ("Nivå", table.level),
        ("Periodtyp", table.period),
        ("Täckning", context.coverage),
        ("Skapad (UTC)", context.generated),
        (f"Status {SUPPRESSED}", STATUS_MEANINGS[SUPPRESSED]),
    ]
    about += [(f"Täckning {period}", note) for period, note in sorted(context.coverage_by_period.items())]
    about += [(f"Kvalitet: {flag}", meaning) for flag, meaning in context.quality_meanings.items()]
    return about


# --- CSV, XLSX, JSON -----------------------------------------------------------------

@exporter("csv", ".csv", "text/csv; charset=utf-8")
def render_csv(table: PublishedTable, geography: Geography, context: ExportContext) -> tuple[bytes, int]:
    """UTF-8 CSV (with `excel`: BOM, ';' and decimal commas); every row names its method, rule and coverage."""
    rows = export_rows(table, geography, context)
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, delimiter=";" if context.excel else ",",
                            lineterminator="\r\n" if context.excel else "\n")
    writer.writeheader()
    writer.writerows(rows)
    text = buffer.getvalue()
    return (("\ufeff" + text) if context.excel else text).encode("utf-8"), len(rows)


@exporter("xlsx", ".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
def render_xlsx(table: PublishedTable, geography: Geography, context: ExportContext) -> tuple[bytes, int]:
    """An Excel workbook: sheet "Data" (codes as text, counts as numbers, '..' for suppressed cells) and
    sheet "Om tabellen" with the method, rule, coverage and the meaning of every status and flag."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    rows = export_rows(table, geography, context)
    records = export_records(table, geography, context)
    book = Workbook()
    sheet = book.active
    sheet.title = "Data"
    sheet.append(list(CSV_COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row, record in zip(rows, records):
        values = []
        for column in CSV_COLUMNS:
            if column == "varde":
                values.append(SUPPRESSED if record["varde"] is None else record["varde"])
            elif column == "per_100k":
                values.append(SUPPRESSED if record["varde"] is None else record["per_100k"])
            else:
                values.append(row[column])
        sheet.append(values)
    for index, column in enumerate(CSV_COLUMNS, start=1):
        if column in GEO_COLUMNS or column == "period":
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = "@"  # codes such as 0114 stay text
        width = max([len(column)] + [len(str(r[column])) for r in rows[:500]]) + 2
        sheet.column_dimensions[get_column_letter(index)].width = min(width, 40)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    about = book.create_sheet("Om tabellen")
    about.append(["Uppgift", "Värde"])
    for cell in about[1]:
        cell.font = Font(bold=True)
    for label, text in _about(table, context):
        about.append([label, text])
    about.column_dimensions["A"].width = 28
    about.column_dimensions["B"].width = 100
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue(), len(rows)


def _json_bytes(document: dict) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def json_document(table: PublishedTable, geography: Geography, context: ExportContext | None = None) -> dict:
    """lagesbild's own JSON: method, rule, coverage and quality, then the records under "varden"."""
    context = context or DEFAULT_CONTEXT
    return {
        "kalla": SOURCE,
        "metod": table.method,
        "regel": table.rule,
        "niva": table.level,
        "periodtyp": table.period,
        "skapad": context.generated,
        "tackning": {"sammanfattning": context.coverage, "per_period": dict(context.coverage_by_period)},
        "statuskoder": STATUS_MEANINGS,
        "kvalitetskoder": dict(context.quality_meanings),
        "varden": export_records(table, geography, context),
    }


@exporter("json", ".json", "application/json")
def render_json(table: PublishedTable, geography: Geography, context: ExportContext) -> tuple[bytes, int]:
    """UTF-8 JSON: the method, rule and coverage, then the records under "varden" (null when suppressed)."""
    document = json_document(table, geography, context)
    return _json_bytes(document), len(document["varden"])


# --- Kolada -----------------------------------------------------------------------------

class UnsupportedExport(ValueError):
    """A level a format has no codes for (Kolada knows no police regions)."""


def kolada_municipality(level: str, code: str) -> str | None:
    """Kolada's municipality id: the kommun code, "00" + län code for a län, "0000" for the country."""
    if code == UNRESOLVED:
        return None
    if level == "kommun":
        return code
    if level == "lan":
        return "00" + code
    if level == "riket":
        return KOLADA_RIKET
    raise UnsupportedExport("Kolada har ingen kod för polisregioner; välj nivå kommun, lan eller riket")


def kolada_period(label: str) -> int | str:
    """Kolada periods are years (numbers); months, quarters and weeks keep their label."""
    return int(label) if label.isdigit() else label


def kolada_document(table: PublishedTable, geography: Geography, context: ExportContext | None = None) -> dict:
    """The shape of a Kolada v3 /data response: one entry per kpi, municipality and period, with
    values of gender "T" (total); a suppressed value is null with status "..". The unplaced row has
    no municipality id and is left out."""
    _check(table)
    context = context or DEFAULT_CONTEXT
    if table.level == "polisregion":
        kolada_municipality(table.level, "")  # raises
    values = []
    for row in table.rows:
        municipality = kolada_municipality(table.level, row.region_code)
        if municipality is None:
            continue
        for measure in table.measures:
            cell = row.cells[measure]
            values.append({
                "kpi": measure_code(measure),
                "municipality": municipality,
                "period": kolada_period(row.period),
                "values": [{"count": 1, "gender": "T", "status": cell.status, "value": cell.value}],
            })
    return {
        "count": len(values),
        "values": values,
        "next_page": None,
        "previous_page": None,
        "kpi_titlar": {measure_code(m): measure_label(m) for m in table.measures},
        "metod": table.method,
        "regel": table.rule,
        "tackning": context.coverage,
        "kvalitet": {row.period: context.flag(row.region_code, row.period) for row in table.rows
                     if context.flag(row.region_code, row.period)},
        "statuskoder": STATUS_MEANINGS,
        "kalla": SOURCE,
        "skapad": context.generated,
    }


@exporter("kolada", ".json", "application/json")
def render_kolada(table: PublishedTable, geography: Geography, context: ExportContext) -> tuple[bytes, int]:
    """Kolada-shaped JSON (kpi, municipality, period, values with gender "T")."""
    document = kolada_document(table, geography, context)
    return _json_bytes(document), document["count"]


# --- JSON-stat2 ---------------------------------------------------------------------------

def jsonstat_region(level: str, code: str) -> str:
    if level == "riket":
        return JSONSTAT_RIKET
    return code


def jsonstat_document(table: PublishedTable, geography: Geography, context: ExportContext | None = None) -> dict:
    """JSON-stat 2.0 as SCB's PxWebApi v2 writes it: dimensions Region × ContentsCode × Tid, values
    row-major over `id`, a suppressed cell null with status "..", the meaning under extension.status."""
    _check(table)
    context = context or DEFAULT_CONTEXT
    regions: dict[str, str] = {}
    for row in table.rows:
        regions.setdefault(jsonstat_region(table.level, row.region_code), row.region_name)
    periods = sorted({row.period for row in table.rows})
    measures = list(table.measures)
    cells = {(jsonstat_region(table.level, row.region_code), row.period): row.cells for row in table.rows}
    values: list[int | None] = []
    status: dict[str, str] = {}
    for region in regions:
        for measure in measures:
            for period in periods:
                row_cells = cells.get((region, period))
                cell = row_cells[measure] if row_cells else None
                if cell is None or cell.value is None:
                    status[str(len(values))] = SUPPRESSED
                    values.append(None)
                else:
                    values.append(cell.value)
    level_label = {"riket": "riket", "polisregion": "polisregion", "lan": "län", "kommun": "region"}[table.level]
    time_label = {"week": "vecka", "month": "månad", "quarter": "kvartal", "year": "år"}[table.period]
    quality = {period: context.quality.get(period, "") for period in periods if context.quality.get(period)}
    return {
        "version": "2.0",
        "class": "dataset",
        "label": f"Annonsmarknaden efter {level_label}, tabellinnehåll och {time_label}",
        "source": SOURCE,
        "updated": context.generated,
        "id": ["Region", "ContentsCode", "Tid"],
        "size": [len(regions), len(measures), len(periods)],
        "role": {"geo": ["Region"], "metric": ["ContentsCode"], "time": ["Tid"]},
        "dimension": {
            "Region": {"label": level_label, "category": {
                "index": {code: i for i, code in enumerate(regions)},
                "label": dict(regions)}},
            "ContentsCode": {"label": "tabellinnehåll", "category": {
                "index": {measure_code(m): i for i, m in enumerate(measures)},
                "label": {measure_code(m): measure_label(m) for m in measures},
                "unit": {measure_code(m): {"base": "antal", "decimals": 0} for m in measures}}},
            "Tid": {"label": time_label, "category": {
                "index": {p: i for i, p in enumerate(periods)},
                "label": {p: p for p in periods}}},
        },
        "value": values,
        "status": status,
        "extension": {
            "status": STATUS_MEANINGS,
            "metod": table.method,
            "regel": table.rule,
            "tackning": context.coverage,
            "tackning_per_period": {p: context.coverage_by_period[p] for p in periods
                                    if p in context.coverage_by_period},
            "kvalitet": quality,
            "kvalitetskoder": dict(context.quality_meanings),
        },
        "note": [table.rule, context.coverage],
    }


@exporter("jsonstat", ".json", "application/json")
def render_jsonstat(table: PublishedTable, geography: Geography, context: ExportContext) -> tuple[bytes, int]:
    """JSON-stat2 following SCB's PxWebApi conventions."""
    document = jsonstat_document(table, geography, context)
    return _json_bytes(document), len(document["value"])


FORMATS = tuple(EXPORTERS)

# --- origin–destination flows ----------------------------------------------------------------

FLOW_COLUMNS = ("fran_kod", "fran", "till_kod", "till", "period", "matt", "varde", "status", "metod", "regel")
FLOW_FORMATS = {"csv": (".csv", "text/csv; charset=utf-8"),
                "xlsx": (".xlsx", EXPORT_FORMATS["xlsx"].media_type),
                "json": (".json", "application/json")}


def flow_records(table: PublishedTable) -> list[dict]:
    """One record per period and (origin, destination) pair of a protected flow table."""
    _check(table)
    records = []
    for row in table.rows:
        origin, _, destination = row.region_code.partition(">")
        origin_name, _, destination_name = row.region_name.partition(" → ")
        for measure in table.measures:
            cell = row.cells[measure]
            records.append({"fran_kod": origin, "fran": origin_name, "till_kod": destination,
                            "till": destination_name, "period": row.period, "matt": measure_code(measure),
                            "varde": cell.value, "status": cell.status, "metod": table.method, "regel": table.rule})
    return records


def render_flows(table: PublishedTable, fmt: str, context: ExportContext | None = None) -> bytes:
    """A protected flow table as CSV, XLSX or JSON ('..' / null for a suppressed cell)."""
    context = context or DEFAULT_CONTEXT
    records = flow_records(table)
    if fmt == "json":
        return _json_bytes({"kalla": SOURCE, "metod": table.method, "regel": table.rule, "niva": table.level,
                            "periodtyp": table.period, "skapad": context.generated,
                            "statuskoder": STATUS_MEANINGS, "varden": records})
    shown = [{**r, "varde": SUPPRESSED if r["varde"] is None else r["varde"]} for r in records]
    if fmt == "csv":
        buffer = io.StringIO(newline="")
        writer = csv.DictWriter(buffer, fieldnames=FLOW_COLUMNS, delimiter=";" if context.excel else ",",
                                lineterminator="\r\n" if context.excel else "\n")
        writer.writeheader()
        writer.writerows(shown)
        return (("\ufeff" if context.excel else "") + buffer.getvalue()).encode("utf-8")
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.title = "Data"
        sheet.append(list(FLOW_COLUMNS))
        for record in shown:
            sheet.append([record[c] for c in FLOW_COLUMNS])
        about = book.create_sheet("Om tabellen")
        for label, text in _about(table, context):
            about.append([label, text])
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()
    raise ValueError(f"unknown flow format {fmt!r}; use one of {', '.join(FLOW_FORMATS)}")


def render_export(table: PublishedTable, geography: Geography, fmt: str = "csv",
                  context: ExportContext | None = None) -> tuple[bytes, int]:
    """A protected table in one of FORMATS as bytes, and the number of values in it."""
    _check(table)
    try:
        render = EXPORT_FORMATS[fmt].render
    except KeyError:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}") from None
    return render(table, geography, context)


def write_export(table: PublishedTable, geography: Geography, path: Path, fmt: str = "csv",
                 context: ExportContext | None = None) -> int:
    """Write a protected table in one of FORMATS; returns the number of values written."""
    _check(table)
    try:
        write = EXPORTERS[fmt]
    except KeyError:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}") from None
    return write(table, geography, path, context)
