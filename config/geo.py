"""Geography tables: kommun → län → polisregion → riket, population, place names, districts and aliases."""
from __future__ import annotations

import csv
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from config.errors import ConfigError

DEFAULT_GEO_DIR = Path(__file__).resolve().parent / "geo"

KOMMUNER_FILE = "kommuner.csv"
LAN_FILE = "lan_polisregion.csv"
POPULATION_FILE = "folkmangd_kommun_2019.csv"
PLACE_NAMES_FILE = "orter_combined.csv"
DISTRICTS_FILE = "storstad_stadsdelar_kuraterad.csv"
ALIASES_FILE = "aliases.csv"
ABROAD_FILE = "abroad.csv"
LANDSKAP_FILE = "landskap.csv"
POPULATION_COLUMNS = ("kommunkod", "kommunnamn", "folkmangd", "ar")

# The seven police regions (since 2015), in the fixed order used for reports.
POLISREGIONER: tuple[str, ...] = ("Nord", "Mitt", "Stockholm", "Öst", "Väst", "Syd", "Bergslagen")

EXPECTED_KOMMUN_COUNT = 290
EXPECTED_LAN_COUNT = 21

Level = Literal["riket", "polisregion", "lan", "kommun"]
LEVELS: tuple[str, ...] = ("riket", "polisregion", "lan", "kommun")
RIKET_NAME = "Riket"
RIKET_CODE = "SE"


@dataclass(frozen=True)
class Kommun:
    """A municipality: four-digit code (e.g. "0114"), name, and the code of its län."""

    code: str
    name: str
    lan_code: str


@dataclass(frozen=True)
class Lan:
    """A county: two-digit code (e.g. "01"), name (e.g. "Stockholms län"), and its police region."""

    code: str
    name: str
    polisregion: str


@dataclass(frozen=True)
class PlaceName:
    """A locality or area name mapped to a kommun; evidence weighs names shared by several kommuner."""

    name: str
    kommun_code: str
    evidence: int


@dataclass(frozen=True)
class District:
    """A big-city district or colloquial area; generic ones ("Centrum", "Söder") need the city named too."""

    name: str
    kommun_code: str
    level: str
    needs_city_context: bool


@dataclass(frozen=True)
class PlaceAlias:
    """An abbreviation or colloquial name for one kommun ("Gbg" → 1480), with a note on why."""

    alias: str
    kommun_code: str
    note: str = ""


@dataclass(frozen=True)
class AbroadPlace:
    """A foreign place or country that ads name ("Oslo", "Norge"); never counted in a kommun."""

    name: str
    country: str


@dataclass(frozen=True)
class Landskap:
    """A province or land (landsdel) and the län codes that cover it (a superset where it straddles län)."""

    name: str
    lan_codes: tuple[str, ...]


