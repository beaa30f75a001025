"""Tests for config.geo: the geography tables, their validation, roll-ups and names."""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from config.errors import ConfigError
from config.geo import DEFAULT_GEO_DIR, Geography, load_geography

# The police-region table from config/geo/README.md.
README_POLISREGIONER = {
    "Nord": {"22", "23", "24", "25"},
    "Mitt": {"03", "19", "21"},
    "Stockholm": {"01", "09"},
    "Öst": {"04", "05", "06"},
    "Väst": {"13", "14"},
    "Syd": {"07", "08", "10", "12"},
    "Bergslagen": {"17", "18", "20"},
}


@pytest.fixture(scope="module")
def geo() -> Geography:
    return load_geography()


def _csv_rows(name: str) -> list[dict[str, str]]:
    with (DEFAULT_GEO_DIR / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_counts(geo: Geography) -> None:
    assert len(geo.kommuner) == 290
    assert len(geo.lan) == 21
    assert geo.polisregioner == ("Nord", "Mitt", "Stockholm", "Öst", "Väst", "Syd", "Bergslagen")


def test_codes_are_strings_with_leading_zeros(geo: Geography) -> None:
    assert geo.kommuner["0114"].name == "Upplands Väsby"
    assert geo.kommuner["0114"].lan_code == "01"
    assert all(len(code) == 4 and code.isdigit() for code in geo.kommuner)
    assert all(len(code) == 2 and code.isdigit() for code in geo.lan)


def test_polisregion_table_matches_readme(geo: Geography) -> None:
    for region, lan_codes in README_POLISREGIONER.items():
        assert {lan.code for lan in geo.lan_in_polisregion(region)} == lan_codes


def test_every_kommun_has_a_lan_and_region(geo: Geography) -> None:
    for code in geo.kommuner:
        assert geo.lan_of(code).code == code[:2]
        assert geo.polisregion_of(code) in geo.polisregioner


@pytest.mark.parametrize(
    ("kommun", "name", "lan", "region"),
    [
        ("0180", "Stockholm", "01", "Stockholm"),
        ("1280", "Malmö", "12", "Syd"),
        ("2480", "Umeå", "24", "Nord"),
        ("1480", "Göteborg", "14", "Väst"),
        ("0980", "Gotland", "09", "Stockholm"),
    ],
)
def test_known_kommuner(geo: Geography, kommun: str, name: str, lan: str, region: str) -> None:
    assert geo.kommuner[kommun].name == name
    assert geo.lan_of(kommun).code == lan
    assert geo.polisregion_of(kommun) == region


def test_kommuner_in_lan(geo: Geography) -> None:
    gotland = geo.kommuner_in_lan("09")
    assert [k.code for k in gotland] == ["0980"]
    skane = geo.kommuner_in_lan("12")
    assert "1280" in {k.code for k in skane}
    assert sum(len(geo.kommuner_in_lan(code)) for code in geo.lan) == 290


def test_population_total_equals_csv_sum(geo: Geography) -> None:
    rows = _csv_rows("folkmangd_kommun_2019.csv")
    csv_total = sum(int(row["folkmangd"]) for row in rows)
    assert csv_total == 10_327_589
    assert geo.population_of("riket") == csv_total
    assert geo.population_year == 2019
    assert geo.population_of("kommun", "0180") == next(int(r["folkmangd"]) for r in rows if r["kommunkod"] == "0180")


def test_population_rolls_up(geo: Geography) -> None:
    riket = geo.population_of("riket")
    assert sum(geo.population_of("polisregion", r) for r in geo.polisregioner) == riket
    assert sum(geo.population_of("lan", code) for code in geo.lan) == riket
    for region in geo.polisregioner:
        lan_total = sum(geo.population_of("lan", lan.code) for lan in geo.lan_in_polisregion(region))
        assert geo.population_of("polisregion", region) == lan_total
    for code in geo.lan:
        kommun_total = sum(geo.population_of("kommun", k.code) for k in geo.kommuner_in_lan(code))
        assert geo.population_of("lan", code) == kommun_total


def test_region_name(geo: Geography) -> None:
    assert geo.region_name("riket") == "Riket"
    assert geo.region_name("polisregion", "Syd") == "Syd"
    assert geo.region_name("lan", "12") == "Skåne län"
    assert geo.region_name("kommun", "1280") == "Malmö"


def test_unknown_level_and_codes(geo: Geography) -> None:
    with pytest.raises(ValueError):
        geo.population_of("planet")
    with pytest.raises(ValueError):
        geo.region_name("lan")
    with pytest.raises(KeyError):
        geo.lan_of("9999")
    with pytest.raises(KeyError):
        geo.lan_in_polisregion("Norr")


def test_place_names_loaded(geo: Geography) -> None:
    assert len(geo.place_names) == len(_csv_rows("orter_combined.csv"))
    assert all(p.kommun_code in geo.kommuner for p in geo.place_names)
    by_name = {(p.name, p.kommun_code): p.evidence for p in geo.place_names}
    assert by_name[("Stockholm", "0180")] >= 1000


def test_default_geography_is_cached() -> None:
    assert load_geography() is load_geography()


def test_explicit_dir_loads(tmp_path: Path) -> None:
    copy = _copy_geo(tmp_path)
    assert len(load_geography(copy).kommuner) == 290


def _copy_geo(tmp_path: Path) -> Path:
    target = tmp_path / "geo"
    shutil.copytree(DEFAULT_GEO_DIR, target)
    return target


def _rewrite(path: Path, edit) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(edit(lines)), encoding="utf-8")


