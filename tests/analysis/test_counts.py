"""Distinct counting per region and period: each level counts distinct tokens, never sums of lower levels."""
from datetime import datetime
import pytest

from analysis.counts import UNRESOLVED, count_observations
from analysis.periods import period_label
from config.geo import load_geography
from support import Obs

GEO = load_geography()


NOV = datetime(2026, 11, 10, 12)
DEC = datetime(2026, 12, 2, 12)
ROWS = [
    Obs("a1", "p1", "t1", "1480", NOV),   # Göteborg (Väst)
    Obs("a1", "p1", "t1", "1480", NOV),   # the same ad seen twice
    Obs("a2", "p1", "t1", "1280", NOV),   # same profile and phone, Malmö (Syd)
    Obs("a3", "p2", None, "1280", NOV),
    Obs("a4", "p3", "t2", None, NOV),     # unresolved place
    Obs("a1", "p1", "t1", "1480", DEC),   # next month
]


def test_riket_counts_distinct_tokens_including_unresolved():
    table = count_observations(ROWS, GEO, "riket", "month")
    assert table.value("2026-11", "SE", "active_ads") == 4
    assert table.value("2026-11", "SE", "unique_profiles") == 3
    assert table.value("2026-11", "SE", "unique_phones") == 2
    assert table.value("2026-12", "SE", "active_ads") == 1


def test_a_profile_in_two_regions_counts_once_in_each_and_once_in_riket():
    table = count_observations(ROWS, GEO, "polisregion", "month")
    assert table.value("2026-11", "Väst", "unique_profiles") == 1
    assert table.value("2026-11", "Syd", "unique_profiles") == 2
    assert table.value("2026-11", "Syd", "unique_phones") == 1
    assert table.value("2026-11", UNRESOLVED, "active_ads") == 1
    assert table.value("2026-11", "Nord", "active_ads") == 0


def test_every_region_is_listed_so_zeros_are_published():
    table = count_observations(ROWS, GEO, "kommun", "month")
    nov = [row for row in table.rows if row.period == "2026-11"]
    assert len(nov) == 290 + 1  # all kommuner plus "unknown place"
    assert table.value("2026-11", "1480", "active_ads") == 1
    assert table.value("2026-11", "0114", "active_ads") == 0
    lan = count_observations(ROWS, GEO, "lan", "month")
    assert lan.value("2026-11", "14", "active_ads") == 1 and lan.value("2026-11", "12", "active_ads") == 2


@pytest.mark.parametrize("period, label", [("week", "2026-W46"), ("month", "2026-11"), ("quarter", "2026-Q4"), ("year", "2026")])
def test_period_labels(period, label):
    assert period_label(NOV.date(), period) == label


def test_period_uses_swedish_local_date():
    # 23:30 UTC on 31 Dec is already 1 Jan in Stockholm.
    late = [Obs("x", None, None, "0180", datetime(2026, 12, 31, 23, 30))]
    assert count_observations(late, GEO, "riket", "year").rows[0].period == "2027"


def test_unknown_level_is_an_error():
    with pytest.raises(ValueError, match="unknown level"):
        count_observations(ROWS, GEO, "socken", "month")


def test_cell_keys_are_persistent_and_depend_only_on_the_units():
    from analysis.counts import cell_key

    hexes = [f"{i:064x}" for i in (3, 1 << 200, 12345 << 180)]
    assert cell_key(hexes) == cell_key(list(reversed(hexes)))
    assert 0.0 <= cell_key(hexes) < 1.0 and cell_key([]) == 0.0
    rows = [Obs("a" * 64, None, None, "1480", NOV), Obs("b" * 64, None, None, "1480", NOV)]
    one = count_observations(rows, GEO, "kommun", "month").rows
    two = count_observations(list(reversed(rows)) * 2, GEO, "kommun", "month").rows
    assert [r.cell_keys for r in one] == [r.cell_keys for r in two]
    goteborg = next(r for r in one if r.region_code == "1480")
    assert goteborg.cell_keys["active_ads"] == cell_key(["a" * 64, "b" * 64])


def test_cell_keys_do_not_depend_on_process_or_order():
    import subprocess
    import sys

    code = "from analysis.counts import cell_key; print(repr(cell_key({f'token-{i}' for i in range(500)})))"
    outputs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                              env={"PYTHONHASHSEED": str(seed), "PATH": ""}, cwd=str(__import__("pathlib").Path(__file__).parents[2])).stdout
               for seed in (1, 2, 3)}
    assert len(outputs) == 1
