"""Population refresh: SCB CSV (wide and long), SCB JSON-stat2 and Kolada JSON all read to the same table."""
from __future__ import annotations

import csv
import json

import pytest

from config.errors import ConfigError
from config.geo import load_geography
from config.population import read_population_file, write_population_csv

GEO = load_geography()
# A made-up newer year: the 2019 figures plus 1 %, so a refresh visibly changes them.
NEWER = {code: round(n * 1.01) for code, n in GEO.population.items()}
NAMES = {code: k.name for code, k in GEO.kommuner.items()}


def scb_wide_csv(path):
    lines = ['"region","2022","2023"', '"00 Riket","1","2"']
    lines += [f'"{code} {NAMES[code]}",{GEO.population[code]},{n}' for code, n in NEWER.items()]
    path.write_text("\n".join(lines) + "\n", encoding="cp1252", errors="replace")


def scb_long_csv(path):
    lines = ["region;år;Folkmängd"] + [f"{code} {NAMES[code]};2023;{n}" for code, n in NEWER.items()]
    lines += [f"{code} {NAMES[code]};2022;1" for code in NEWER]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def jsonstat(path):
    codes = ["00", *NEWER]
    values = []
    for code in codes:
        values += [1, NEWER.get(code, 2)]  # region-major over (Region, ContentsCode, Tid) = (n, 1, 2)
    data = {"version": "2.0", "class": "dataset", "id": ["Region", "ContentsCode", "Tid"],
            "size": [len(codes), 1, 2],
            "dimension": {"Region": {"category": {"index": {c: i for i, c in enumerate(codes)}}},
                          "ContentsCode": {"category": {"index": {"BE0101N1": 0}}},
                          "Tid": {"category": {"index": {"2022": 0, "2023": 1}}}},
            "value": values}
    path.write_text(json.dumps(data), encoding="utf-8")


def kolada(path):
    values = [{"kpi": "N01951", "municipality": code, "period": 2023,
               "values": [{"gender": "T", "value": n, "status": "", "count": 1}, {"gender": "K", "value": 1}]}
              for code, n in NEWER.items()]
    values.append({"kpi": "N01951", "municipality": "0180", "period": 2021, "values": [{"gender": "T", "value": 5}]})
    path.write_text(json.dumps({"count": len(values), "values": values}), encoding="utf-8")


@pytest.mark.parametrize("writer, name", [(scb_wide_csv, "BE0101N1.csv"), (scb_long_csv, "long.csv"),
                                          (jsonstat, "tab638.json"), (kolada, "kolada.json")])
def test_every_format_reads_the_latest_year(tmp_path, writer, name):
    path = tmp_path / name
    writer(path)
    table = read_population_file(path)
    assert table.year == 2023
    assert {code: table.by_kommun[code] for code in NEWER} == NEWER
    assert "00" not in table.by_kommun


def test_an_earlier_year_can_be_chosen(tmp_path):
    path = tmp_path / "wide.csv"
    scb_wide_csv(path)
    table = read_population_file(path, year=2022)
    assert table.year == 2022 and table.by_kommun["0180"] == GEO.population["0180"]


def test_written_file_has_the_bundled_format(tmp_path):
    source, target = tmp_path / "k.json", tmp_path / "geo" / "folkmangd_kommun.csv"
    kolada(source)
    write_population_csv(read_population_file(source), NAMES, target)
    with target.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 290 and rows[0].keys() == {"kommunkod", "kommunnamn", "folkmangd", "ar"}
    assert {r["kommunkod"]: int(r["folkmangd"]) for r in rows} == NEWER and rows[0]["ar"] == "2023"


def test_missing_kommuner_or_unknown_files_are_clear_errors(tmp_path):
    partial = tmp_path / "partial.csv"
    partial.write_text('"region","2023"\n"0180 Stockholm",1000\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="289 kommuner have no population"):
        write_population_csv(read_population_file(partial), NAMES, tmp_path / "out.csv")
    junk = tmp_path / "junk.json"
    junk.write_text('{"hello": 1}', encoding="utf-8")
    with pytest.raises(ConfigError, match="neither JSON-stat2 nor a Kolada"):
        read_population_file(junk)
    with pytest.raises(ConfigError, match="no data for year 1999"):
        js = tmp_path / "js.json"
        jsonstat(js)
        read_population_file(js, year=1999)


def test_reads_the_real_pxwebapi_example():
    from pathlib import Path

    example = Path(__file__).resolve().parents[1] / "fixtures" / "formats" / "pxwebapi2_jsonstat2_example.json"
    # value[] is row-major over (Region, ContentsCode, Tid): [0180/2023, 0180/2024, 1480/2023, 1480/2024].
    assert read_population_file(example, year=2023).by_kommun == {"0180": 984748, "1480": 1}
    assert read_population_file(example).by_kommun == {"1480": 2}  # 2024; Stockholm's cell is null ("..")


def test_geo_refresh_command_replaces_the_population(tmp_path):
    from config.settings import Settings, load_settings_geography
    from support import run_cli

    source = tmp_path / "kolada.json"
    kolada(source)
    result = run_cli("geo", "refresh", "--population", str(source), home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Population 2023" in result.stdout
    geography = load_settings_geography(Settings(home=tmp_path))
    assert geography.population == NEWER and geography.population_year == 2023
    bad = tmp_path / "bad.csv"
    bad.write_text("nothing useful\n", encoding="utf-8")
    result = run_cli("geo", "refresh", "--population", str(bad), home=tmp_path)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
