"""Exports: every kommun keyed by its SCB code, suppressed cells as '..' (null in JSON), never 0 or 1–4."""
import csv
import json
import warnings
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from analysis import disclosure
from analysis.audit import audit_files
from analysis.counts import LEVELS, count_observations
from config.geo import load_geography
from web.exports import CSV_COLUMNS, EXPORTERS, FORMATS, ExportContext, UnsupportedExport, write_export

from support import Obs

GEO = load_geography()
FORMATS_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "formats"


def observations():
    """Göteborg 12, Stockholm 30, Vallentuna 6 and Upplands Väsby 1 (which takes Vallentuna with it)."""
    counts = {"1480": 12, "0180": 30, "0115": 6, "0114": 1}
    return [Obs(f"a{code}-{i}", f"p{code}-{i}", None, code, datetime(2026, 11, 10))
            for code, n in counts.items() for i in range(n)]


def published(level, method="suppression"):
    tables = [count_observations(observations(), GEO, lvl, "month") for lvl in LEVELS]
    return disclosure.protect_levels({t.level: t for t in tables}, GEO, method=method)[level]


def published_year(level):
    tables = [count_observations(observations(), GEO, lvl, "year") for lvl in LEVELS]
    return disclosure.protect_levels({t.level: t for t in tables}, GEO)[level]


def read_csv(path, delimiter=","):
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


def read_json(path):
    return json.loads(path.read_text(encoding="utf-8"))["varden"]


def read_xlsx(path):
    """The "Data" sheet as records with the CSV's columns (numbers as Excel stores them)."""
    book = openpyxl.load_workbook(path, read_only=True)
    rows = list(book["Data"].iter_rows(values_only=True))
    header = rows[0]
    return [dict(zip(header, ("" if v is None else v for v in row))) for row in rows[1:]]


def _from_region(level, code):
    """The geography columns the audit reads, from a Kolada or JSON-stat region code."""
    if level == "kommun":
        return {"kommunkod": code}
    if level == "lan":
        return {"lanskod": code}
    if level == "polisregion":
        return {"polisregion": "Okänd plats" if code == "okand" else code}
    return {"polisregion": "Riket"}


def read_kolada(path):
    """Kolada records as export records: municipality → kommun/län/riket, gender T only."""
    document = json.loads(path.read_text(encoding="utf-8"))
    records = []
    for entry in document["values"]:
        municipality = entry["municipality"]
        if municipality == "0000":
            level, code = "riket", "SE"
        elif municipality.startswith("00"):
            level, code = "lan", municipality[2:]
        else:
            level, code = "kommun", municipality
        [value] = [v for v in entry["values"] if v["gender"] == "T"]
        records.append({**_from_region(level, code), "period": str(entry["period"]), "matt": entry["kpi"],
                        "varde": value["value"], "status": value["status"]})
    return records


def jsonstat_frame(text, naming="label"):
    """A JSON-stat2 document as a pandas DataFrame, read with the pyjstat library."""
    from pyjstat import pyjstat

    with warnings.catch_warnings():  # pyjstat's write() calls its own deprecated helper
        warnings.simplefilter("ignore", DeprecationWarning)
        return pyjstat.Dataset.read(text).write("dataframe", naming=naming)


def read_jsonstat(path):
    """JSON-stat2 cells as export records, read with the pyjstat library."""
    text = path.read_text(encoding="utf-8")
    document = json.loads(text)
    frame = jsonstat_frame(text, naming="id")
    level = LEVEL_OF_LABEL[document["dimension"]["Region"]["label"]]
    records = []
    for index, row in enumerate(frame.itertuples(index=False)):
        value = None if row.value != row.value else int(row.value)  # NaN for null
        status = document["status"].get(str(index), "")
        records.append({**_from_region(level, row.Region), "period": row.Tid, "matt": row.ContentsCode,
                        "varde": value, "status": status})
    return records