def test_missing_kommun_is_rejected(tmp_path: Path) -> None:
    geo_dir = _copy_geo(tmp_path)
    _rewrite(geo_dir / "kommuner.csv", lambda lines: lines[:-1])
    with pytest.raises(ConfigError) as err:
        load_geography(geo_dir)
    assert err.value.file.endswith("kommuner.csv")


def test_unknown_lan_is_rejected(tmp_path: Path) -> None:
    geo_dir = _copy_geo(tmp_path)
    _rewrite(geo_dir / "kommuner.csv", lambda lines: [lines[0], lines[1].replace(",01,", ",02,", 1), *lines[2:]])
    with pytest.raises(ConfigError) as err:
        load_geography(geo_dir)
    assert "lanskod" in err.value.field


def test_code_without_leading_zero_is_rejected(tmp_path: Path) -> None:
    geo_dir = _copy_geo(tmp_path)
    _rewrite(geo_dir / "kommuner.csv", lambda lines: [lines[0], lines[1].replace("0114,", "114,", 1), *lines[2:]])
    with pytest.raises(ConfigError):
        load_geography(geo_dir)


def test_unknown_polisregion_is_rejected(tmp_path: Path) -> None:
    geo_dir = _copy_geo(tmp_path)
    _rewrite(geo_dir / "lan_polisregion.csv", lambda lines: [lines[0], lines[1].replace("Stockholm", "Norr"), *lines[2:]])
    with pytest.raises(ConfigError) as err:
        load_geography(geo_dir)
    assert err.value.field.endswith("polisregion")


def test_bad_population_is_rejected(tmp_path: Path) -> None:
    geo_dir = _copy_geo(tmp_path)
    _rewrite(geo_dir / "folkmangd_kommun_2019.csv", lambda lines: [lines[0], lines[1].replace("46786", "many"), *lines[2:]])
    with pytest.raises(ConfigError) as err:
        load_geography(geo_dir)
    assert "folkmangd" in err.value.field


def test_missing_file_is_rejected(tmp_path: Path) -> None:
    geo_dir = _copy_geo(tmp_path)
    (geo_dir / "orter_combined.csv").unlink()
    with pytest.raises(ConfigError):
        load_geography(geo_dir)
