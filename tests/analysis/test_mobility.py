"""Mobility signals on hand-made rows: mobile tokens, touring profiles, origin–destination flows."""
from __future__ import annotations

from datetime import timedelta

import pytest

from analysis.relations import CellRef
from analysis.mobility import (
    flow_count_table,
    flow_relations,
    mobile_tokens,
    od_flows,
    protect_flows,
    touring_profiles,
)
from config.geo import load_geography
from signal_rows import row, tok

GEO = load_geography()
STOCKHOLM, GOTEBORG, MALMO, LUND, UMEA = "0180", "1480", "1280", "1281", "2480"


def tour(profile: str, stops: list[str], start: int = 0, **extra) -> list:
    return [row(f"{profile}{i}", profile=profile, kommun=code, at=start + i, **extra) for i, code in enumerate(stops)]


def test_tokens_seen_in_two_kommuner_in_a_period_are_mobile():
    rows = tour("p", [STOCKHOLM, GOTEBORG]) + tour("q", [MALMO, MALMO]) + \
        [row("r1", profile="r", phone="t", kommun=UMEA), row("r2", profile="s", phone="t", kommun=LUND)]
    mobile = mobile_tokens(rows, "quarter")
    assert mobile["profile"]["2026-Q1"] == {tok("p")}
    assert mobile["phone"]["2026-Q1"] == {tok("t")}
    assert mobile_tokens(rows, "week")["profile"] == {}  # one kommun per week


def test_touring_is_moving_within_the_window_or_saying_so():
    rows = (tour("mover", [STOCKHOLM, GOTEBORG]) + tour("stayer", [MALMO] * 3)
            + [row("far1", profile="far", kommun=UMEA, at=0), row("far2", profile="far", kommun=LUND, at=10)]
            + [row("says", profile="teller", kommun=MALMO, stated_touring=True)]
            + [row("none", profile="vague", kommun=None), row("none2", profile="vague", kommun=None, at=1)])
    assert touring_profiles(rows) == {tok("mover"), tok("teller")}
    assert tok("far") in touring_profiles(rows, window=timedelta(weeks=12))


def test_flows_follow_each_profile_from_region_to_region():
    rows = tour("p", [STOCKHOLM, GOTEBORG, MALMO, STOCKHOLM]) + tour("q", [MALMO, LUND, GOTEBORG])
    flows = od_flows(rows, GEO, "polisregion", "quarter")
    assert flows.flows == {("2026-Q1", "Stockholm", "Väst"): 1, ("2026-Q1", "Väst", "Syd"): 1,
                           ("2026-Q1", "Syd", "Stockholm"): 1, ("2026-Q1", "Syd", "Väst"): 1}
    by_lan = od_flows(rows, GEO, "lan", "week")
    assert by_lan.value("2026-W04", "12", "14") == 1 and by_lan.total() == 4  # Malmö → Lund stays in Skåne
    gap = tour("g", [STOCKHOLM]) + [row("g9", profile="g", kommun=MALMO, at=8)]
    assert od_flows(gap, GEO, "polisregion", "quarter").total() == 0  # eight weeks apart: no known route


def test_a_profile_in_two_places_at_once_is_placed_where_most_of_its_ads_are():
    rows = [row("a", profile="p", kommun=STOCKHOLM, at=0), row("b", profile="p", kommun=STOCKHOLM, at=0),
            row("c", profile="p", kommun=MALMO, at=0), row("d", profile="p", kommun=MALMO, at=1)]
    assert od_flows(rows, GEO, "polisregion", "month").flows == {("2026-01", "Stockholm", "Syd"): 1}


def test_flows_need_a_regional_level():
    with pytest.raises(ValueError):
        od_flows([], GEO, "riket", "month")


def test_flow_tables_list_every_pair_and_police_regions_sum_their_lan():
    rows = tour("p", [STOCKHOLM, GOTEBORG, MALMO])
    tables = [flow_count_table(od_flows(rows, GEO, level, "quarter"), GEO) for level in ("polisregion", "lan")]
    assert len(tables[0].rows) == 7 * 6 and len(tables[1].rows) == 21 * 20
    assert {r.region_code: r.values["flows"] for r in tables[0].rows if r.values["flows"]} == \
        {"Stockholm>Väst": 1, "Väst>Syd": 1}
    relations = flow_relations(tables, GEO)
    assert len(relations) == 42
    stockholm_vast = next(r for r in relations if r.total == CellRef("polisregion", "Stockholm>Väst", "2026-Q1"))
    expected = {CellRef("lan", f"{a.code}>{b.code}", "2026-Q1") for a in GEO.lan_in_polisregion("Stockholm")
                for b in GEO.lan_in_polisregion("Väst")}
    assert set(stockholm_vast.parts) == expected and CellRef("lan", "01>14", "2026-Q1") in expected


def test_published_flows_hide_small_cells_at_both_levels():
    rows = []
    for n in range(12):
        rows += tour(f"big{n}", [STOCKHOLM, GOTEBORG])
    rows += tour("lone", [MALMO, UMEA])
    published = protect_flows(rows, GEO, "quarter")
    police, lan = published[("polisregion", "quarter")], published[("lan", "quarter")]
    assert police.cell("2026-Q1", "Stockholm>Väst", "flows").value == 12
    assert police.cell("2026-Q1", "Syd>Nord", "flows").suppressed
    assert lan.cell("2026-Q1", "12>24", "flows").suppressed
    assert lan.cell("2026-Q1", "01>14", "flows").value == 12 and lan.cell("2026-Q1", "01>12", "flows").value == 0
    assert "signalmått" in police.rule
