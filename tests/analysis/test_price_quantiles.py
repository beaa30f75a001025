"""Price per hour (analysis/prices.py): quantiles over distinct ads, protected by threshold and rounding."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from typing import NamedTuple

import numpy as np
import pytest

from analysis.disclosure import protect_quantiles
from analysis.prices import load_price_table, price_table, prices_per_cell, region_price_series
from analysis.trend_table import load_trend_table
from config.geo import load_geography
from parsers.records import ObservedAd
from store.observations import add_observations
from store.runs import finish_run, start_run
from support import run_cli

GEO = load_geography()
UTC = timezone.utc
NOV = datetime(2026, 11, 11, 3, tzinfo=UTC)
DEC = datetime(2026, 12, 9, 3, tzinfo=UTC)


class Row(NamedTuple):
    ad_token: str
    kommun_code: str | None
    observed_at: datetime
    price_per_hour: int


def tok(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_planted_distribution_gives_its_rounded_quartiles_at_every_level():
    prices = [1000 + 100 * i for i in range(40)]  # 1000 … 4900 in Stockholm
    rows = [Row(tok(f"s{i}"), "0180", NOV, p) for i, p in enumerate(prices)]
    want = [int(v / 50 + 0.5) * 50 for v in np.percentile(prices, [25, 50, 75])]
    assert want == [2000, 2950, 3950]
    for level, code in (("kommun", "0180"), ("lan", "01"), ("polisregion", "Stockholm"), ("riket", "SE")):
        cell = price_table(rows, GEO, level, "month").cell("2026-11", code)
        assert [cell.q1.value, cell.median.value, cell.q3.value] == want, level
        assert cell.display == "2 950 [2 000–3 950]"
    assert price_table(rows, GEO, "kommun", "month").cell("2026-11", "1480").display == ".."  # no priced ad


def test_one_price_per_ad_per_period_its_last():
    rows = [Row(tok("a"), "0180", NOV + timedelta(days=d), 1000 + d) for d in (0, 7, 14)]  # seen three times
    rows += [Row(tok("b"), "0180", NOV, 3000)]
    cells = prices_per_cell(rows, GEO, "kommun", "month")
    assert cells[("2026-11", "0180")] == {tok("a"): 1014, tok("b"): 3000}
    weekly = prices_per_cell(rows, GEO, "kommun", "week")
    assert sum(len(ads) for ads in weekly.values()) == 4 and len(weekly) == 3


def test_an_ad_in_two_kommuner_counts_in_each_and_once_above_and_unresolved_only_in_riket():
    rows = [Row(tok("a"), "1280", NOV, 1500), Row(tok("a"), "1281", NOV + timedelta(days=1), 1600),
            Row(tok("u"), None, NOV, 2000)]
    by_kommun = prices_per_cell(rows, GEO, "kommun", "month")
    assert by_kommun[("2026-11", "1280")] == {tok("a"): 1500} and by_kommun[("2026-11", "1281")] == {tok("a"): 1600}
    assert prices_per_cell(rows, GEO, "lan", "month") == {("2026-11", "12"): {tok("a"): 1600}}
    assert prices_per_cell(rows, GEO, "riket", "month") == {("2026-11", "SE"): {tok("a"): 1600, tok("u"): 2000}}


def test_a_cell_below_the_signal_threshold_is_suppressed():
    nine = [Row(tok(f"m{i}"), "1280", NOV, 1500 + 10 * i) for i in range(9)]
    table = price_table(nine, GEO, "kommun", "month", threshold=10)
    cell = table.cell("2026-11", "1280")
    assert cell.suppressed and cell.display == ".." and cell.q1.display == cell.q3.display == ".."
    assert (cell.q1.value, cell.median.value, cell.q3.value) == (None, None, None)
    assert "minst 10 annonser" in table.rule
    ten = nine + [Row(tok("m9"), "1280", NOV, 1590)]
    published = price_table(ten, GEO, "kommun", "month", threshold=10).cell("2026-11", "1280")
    assert not published.suppressed and published.median.value == 1550  # 1545 rounded to 50


def test_quantiles_are_rounded_so_a_single_price_does_not_show():
    q1, median, q3 = protect_quantiles([1234] * 9 + [4321], 10)
    assert (q1.value, median.value, q3.value) == (1250, 1250, 1250)
    with pytest.raises(ValueError):
        protect_quantiles([1], 0)


def _store_with_prices(store, kommun_prices: dict[str, list[int | None]], when: datetime = NOV) -> None:
    run = start_run(store, "alfa", "Alfa", "v1", "p1", observed_at=when)
    ads = [ObservedAd("alfa", tok(f"{kommun}{i}{when}"), None, None, kommun, None, "Kvinna", when, None,
                      price_per_hour=price)
           for kommun, prices in kommun_prices.items() for i, price in enumerate(prices)]
    add_observations(store, run, ads)
    finish_run(store, run, "complete", pages=3, items=len(ads), errors=0, parse_failures=0,
                          listing_pages=1, finish_reason="finished")


def test_price_table_from_the_store_on_both_databases(store):
    _store_with_prices(store, {"0180": [2000 + 100 * i for i in range(12)] + [None] * 5, "1480": [1500] * 4})
    _store_with_prices(store, {"0180": [900] * 3}, when=DEC)
    table = load_price_table(store, GEO, "kommun", "month")
    assert table.cell("2026-11", "0180").display == "2 550 [2 300–2 850]"  # the 12 priced ads; unpriced left out
    assert table.cell("2026-11", "1480").display == ".."  # 4 priced ads
    assert table.cell("2026-12", "0180").display == ".."
    assert load_price_table(store, GEO, "riket", "month").cell("2026-11", "SE").median.value == 2350  # 16 ads
    series = region_price_series(store, GEO, "kommun", "0180", "month")
    assert set(series.cells) == {"2026-11", "2026-12"} and series.display("2027-01") == ".."
    assert region_price_series(store, GEO, "kommun", "2480", "month") is None  # no site gives Umeå a price


def test_trend_table_and_trends_command_show_the_protected_price(store, tmp_path):
    _store_with_prices(store, {"0180": [1000 + 100 * i for i in range(40)]})
    table = load_trend_table(store, GEO, "kommun", "0180", "month")
    assert table.prices is not None and table.prices.display("2026-11") == "2 950 [2 000–3 950]"
    assert load_trend_table(store, GEO, "kommun", "2480", "month").prices is None


def test_trends_command_prints_median_and_quartiles(tmp_path):
    from store import open_store

    store = open_store(f"sqlite:///{tmp_path / 'lagesbild.db'}")
    _store_with_prices(store, {"0180": [1000 + 100 * i for i in range(40)], "1480": [1800] * 6})
    store.close()
    result = run_cli("trends", "--level", "kommun", "--region", "Stockholm", "--period", "month", home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Pris per timme" in result.stdout and "2 950 [2 000–3 950]" in result.stdout
    assert "minst 10 annonser" in result.stdout
    result = run_cli("trends", "--level", "kommun", "--region", "Göteborg", "--period", "month", home=tmp_path)
    assert result.returncode == 0, result.stderr
    price_lines = [line for line in result.stdout.splitlines() if "2026-11" in line]
    assert "Pris per timme" in result.stdout and any(line.rstrip(" │").endswith("..") for line in price_lines)
    assert "1 800" not in result.stdout  # six ads at one price: nothing of it shows
    result = run_cli("trends", "--level", "kommun", "--region", "Umeå", "--period", "month", home=tmp_path)
    assert result.returncode == 0 and "Pris per timme" not in result.stdout