# eq=False: identity equality and hashing; the tables are large and hold dicts.
@dataclass(frozen=True, eq=False)
class Geography:
    """All geography tables. Treat the dicts as read-only: the default instance is shared."""

    kommuner: dict[str, Kommun]
    lan: dict[str, Lan]
    polisregioner: tuple[str, ...]
    population: dict[str, int]
    population_year: int
    place_names: tuple[PlaceName, ...]
    districts: tuple[District, ...] = field(default=())
    aliases: tuple[PlaceAlias, ...] = field(default=())
    abroad: tuple[AbroadPlace, ...] = field(default=())
    landskap: tuple[Landskap, ...] = field(default=())

    def lan_of(self, kommun_code: str) -> Lan:
        """The län a kommun belongs to."""
        return self.lan[self._kommun(kommun_code).lan_code]

    def polisregion_of(self, kommun_code: str) -> str:
        """The police region a kommun belongs to."""
        return self.lan_of(kommun_code).polisregion

    def kommuner_in_lan(self, lan_code: str) -> tuple[Kommun, ...]:
        """The kommuner of one län, ordered by code."""
        self._lan(lan_code)
        return tuple(k for code, k in sorted(self.kommuner.items()) if k.lan_code == lan_code)

    def lan_in_polisregion(self, name: str) -> tuple[Lan, ...]:
        """The län of one police region, ordered by code."""
        self._polisregion(name)
        return tuple(lan for code, lan in sorted(self.lan.items()) if lan.polisregion == name)

    def kommun_codes_in(self, level: str, code: str | None = None) -> tuple[str, ...]:
        """The codes of all kommuner inside one region (code is ignored for riket), ordered by code."""
        if level == "riket":
            return tuple(sorted(self.kommuner))
        if level == "polisregion":
            lan_codes = {lan.code for lan in self.lan_in_polisregion(self._need_code(level, code))}
            return tuple(c for c, k in sorted(self.kommuner.items()) if k.lan_code in lan_codes)
        if level == "lan":
            return tuple(k.code for k in self.kommuner_in_lan(self._need_code(level, code)))
        if level == "kommun":
            return (self._kommun(self._need_code(level, code)).code,)
        raise ValueError(f"unknown level {level!r}; expected one of {', '.join(LEVELS)}")

    def population_of(self, level: str, code: str | None = None) -> int:
        """Population of one region: the sum over its kommuner (code is ignored for riket)."""
        return sum(self.population[c] for c in self.kommun_codes_in(level, code))

    def region_name(self, level: str, code: str | None = None) -> str:
        """Display name: "Riket", a police region's own name, e.g. "Skåne län", or a kommun name."""
        if level == "riket":
            return RIKET_NAME
        if level == "polisregion":
            return self._polisregion(self._need_code(level, code))
        if level == "lan":
            return self._lan(self._need_code(level, code)).name
        if level == "kommun":
            return self._kommun(self._need_code(level, code)).name
        raise ValueError(f"unknown level {level!r}; expected one of {', '.join(LEVELS)}")

    def region_label(self, level: str, code: str) -> str:
        """A name for a table row: "Skåne län (12)", "Malmö (1280)", "Syd"; the code itself when unknown."""
        try:
            name = self.region_name(level, code)
        except (KeyError, ValueError):
            return code
        return f"{name} ({code})" if level in ("kommun", "lan") else name

    def describe_kommun(self, code: str) -> str:
        """"1280 Malmö (Skåne län, polisregion Syd)"."""
        return f"{code} {self._kommun(code).name} ({self.lan_of(code).name}, polisregion {self.polisregion_of(code)})"

    def find_region(self, level: str, text: str | None) -> str | None:
        """The code of a region a person named, by code or name, case-insensitive; None when there is none.

        Riket also answers to "Sverige" and "hela landet" (and to nothing at all); a län also to its name
        without "län" ("Skåne", "Västra Götalands"); a police region is its own code ("Syd").
        """
        wanted = (text or "").strip().casefold()
        if level == "riket":
            return RIKET_CODE if wanted in ("", "se", "riket", "sverige", "hela landet") else None
        candidates: dict[str, str] = {}
        if level == "polisregion":
            candidates = {name.casefold(): name for name in self.polisregioner}
        elif level == "lan":
            for code, lan in self.lan.items():
                for name in (code, lan.name, lan.name.removesuffix(" län"), lan.name.removesuffix("s län")):
                    candidates[name.casefold()] = code
        elif level == "kommun":
            for code, kommun in self.kommuner.items():
                candidates[code.casefold()] = code
                candidates[kommun.name.casefold()] = code
        else:
            raise ValueError(f"unknown level {level!r}; expected one of {', '.join(LEVELS)}")
        return candidates.get(wanted) if wanted else None

    def _kommun(self, code: str) -> Kommun:
        try:
            return self.kommuner[code]
        except KeyError:
            raise KeyError(f"unknown kommun code {code!r}") from None

    def _lan(self, code: str) -> Lan:
        try:
            return self.lan[code]
        except KeyError:
            raise KeyError(f"unknown län code {code!r}") from None

    def _polisregion(self, name: str) -> str:
        if name not in self.polisregioner:
            raise KeyError(f"unknown polisregion {name!r}")
        return name

    @staticmethod
    def _need_code(level: str, code: str | None) -> str:
        if code is None:
            raise ValueError(f"level {level!r} needs a code")
        return code


def load_geography(geo_dir: Path | None = None, population_file: Path | None = None) -> Geography:
    """Read and validate the geography CSVs; the default folder is read once and cached.

    `population_file` (columns kommunkod,kommunnamn,folkmangd,ar) replaces the folder's population table.
    """
    if geo_dir is None and population_file is None:
        return _load_default()
    return _load(Path(geo_dir) if geo_dir is not None else DEFAULT_GEO_DIR, population_file)


@functools.lru_cache(maxsize=1)
def _load_default() -> Geography:
    return _load(DEFAULT_GEO_DIR)


def load_place_aliases(path: Path, geography: Geography | None = None) -> tuple[PlaceAlias, ...]:
    """A user's alias file (CSV alias,kommunkod with an optional note column), checked against the kommuner."""
    kommuner = (geography or load_geography()).kommuner
    return _read_aliases(Path(path), kommuner)