LEVEL_OF_LABEL = {"riket": "riket", "polisregion": "polisregion", "län": "lan", "region": "kommun"}
# How a test reads each format back: a new exporter needs a reader here, so it cannot go unchecked.
READERS = {"csv": read_csv, "json": read_json, "xlsx": read_xlsx, "kolada": read_kolada, "jsonstat": read_jsonstat}


def audit_records(records_by_file, tmp_path):
    """Run the disclosure auditor over records read back from any format (as lagesbild JSON files)."""
    paths = []
    for i, records in enumerate(records_by_file):
        path = tmp_path / f"audit-{i}.json"
        path.write_text(json.dumps({"varden": records}, ensure_ascii=False), encoding="utf-8")
        paths.append(path)
    return audit_files(paths, GEO)


def test_kommun_csv_has_all_kommuner_with_codes_as_text(tmp_path):
    path = tmp_path / "k.csv"
    write_export(published("kommun"), GEO, path)
    rows = read_csv(path)
    assert tuple(rows[0]) == CSV_COLUMNS
    ads = {r["kommunkod"]: r for r in rows if r["matt"] == "aktiva_annonser"}
    assert len(ads) == 290
    assert ads["1480"]["varde"] == "12" and ads["1480"]["lanskod"] == "14" and ads["1480"]["polisregion"] == "Väst"
    assert ads["0114"]["varde"] == ".." and ads["0114"]["status"] == ".."
    assert ads["0114"]["kommunnamn"] == "Upplands Väsby"
    assert ads["0115"]["varde"] == ".."  # the partner that keeps Upplands Väsby hidden in Stockholms län
    assert ads["0180"]["varde"] == "30" and ads["0117"]["varde"] == "0" and ads["0117"]["status"] == ""
    assert {r["metod"] for r in rows} == {"suppression-v2"}


def test_higher_levels_leave_kommun_columns_empty(tmp_path):
    path = tmp_path / "p.csv"
    write_export(published("polisregion"), GEO, path)
    rows = [r for r in read_csv(path) if r["matt"] == "aktiva_annonser"]
    by_region = {r["polisregion"]: r["varde"] for r in rows}
    assert by_region["Väst"] == "12" and by_region["Stockholm"] == "37"
    assert all(r["kommunkod"] == "" for r in rows)


def test_json_export_uses_null_and_status_dots(tmp_path):
    path = tmp_path / "k.json"
    write_export(published("kommun"), GEO, path, "json")
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["metod"] == "suppression-v2" and ".." in document["regel"]
    assert document["statuskoder"][".."].startswith("Uppgift inte tillgänglig")
    ads = {r["kommunkod"]: r for r in document["varden"] if r["matt"] == "aktiva_annonser"}
    assert ads["0114"]["varde"] is None and ads["0114"]["status"] == ".."
    assert ads["1480"]["varde"] == 12 and ads["1480"]["status"] == ""
    assert ads["0117"]["varde"] == 0


def test_every_format_is_registered():
    assert set(FORMATS) == set(EXPORTERS) >= {"csv", "json"}


@pytest.mark.parametrize("fmt", sorted(EXPORTERS))
def test_every_exporter_refuses_unprotected_tables(fmt, tmp_path):
    raw = count_observations(observations(), GEO, "kommun", "month")
    with pytest.raises(TypeError):
        EXPORTERS[fmt](raw, GEO, tmp_path / f"x.{fmt}")
    with pytest.raises(TypeError):
        write_export(raw, GEO, tmp_path / f"x.{fmt}", fmt)
    assert not (tmp_path / f"x.{fmt}").exists()


