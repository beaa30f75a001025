"""The municipal CSV: every kommun keyed by its SCB code, suppressed cells marked, never written as 0."""
import csv
from datetime import datetime

import pytest

from analysis import disclosure
from analysis.counts import count_observations
from config.geo import load_geography
from web.exports import CSV_COLUMNS, write_export

from support import Obs

GEO = load_geography()


def published(level):
    rows = [Obs(f"g{i}", f"p{i}", None, "1480", datetime(2026, 11, 10)) for i in range(12)]
    rows += [Obs("u1", None, None, "0114", datetime(2026, 11, 10))]
    return disclosure.protect(count_observations(rows, GEO, level, "month"), threshold=5)


def read(path):
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_kommun_csv_has_all_kommuner_with_codes_as_text(tmp_path):
    path = tmp_path / "k.csv"
    write_export(published("kommun"), GEO, path)
    rows = read(path)
    assert tuple(rows[0]) == CSV_COLUMNS
    ads = {r["kommunkod"]: r for r in rows if r["matt"] == "aktiva_annonser"}
    assert len(ads) == 290
    assert ads["1480"]["varde"] == "12" and ads["1480"]["lanskod"] == "14" and ads["1480"]["polisregion"] == "Väst"
    assert ads["0114"]["varde"] == "<5" and ads["0114"]["kommunnamn"] == "Upplands Väsby"
    assert ads["0180"]["varde"] == "0"


def test_higher_levels_leave_kommun_columns_empty(tmp_path):
    path = tmp_path / "p.csv"
    write_export(published("polisregion"), GEO, path)
    rows = [r for r in read(path) if r["matt"] == "aktiva_annonser"]
    by_region = {r["polisregion"]: r["varde"] for r in rows}
    assert by_region["Väst"] == "12" and by_region["Stockholm"] == "<5"
    assert all(r["kommunkod"] == "" for r in rows)


def test_exports_refuse_unprotected_tables(tmp_path):
    raw = count_observations([], GEO, "kommun", "month")
    with pytest.raises(TypeError):
        write_export(raw, GEO, tmp_path / "x.csv")