def _load(geo_dir: Path, population_file: Path | None = None) -> Geography:
    lan = _read_lan(geo_dir / LAN_FILE)
    kommuner = _read_kommuner(geo_dir / KOMMUNER_FILE, lan)
    population, year = _read_population(Path(population_file or geo_dir / POPULATION_FILE), kommuner)
    place_names = _read_place_names(geo_dir / PLACE_NAMES_FILE, kommuner)
    return Geography(
        kommuner=kommuner,
        lan=lan,
        polisregioner=POLISREGIONER,
        population=population,
        population_year=year,
        place_names=place_names,
        districts=_read_districts(geo_dir / DISTRICTS_FILE, kommuner),
        aliases=_read_aliases(geo_dir / ALIASES_FILE, kommuner),
        abroad=_read_abroad(geo_dir / ABROAD_FILE),
        landskap=_read_landskap(geo_dir / LANDSKAP_FILE, lan),
    )


def _read_rows(
    path: Path, columns: tuple[str, ...], optional: tuple[str, ...] = ()
) -> list[tuple[int, dict[str, str]]]:
    """All rows of a CSV as (line number, stripped values); checks the header and empty required cells."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            missing = [c for c in columns if c not in (reader.fieldnames or [])]
            if missing:
                raise ConfigError(str(path), "header", f"missing column(s): {', '.join(missing)}")
            rows = []
            for row in reader:
                if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
                    continue  # blank line
                values = {c: (row.get(c) or "").strip() for c in (*columns, *optional)}
                for column in columns:
                    if not values[column]:
                        raise ConfigError(str(path), f"line {reader.line_num}: {column}", "empty value")
                rows.append((reader.line_num, values))
            return rows
    except OSError as exc:
        raise ConfigError(str(path), "", f"cannot read file: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(str(path), "", f"not valid UTF-8: {exc}") from exc


def _check_code(path: Path, line: int, column: str, value: str, digits: int) -> None:
    if len(value) != digits or not (value.isascii() and value.isdigit()):
        raise ConfigError(str(path), f"line {line}: {column}", f"expected a {digits}-digit code, got {value!r}")


def _read_lan(path: Path) -> dict[str, Lan]:
    lan: dict[str, Lan] = {}
    for line, row in _read_rows(path, ("lanskod", "lansnamn", "polisregion")):
        code = row["lanskod"]
        _check_code(path, line, "lanskod", code, 2)
        if code in lan:
            raise ConfigError(str(path), f"line {line}: lanskod", f"duplicate län code {code}")
        if row["polisregion"] not in POLISREGIONER:
            raise ConfigError(
                str(path), f"line {line}: polisregion",
                f"unknown police region {row['polisregion']!r}; expected one of {', '.join(POLISREGIONER)}",
            )
        lan[code] = Lan(code=code, name=row["lansnamn"], polisregion=row["polisregion"])
    if len(lan) != EXPECTED_LAN_COUNT:
        raise ConfigError(str(path), "lanskod", f"expected {EXPECTED_LAN_COUNT} län, found {len(lan)}")
    used = {entry.polisregion for entry in lan.values()}
    empty = [name for name in POLISREGIONER if name not in used]
    if empty:
        raise ConfigError(str(path), "polisregion", f"police region(s) without any län: {', '.join(empty)}")
    return dict(sorted(lan.items()))


def _read_kommuner(path: Path, lan: dict[str, Lan]) -> dict[str, Kommun]:
    kommuner: dict[str, Kommun] = {}
    for line, row in _read_rows(path, ("kommunkod", "kommunnamn", "lanskod", "lansnamn")):
        code, lan_code = row["kommunkod"], row["lanskod"]
        _check_code(path, line, "kommunkod", code, 4)
        _check_code(path, line, "lanskod", lan_code, 2)
        if code in kommuner:
            raise ConfigError(str(path), f"line {line}: kommunkod", f"duplicate kommun code {code}")
        if lan_code not in lan:
            raise ConfigError(str(path), f"line {line}: lanskod", f"län {lan_code} is not in {LAN_FILE}")
        if not code.startswith(lan_code):
            raise ConfigError(
                str(path), f"line {line}: kommunkod", f"{code} does not start with its län code {lan_code}"
            )
        if row["lansnamn"] != lan[lan_code].name:
            raise ConfigError(
                str(path), f"line {line}: lansnamn",
                f"{row['lansnamn']!r} differs from {lan[lan_code].name!r} in {LAN_FILE}",
            )
        kommuner[code] = Kommun(code=code, name=row["kommunnamn"], lan_code=lan_code)
    if len(kommuner) != EXPECTED_KOMMUN_COUNT:
        raise ConfigError(str(path), "kommunkod", f"expected {EXPECTED_KOMMUN_COUNT} kommuner, found {len(kommuner)}")
    without = sorted(set(lan) - {k.lan_code for k in kommuner.values()})
    if without:
        raise ConfigError(str(path), "lanskod", f"län without any kommun: {', '.join(without)}")
    return dict(sorted(kommuner.items()))


def _read_population(path: Path, kommuner: dict[str, Kommun]) -> tuple[dict[str, int], int]:
    population: dict[str, int] = {}
    years: set[int] = set()
    for line, row in _read_rows(path, POPULATION_COLUMNS):
        code = row["kommunkod"]
        if code not in kommuner:
            raise ConfigError(str(path), f"line {line}: kommunkod", f"unknown kommun code {code!r}")
        if code in population:
            raise ConfigError(str(path), f"line {line}: kommunkod", f"duplicate kommun code {code}")
        population[code] = _parse_int(path, line, "folkmangd", row["folkmangd"])
        years.add(_parse_int(path, line, "ar", row["ar"]))
    missing = sorted(set(kommuner) - set(population))
    if missing:
        raise ConfigError(str(path), "kommunkod", f"no population for kommun(er): {', '.join(missing)}")
    if len(years) != 1:
        raise ConfigError(str(path), "ar", f"expected one year, found {sorted(years)}")
    return dict(sorted(population.items())), years.pop()


def _read_place_names(path: Path, kommuner: dict[str, Kommun]) -> tuple[PlaceName, ...]:
    names = []
    for line, row in _read_rows(path, ("name", "kommunkod", "evidence")):
        if row["kommunkod"] not in kommuner:
            raise ConfigError(str(path), f"line {line}: kommunkod", f"unknown kommun code {row['kommunkod']!r}")
        evidence = _parse_int(path, line, "evidence", row["evidence"])
        names.append(PlaceName(name=row["name"], kommun_code=row["kommunkod"], evidence=evidence))
    return tuple(names)


def _read_districts(path: Path, kommuner: dict[str, Kommun]) -> tuple[District, ...]:
    districts = []
    for line, row in _read_rows(path, ("name", "kommunkod", "level", "generic_needs_city_context")):
        _check_kommun(path, line, row["kommunkod"], kommuner)
        generic = row["generic_needs_city_context"].lower()
        if generic not in ("yes", "no"):
            raise ConfigError(
                str(path), f"line {line}: generic_needs_city_context", f"expected yes or no, got {generic!r}"
            )
        districts.append(District(row["name"], row["kommunkod"], row["level"], generic == "yes"))
    return tuple(districts)


def _read_aliases(path: Path, kommuner: dict[str, Kommun]) -> tuple[PlaceAlias, ...]:
    aliases: list[PlaceAlias] = []
    seen: dict[str, tuple[int, str]] = {}
    for line, row in _read_rows(path, ("alias", "kommunkod"), optional=("note",)):
        alias, code = row["alias"], row["kommunkod"]
        if not any(ch.isalpha() for ch in alias):
            raise ConfigError(str(path), f"line {line}: alias", f"{alias!r} has no letters")
        _check_code(path, line, "kommunkod", code, 4)
        _check_kommun(path, line, code, kommuner)
        key = " ".join(alias.casefold().split())
        if key in seen and seen[key][1] != code:
            raise ConfigError(
                str(path), f"line {line}: alias",
                f"{alias!r} already maps to {seen[key][1]} on line {seen[key][0]}",
            )
        seen[key] = (line, code)
        aliases.append(PlaceAlias(alias, code, row["note"]))
    return tuple(aliases)


def _read_abroad(path: Path) -> tuple[AbroadPlace, ...]:
    return tuple(AbroadPlace(row["name"], row["country"]) for _, row in _read_rows(path, ("name", "country")))


def _read_landskap(path: Path, lan: dict[str, Lan]) -> tuple[Landskap, ...]:
    landskap = []
    for line, row in _read_rows(path, ("name", "lanskoder")):
        codes = tuple(code.strip() for code in row["lanskoder"].split("|"))
        for code in codes:
            _check_code(path, line, "lanskoder", code, 2)
            if code not in lan:
                raise ConfigError(str(path), f"line {line}: lanskoder", f"län {code} is not in {LAN_FILE}")
        landskap.append(Landskap(row["name"], codes))
    return tuple(landskap)


def _check_kommun(path: Path, line: int, code: str, kommuner: dict[str, Kommun]) -> None:
    if code not in kommuner:
        raise ConfigError(str(path), f"line {line}: kommunkod", f"unknown kommun code {code!r}")


def _parse_int(path: Path, line: int, column: str, value: str) -> int:
    if not (value.isascii() and value.isdigit()):
        raise ConfigError(str(path), f"line {line}: {column}", f"expected a non-negative whole number, got {value!r}")
    return int(value)
