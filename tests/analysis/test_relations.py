"""The sums that link cells of published tables: levels, the unplaced row and periods."""
from __future__ import annotations

from datetime import datetime

from analysis.counts import LEVELS, count_observations
from analysis.relations import CellRef, hierarchy_relations
from config.geo import load_geography

from support import Obs

GEO = load_geography()


def tables(rows, periods=("month", "quarter", "year")):
    return [count_observations(rows, GEO, level, period) for period in periods for level in LEVELS]


def test_hierarchy_relations_cover_levels_unresolved_and_periods():
    rows = [Obs("a1", None, None, "1080", datetime(2026, 11, 3)), Obs("a2", None, None, None, datetime(2026, 12, 3))]
    cells = {CellRef(t.level, r.region_code, r.period) for t in tables(rows) for r in t.rows}
    kinds = {r.kind for r in hierarchy_relations(cells, GEO)}
    assert {"lan=kommun", "polisregion=lan", "riket=polisregion", "riket=lan", "riket=kommun",
            "polisregion=lan/okand", "lan=kommun/okand", "quarter=month", "year=quarter"} <= kinds
    quarter = next(r for r in hierarchy_relations(cells, GEO)
                   if r.kind == "quarter=month" and r.total == CellRef("kommun", "1080", "2026-Q4"))
    assert set(quarter.parts) == {CellRef("kommun", "1080", "2026-11"), CellRef("kommun", "1080", "2026-12")}