@pytest.mark.parametrize("method", ["suppression", "ckm"])
@pytest.mark.parametrize("fmt", sorted(EXPORTERS))
def test_every_exporter_shows_no_small_count(fmt, method, tmp_path):
    assert fmt in READERS, f"add a reader for the {fmt!r} export to READERS"
    path = tmp_path / f"k.{fmt}"
    rows = write_export(published("kommun", method), GEO, path, fmt)
    records = READERS[fmt](path)
    assert len(records) == rows == 3 * 290
    values = {str(r["varde"]) for r in records}
    assert not values & {"1", "2", "3", "4"}
    for record in records:
        suppressed = record["status"] == ".."
        assert suppressed == (record["varde"] in (None, "..")), record
        assert record["varde"] not in ("0", 0) or not suppressed


@pytest.mark.parametrize("fmt", sorted(EXPORTERS))
def test_no_cell_can_be_recovered_from_all_levels_together(fmt, tmp_path):
    """The disclosure auditor reads every level of every format back and recovers nothing."""
    records = []
    for level in LEVELS:
        if fmt == "kolada" and level == "polisregion":
            continue  # Kolada has no police-region codes (refused, see below)
        path = tmp_path / f"{level}.{fmt}"
        write_export(published(level), GEO, path, fmt)
        records.append(READERS[fmt](path))
    report = audit_records(records, tmp_path)
    assert report.suppressed > 0 and not report.recoverable
    if fmt in ("csv", "json"):  # the auditor also reads these files directly
        direct = audit_files([tmp_path / f"{level}.{fmt}" for level in LEVELS], GEO)
        assert direct.suppressed == report.suppressed and not direct.recoverable


def test_the_audit_of_read_back_records_would_catch_an_unprotected_cell(tmp_path):
    """The reader-based audit is not blind: un-suppress one primary cell and it is found."""
    records = []
    for level in LEVELS:
        path = tmp_path / f"{level}.xlsx"
        write_export(published(level), GEO, path, "xlsx")
        records.append(READERS["xlsx"](path))
    kommun = records[-1]
    [leak] = [r for r in kommun if r["kommunkod"] == "0114" and r["matt"] == "aktiva_annonser"]
    leak["varde"], leak["status"] = 1, ""
    assert audit_records(records, tmp_path).recoverable


def test_unknown_format_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown export format"):
        write_export(published("kommun"), GEO, tmp_path / "x.xyz", "xyz")


# --- the context every export carries: rates, quality flags, coverage, rule ----------------------------

CONTEXT = ExportContext(quality={"2026-11": "delvis täckning"},
                        coverage="Insamlingar 2026-11: 4 insamlingar av 2 sajter: 3 kompletta, 1 ofullständig",
                        coverage_by_period={"2026-11": "4 insamlingar av 2 sajter: 3 kompletta, 1 ofullständig"},
                        quality_meanings={"delvis täckning": "En insamling avbröts."},
                        generated_at=datetime(2026, 11, 23, 12, 0))


def test_csv_carries_rates_quality_coverage_and_rule(tmp_path):
    path = tmp_path / "k.csv"
    write_export(published("kommun"), GEO, path, "csv", CONTEXT)
    rows = read_csv(path)
    assert tuple(rows[0]) == CSV_COLUMNS
    ads = {r["kommunkod"]: r for r in rows if r["matt"] == "aktiva_annonser"}
    expected = round(12 * 100_000 / GEO.population["1480"], 1)
    assert ads["1480"]["per_100k"] == f"{expected:.1f}"
    assert ads["0114"]["per_100k"] == ".."  # a suppressed count has a suppressed rate
    assert ads["0117"]["per_100k"] == "0.0"
    assert {r["kvalitet"] for r in rows} == {"delvis täckning"}
    assert {r["tackning"] for r in rows} == {CONTEXT.coverage_by_period["2026-11"]}
    assert {r["regel"] for r in rows} == {published("kommun").rule}


