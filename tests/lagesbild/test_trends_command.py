"""`lagesbild trends`: protected numbers only, statistics beside them, regions by name or code, clear errors."""
from __future__ import annotations

import hashlib
import random
from datetime import datetime, timedelta, timezone

import pytest

from analysis.trend_family import load_trend_family
from config.geo import load_geography
from parsers.records import CATEGORIES, ObservedAd
from store import open_store
from store.observations import add_observations
from store.runs import finish_run, start_run
from support import run_cli

GEO = load_geography()
UTC = timezone.utc
KOMMUNER = ["0180", "1480", "1280", "1281", "1283", "2480", "0380", "1880"]


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """A data folder with five months of weekly crawls of two sites, one of them down for a week."""
    folder = tmp_path_factory.mktemp("trends")
    store = open_store(f"sqlite:///{folder / 'lagesbild.db'}")
    rng = random.Random(8)
    start = datetime(2026, 2, 4, 3, tzinfo=UTC)
    for week in range(22):
        when = start + timedelta(weeks=week)
        for site in ("alfa", "beta"):
            run = start_run(store, site, site.title(), "v1", "p1", observed_at=when)
            if site == "beta" and week == 9:
                finish_run(store, run, "failed", pages=0, items=0, errors=3, parse_failures=0,
                                      listing_pages=0, finish_reason="finished")
                continue
            ads = []
            for a in range(week * 15, week * 15 + rng.randrange(120, 160) + (40 if week > 14 else 0)):
                kommun = KOMMUNER[(a * 5) % len(KOMMUNER)]
                ads.append(ObservedAd(site, hashlib.sha256(f"{site}{a}".encode()).hexdigest(),
                                      hashlib.sha256(f"p{a // 2}".encode()).hexdigest(), None, kommun, None,
                                      CATEGORIES[a % 4], when, None))
            add_observations(store, run, ads)
            finish_run(store, run, "complete", pages=20, items=len(ads), errors=0, parse_failures=0,
                                  listing_pages=2, finish_reason="finished")
    store.close()
    return folder


def _rows(output: str) -> dict[str, list[str]]:
    """The first table's rows by period, wrapped cell text joined."""
    rows: dict[str, list[str]] = {}
    last = None
    for line in output.splitlines():
        if line.startswith("└"):
            break
        cells = [c.strip() for c in line.split("│")]
        if len(cells) < 4:
            continue
        if cells[1][:4].isdigit():
            last = rows[cells[1]] = cells[2:-1]
        elif last is not None and not cells[1]:
            last[:] = [f"{a} {b}".strip() for a, b in zip(last, cells[2:-1])]
    return rows


def test_trends_prints_the_protected_series_with_its_statistics(home):
    result = run_cli("trends", "--level", "polisregion", "--region", "Syd", "--period", "month", home=home)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    store = open_store(f"sqlite:///{home / 'lagesbild.db'}")
    family = load_trend_family(store, GEO, "month")
    published = {row.period: row.cells["active_ads"].display for row in family.base[("polisregion", "month")].rows
                 if row.region_code == "Syd"}
    rows = _rows(out)
    assert set(rows) == set(published) and len(rows) >= 5
    for label, cells in rows.items():
        assert cells[0] == published[label], label  # the count is the published one
        if cells[0] == "..":  # no statistic from a hidden cell
            assert cells[1] == ".." and cells[2] in ("..", "–") and cells[4] in ("..", "–")
    assert "beta: avbrott" in rows["2026-04"][-1]  # the failed crawl of week 9 (April) is marked
    for text in ("Polisregion Syd", "Theil–Sen-lutning", "Mann–Kendall", "Brytpunkter", "Mot övriga riket",
                 "Andel annonser per kategori", "fångst–återfångst"):
        assert text in out, text


@pytest.mark.parametrize("level, region, title", [
    ("lan", "12", "Län Skåne län"), ("lan", "skåne", "Län Skåne län"), ("kommun", "Malmö", "Kommun Malmö"),
    ("kommun", "1280", "Kommun Malmö"), ("riket", None, "Riket"),
])
def test_regions_are_found_by_name_or_code(home, level, region, title):
    args = ["trends", "--level", level, "--period", "quarter"] + (["--region", region] if region else [])
    result = run_cli(*args, home=home)
    assert result.returncode == 0, result.stderr
    assert title in result.stdout
    if level == "kommun":
        assert "Mot övriga länet" in result.stdout


def test_new_ads_mark_the_censored_first_period(home):
    result = run_cli("trends", "--level", "riket", "--period", "month", "--measure", "new_ads", home=home)
    assert result.returncode == 0, result.stderr
    assert "censurerad" in _rows(result.stdout)["2026-02"][-1]


@pytest.mark.parametrize("args, message", [
    (["--level", "polisregion", "--region", "Atlantis"], "no polisregion called 'Atlantis'"),
    (["--level", "kommun"], "give --region"),
    (["--level", "riket", "--region", "Syd"], "not riket"),
    (["--level", "lan", "--region", "12", "--from", "2026-05-01", "--to", "2026-04-01"], "--from is after --to"),
])
def test_a_bad_region_is_one_line_and_exit_2(home, args, message):
    result = run_cli("trends", *args, home=home)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_periods_cut_by_the_window_or_not_ended_are_open():
    from datetime import date

    from analysis.trend_table import open_periods

    labels = ["2026-01", "2026-02", "2026-03", "2026-04"]
    assert open_periods(labels, "month", None, None, today=date(2026, 4, 10)) == {"2026-04"}
    assert open_periods(labels, "month", date(2026, 1, 15), date(2026, 3, 31), today=date(2026, 11, 1)) == {"2026-01"}
    assert open_periods(labels, "month", date(2026, 1, 1), date(2026, 3, 30), today=date(2026, 11, 1)) == {"2026-03"}
    assert open_periods(labels, "month", date(2026, 1, 1), date(2026, 4, 30), today=date(2026, 11, 1)) == set()
