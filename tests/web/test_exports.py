"""Exports: every kommun keyed by its SCB code, suppressed cells as '..' (null in JSON), never 0 or 1–4."""
import csv
import json
from datetime import datetime

import pytest

from analysis import disclosure
from analysis.audit import audit_files
from analysis.counts import LEVELS, count_observations
from config.geo import load_geography
from web.exports import CSV_COLUMNS, EXPORTERS, FORMATS, write_export

from support import Obs

GEO = load_geography()


def observations():
    """Göteborg 12, Stockholm 30, Vallentuna 6 and Upplands Väsby 1 (which takes Vallentuna with it)."""
    counts = {"1480": 12, "0180": 30, "0115": 6, "0114": 1}
    return [Obs(f"a{code}-{i}", f"p{code}-{i}", None, code, datetime(2026, 11, 10))
            for code, n in counts.items() for i in range(n)]


def published(level, method="suppression"):
    tables = [count_observations(observations(), GEO, lvl, "month") for lvl in LEVELS]
    return disclosure.protect_levels({t.level: t for t in tables}, GEO, method=method)[level]


def read_csv(path):
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def read_json(path):
    return json.loads(path.read_text(encoding="utf-8"))["varden"]


# How a test reads each format back: a new exporter needs a reader here, so it cannot go unchecked.
READERS = {"csv": read_csv, "json": read_json}


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
    paths = []
    for level in LEVELS:
        paths.append(tmp_path / f"{level}.{fmt}")
        write_export(published(level), GEO, paths[-1], fmt)
    if fmt in ("csv", "json"):
        report = audit_files(paths, GEO)
        assert report.suppressed > 0 and not report.recoverable


def test_unknown_format_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown export format"):
        write_export(published("kommun"), GEO, tmp_path / "x.xyz", "xyz")