def test_excel_csv_has_bom_semicolons_and_decimal_commas(tmp_path):
    plain, excel = tmp_path / "plain.csv", tmp_path / "excel.csv"
    write_export(published("kommun"), GEO, plain, "csv", CONTEXT)
    write_export(published("kommun"), GEO, excel, "csv", replace(CONTEXT, excel=True))
    raw = excel.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and not plain.read_bytes().startswith(b"\xef\xbb\xbf")
    assert raw.splitlines()[0].decode("utf-8-sig").split(";")[:3] == ["kommunkod", "kommunnamn", "lanskod"]
    with excel.open(encoding="utf-8-sig", newline="") as handle:
        excel_rows = list(csv.DictReader(handle, delimiter=";"))
    plain_rows = read_csv(plain)
    assert len(excel_rows) == len(plain_rows)
    for a, b in zip(excel_rows, plain_rows):
        assert a["per_100k"] == (b["per_100k"] if b["per_100k"] == ".." else b["per_100k"].replace(".", ","))
        assert {k: v for k, v in a.items() if k != "per_100k"} == {k: v for k, v in b.items() if k != "per_100k"}
    assert any("," in r["per_100k"] for r in excel_rows)


def test_xlsx_reads_back_with_codes_as_text_and_notes(tmp_path):
    path = tmp_path / "k.xlsx"
    write_export(published("kommun"), GEO, path, "xlsx", CONTEXT)
    rows = read_xlsx(path)
    ads = {r["kommunkod"]: r for r in rows if r["matt"] == "aktiva_annonser"}
    assert set(ads) == set(GEO.kommuner)  # "0114" stays text, leading zero included
    assert ads["1480"]["varde"] == 12 and ads["1480"]["per_100k"] == round(12 * 100_000 / GEO.population["1480"], 1)
    assert ads["0114"]["varde"] == ".." and ads["0114"]["per_100k"] == ".." and ads["0114"]["status"] == ".."
    assert ads["0117"]["varde"] == 0 and ads["0117"]["kvalitet"] == "delvis täckning"
    about = dict(openpyxl.load_workbook(path, read_only=True)["Om tabellen"].iter_rows(min_row=2, values_only=True))
    assert about["Metod (röjandeskydd)"] == "suppression-v2"
    assert about["Regel"] == published("kommun").rule
    assert about["Täckning"] == CONTEXT.coverage
    assert about["Kvalitet: delvis täckning"] == "En insamling avbröts."


