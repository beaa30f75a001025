"""The demand measures: counting, disclosure control, the demand/supply ratio and the trend estimate (issue 9)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from analysis import disclosure
from analysis.counts import count_observations
from analysis.demand import DEMAND_MEASURES, count_demand, demand_supply_ratio, weekly_trend
from config.geo import load_geography
from store.demand import RequestRow, ReviewRow
from support import Obs

GEO = load_geography()
T = datetime(2026, 11, 4, 2, 0, tzinfo=timezone.utc)


def requests(n: int, kommun: str, at=T, prefix="a") -> list[RequestRow]:
    return [RequestRow("nattsida", f"{prefix}{kommun}{i}", kommun, at) for i in range(n)]


def reviews(n: int, kommun: str | None, reviewers: int, at=T) -> list[ReviewRow]:
    return [ReviewRow("nattsida", f"r{kommun}{i}", f"h{i % reviewers}", kommun, at) for i in range(n)]


def test_each_measure_counts_distinct_tokens_in_its_own_period():
    sightings = requests(3, "0180") + requests(3, "0180", at=T + timedelta(days=7))  # the same ads, next week
    events = reviews(4, "2480", 2) + reviews(2, "0180", 1, at=T - timedelta(days=40))  # an older review month
    month = {(r.period, r.region_code): r.values for r in count_demand(sightings, events, GEO, "lan", "month").rows}
    assert month[("2026-11", "01")] == {"demand_ads": 3, "reviews": 0, "unique_reviewers": 0}
    assert month[("2026-11", "24")] == {"demand_ads": 0, "reviews": 4, "unique_reviewers": 2}
    assert month[("2026-09", "01")] == {"demand_ads": 0, "reviews": 2, "unique_reviewers": 1}
    week = count_demand(sightings, [], GEO, "riket", "week")
    assert [r.values["demand_ads"] for r in week.rows] == [3, 3]


def test_unplaced_reviews_have_their_own_row_and_every_region_is_listed():
    table = count_demand([], reviews(2, None, 1), GEO, "kommun", "month")
    codes = [r.region_code for r in table.rows]
    assert "okand" in codes and len(codes) == len(GEO.kommuner) + 1
    assert table.measures == DEMAND_MEASURES


def test_published_demand_hides_small_cells_and_reviewers_get_the_signal_threshold():
    sightings = requests(30, "0180") + requests(2, "2480")
    events = reviews(40, "0180", 8) + reviews(3, "2480", 3)
    levels = ("riket", "polisregion", "lan", "kommun")
    tables = [count_demand(sightings, events, GEO, level, "week") for level in levels]
    signal = disclosure.SIGNAL_MEASURES | {"unique_reviewers"}
    published = dict(zip(levels, disclosure.protect_family(tables, GEO, signal_measures=signal)))
    kommun = {r.region_code: r.cells for r in published["kommun"].rows}
    assert kommun["2480"]["demand_ads"].value is None and kommun["2480"]["reviews"].value is None
    assert kommun["0180"]["demand_ads"].value is None or kommun["0180"]["demand_ads"].value == 30
    assert kommun["0180"]["unique_reviewers"].value is None  # 8 reviewers: below the signal threshold 10
    riket = published["riket"].rows[0].cells
    assert riket["demand_ads"].value == 32 and riket["reviews"].value == 43


def test_ratio_uses_only_published_cells():
    supply_units = [Obs(f"o{k}{i}", None, None, k, T) for k in ("0180", "1480", "1280") for i in range(20)]
    supply_units.append(Obs("o-x", None, None, "2480", T))
    levels = ("riket", "polisregion", "lan")
    supply = disclosure.protect_family([count_observations(supply_units, GEO, lv, "week") for lv in levels], GEO)
    sightings = requests(50, "0180") + requests(6, "2480") + requests(7, "1480")
    demand = disclosure.protect_family([count_demand(sightings, [], GEO, lv, "week") for lv in levels], GEO)
    shown = 0
    for level_demand, level_supply in zip(demand, supply):
        offered = {r.region_code: r.cells["active_ads"].value for r in level_supply.rows}
        for row in demand_supply_ratio(level_demand, level_supply):
            asked = next(r for r in level_demand.rows if r.region_code == row.region_code).cells["demand_ads"].value
            if asked is None or not offered[row.region_code]:
                assert row.ratio is None and row.display == ".."
            else:
                assert row.ratio == pytest.approx(asked / offered[row.region_code])
                shown += 1
    assert shown >= 2
    riket = demand_supply_ratio(demand[0], supply[0])[0]
    assert riket.ratio == pytest.approx(63 / 61) and riket.display == "1,03"
    lan24 = next(r for r in demand_supply_ratio(demand[2], supply[2]) if r.region_code == "24")
    assert lan24.ratio is None  # one supply ad there: suppressed, so no ratio
    with pytest.raises(TypeError):
        demand_supply_ratio(count_demand(sightings, [], GEO, "lan", "week"), supply[2])


def test_weekly_trend_sign_and_size():
    assert weekly_trend([(w, 100 + w) for w in range(6)]) == pytest.approx(52 / 102.5)
    assert weekly_trend([(w, 100 - 2 * w) for w in range(6)]) < 0
    assert weekly_trend([(0, 5), (1, 5)]) is None
    assert weekly_trend([(0, 0), (1, 0), (2, 0)]) is None
