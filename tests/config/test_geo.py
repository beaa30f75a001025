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


def test_districts_loaded(geo: Geography) -> None:
    rows = _csv_rows("storstad_stadsdelar_kuraterad.csv")
    assert len(geo.districts) == len(rows) == 73
    generic = {(d.name, d.kommun_code) for d in geo.districts if d.needs_city_context}
    assert ("Centrum", "1480") in generic and ("Söder", "0180") in generic and ("Haga", "1480") in generic
    assert not any(d.needs_city_context for d in geo.districts if d.name in ("Södermalm", "Möllan", "Hisingen"))


def test_bundled_aliases_are_documented(geo: Geography) -> None:
    assert len(geo.aliases) == len(_csv_rows("aliases.csv"))
    assert all(a.kommun_code in geo.kommuner and a.note for a in geo.aliases)
    by_alias = {a.alias: a.kommun_code for a in geo.aliases}
    assert by_alias["Sthlm"] == "0180" and by_alias["Gbg"] == "1480" and by_alias["Övik"] == "2284"


def _fold(text: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))


def test_abroad_names_do_not_shadow_swedish_places(geo: Geography) -> None:
    swedish = {_fold(p.name) for p in geo.place_names} | {_fold(k.name) for k in geo.kommuner.values()}
    swedish |= {_fold(d.name) for d in geo.districts} | {_fold(a.alias) for a in geo.aliases}
    both = {p.name for p in geo.abroad if _fold(p.name) in swedish}
    # Danmark is also a locality in Uppsala kommun; the resolver lets the Swedish name win when it stands alone.
    assert both == {"Danmark"}
    assert {"Oslo", "Köpenhamn", "Helsingfors", "Åbo", "Berlin", "London", "Tallinn", "Riga", "Norge",
            "Thailand", "Dubai"} <= {p.name for p in geo.abroad}


def test_landskap_cover_real_lan(geo: Geography) -> None:
    names = {s.name: s.lan_codes for s in geo.landskap}
    assert names["Småland"] == ("06", "07", "08", "13")
    assert all(code in geo.lan for codes in names.values() for code in codes)
    lan_short = {lan.name.removesuffix(" län").rstrip("s").casefold() for lan in geo.lan.values()}
    assert not {name.casefold() for name in names} & lan_short  # a län's own name means the län


def test_population_file_replaces_the_bundled_figures(tmp_path: Path) -> None:
    rows = _csv_rows("folkmangd_kommun_2019.csv")
    path = tmp_path / "folkmangd.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["kommunkod", "kommunnamn", "folkmangd", "ar"])
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "folkmangd": int(row["folkmangd"]) + 1, "ar": 2024})
    geo = load_geography(population_file=path)
    assert geo is not load_geography()
    assert geo.population_year == 2024
    assert geo.population_of("riket") == 10_327_589 + 290
    assert len(geo.place_names) == len(load_geography().place_names)


def test_bad_population_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "folkmangd.csv"
    path.write_text("kommunkod,kommunnamn,folkmangd,ar\n0114,Upplands Väsby,many,2024\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_geography(population_file=path)
    assert err.value.file == str(path)
    assert err.value.field == "line 2: folkmangd"


def test_bad_district_flag_is_rejected(tmp_path: Path) -> None:
    geo_dir = _copy_geo(tmp_path)
    districts = geo_dir / "storstad_stadsdelar_kuraterad.csv"
    _rewrite(districts, lambda lines: [lines[0], lines[1].replace(",no", ",maybe"), *lines[2:]])
    with pytest.raises(ConfigError) as err:
        load_geography(geo_dir)
    assert err.value.field == "line 2: generic_needs_city_context"


def test_bad_bundled_alias_is_rejected(tmp_path: Path) -> None:
    geo_dir = _copy_geo(tmp_path)
    _rewrite(geo_dir / "aliases.csv", lambda lines: [*lines, "Nowhere,9999,test\n"])
    with pytest.raises(ConfigError) as err:
        load_geography(geo_dir)
    assert err.value.file.endswith("aliases.csv")
    assert err.value.field.endswith(": kommunkod")


def test_landskap_with_unknown_lan_is_rejected(tmp_path: Path) -> None:
    geo_dir = _copy_geo(tmp_path)
    _rewrite(geo_dir / "landskap.csv", lambda lines: [*lines, "Atlantis,02,test\n"])
    with pytest.raises(ConfigError) as err:
        load_geography(geo_dir)
    assert "lanskoder" in err.value.field