def _shape(value):
    """The structure of a JSON value: keys of objects (recursively for dicts of fixed keys), types of leaves."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return type(value).__name__


KOLADA_EXAMPLE = json.loads((FORMATS_DIR / "kolada_v3_data_example.json").read_text(encoding="utf-8"))
JSONSTAT_EXAMPLE = json.loads((FORMATS_DIR / "pxwebapi2_jsonstat2_example.json").read_text(encoding="utf-8"))


def test_kolada_export_has_the_shape_of_a_kolada_response(tmp_path):
    path = tmp_path / "k.json"
    write_export(published("kommun"), GEO, path, "kolada", CONTEXT)
    document = json.loads(path.read_text(encoding="utf-8"))
    example_keys = set(KOLADA_EXAMPLE) - {"_note"}
    assert example_keys <= set(document) and document["count"] == len(document["values"])
    entry_keys = set(KOLADA_EXAMPLE["values"][0])
    value_keys = set(KOLADA_EXAMPLE["values"][0]["values"][0])
    for entry in document["values"]:
        assert set(entry) == entry_keys
        assert [set(v) for v in entry["values"]] == [value_keys]
        [value] = entry["values"]
        assert value["gender"] == "T" and value["count"] == 1
        assert (value["value"] is None) == (value["status"] == "..")
    by_key = {(e["municipality"], e["kpi"]): e["values"][0] for e in document["values"]}
    assert by_key[("1480", "aktiva_annonser")]["value"] == 12
    assert by_key[("0114", "aktiva_annonser")] == {"count": 1, "gender": "T", "status": "..", "value": None}
    assert document["metod"] == "suppression-v2" and document["regel"] == published("kommun").rule
    assert document["tackning"] == CONTEXT.coverage and document["kvalitet"] == {"2026-11": "delvis täckning"}


def test_kolada_codes_for_lan_and_riket_and_no_police_regions(tmp_path):
    write_export(published("lan"), GEO, tmp_path / "l.json", "kolada")
    write_export(published("riket"), GEO, tmp_path / "r.json", "kolada")
    lan = json.loads((tmp_path / "l.json").read_text(encoding="utf-8"))["values"]
    riket = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["values"]
    assert {e["municipality"] for e in lan} == {"00" + code for code in GEO.lan}
    assert {e["municipality"] for e in riket} == {"0000"}
    year = published_year("kommun")
    write_export(year, GEO, tmp_path / "y.json", "kolada")
    assert {e["period"] for e in json.loads((tmp_path / "y.json").read_text(encoding="utf-8"))["values"]} == {2026}
    with pytest.raises(UnsupportedExport):
        write_export(published("polisregion"), GEO, tmp_path / "p.json", "kolada")


def test_jsonstat_export_has_the_shape_of_a_pxweb_response(tmp_path):
    path = tmp_path / "k.json"
    write_export(published("kommun"), GEO, path, "jsonstat", CONTEXT)
    document = json.loads(path.read_text(encoding="utf-8"))
    assert set(JSONSTAT_EXAMPLE) <= set(document)
    assert document["version"] == "2.0" and document["class"] == "dataset"
    assert document["id"] == JSONSTAT_EXAMPLE["id"] and document["role"] == JSONSTAT_EXAMPLE["role"]
    for name in document["id"]:
        assert set(JSONSTAT_EXAMPLE["dimension"][name]) == set(document["dimension"][name])
        assert set(JSONSTAT_EXAMPLE["dimension"][name]["category"]) == set(document["dimension"][name]["category"])
    size = document["size"]
    assert len(document["value"]) == size[0] * size[1] * size[2] == 290 * 3 * 1
    assert _shape(document["extension"]["status"]) == _shape(JSONSTAT_EXAMPLE["extension"]["status"])
    nulls = {str(i) for i, v in enumerate(document["value"]) if v is None}
    assert nulls and set(document["status"]) == nulls and set(document["status"].values()) == {".."}
    regions = document["dimension"]["Region"]["category"]["index"]
    contents = document["dimension"]["ContentsCode"]["category"]["index"]

    def at(region, measure):  # row-major over Region, ContentsCode, Tid (one period)
        return document["value"][(regions[region] * size[1] + contents[measure]) * size[2]]

    assert at("1480", "aktiva_annonser") == 12 and at("0114", "aktiva_annonser") is None
    assert document["extension"]["metod"] == "suppression-v2"
    assert document["extension"]["regel"] == published("kommun").rule
    assert document["extension"]["tackning"] == CONTEXT.coverage
    assert document["extension"]["kvalitet"] == {"2026-11": "delvis täckning"}


def test_jsonstat_parses_with_a_jsonstat_reader(tmp_path):
    example = jsonstat_frame(json.dumps(JSONSTAT_EXAMPLE))
    assert len(example) == 4  # the reader reads SCB's own example
    path = tmp_path / "k.json"
    write_export(published_year("lan"), GEO, path, "jsonstat")
    frame = jsonstat_frame(path.read_text(encoding="utf-8"))
    assert len(frame) == 21 * 3 and set(frame["år"]) == {"2026"}
    skane = frame[(frame["län"] == "Skåne län") & (frame["tabellinnehåll"] == "Aktiva annonser")]
    assert list(skane["value"]) == [0]
    stockholm = frame[(frame["län"] == "Stockholms län") & (frame["tabellinnehåll"] == "Aktiva annonser")]
    expected = published_year("lan").cell("2026", "01", "active_ads").value
    assert (list(stockholm["value"]) == [expected]) if expected is not None else stockholm["value"].isna().all()
