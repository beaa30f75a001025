"""Disclosure control: primary and secondary suppression over the hierarchy and periods, and the Cell Key Method."""
from __future__ import annotations

import json
import random
from datetime import datetime
from pathlib import Path

import pytest

from analysis import disclosure
from analysis.attack import cell_intervals
from analysis.audit import audit_tables
from analysis.relations import CellRef, hierarchy_relations
from analysis.counts import LEVELS, CountRow, CountTable, count_observations
from analysis.queries import load_published, load_published_family
from config.geo import load_geography
from config.settings import Settings
from parsers.records import ObservedAd
from store.observations import add_observations
from store.runs import finish_run, start_run

from support import Obs

GEO = load_geography()
NOV = datetime(2026, 11, 10, 12)


def ads(kommun: str | None, n: int, when: datetime = NOV, prefix: str = "") -> list[Obs]:
    """n distinct ads, each with its own profile and phone, in one kommun."""
    tag = f"{prefix}{kommun}{when:%m}"
    return [Obs(f"a{tag}{i}", f"p{tag}{i}", f"t{tag}{i}", kommun, when) for i in range(n)]


def family(rows, periods=("month",)) -> list[CountTable]:
    return [count_observations(rows, GEO, level, period) for period in periods for level in LEVELS]


def by_key(published) -> dict[tuple[str, str], disclosure.PublishedTable]:
    return {(table.level, table.period): table for table in published}


def suppressed_cells(published, measure="active_ads") -> set[CellRef]:
    return {CellRef(t.level, r.region_code, r.period) for t in published for r in t.rows if r.cells[measure].suppressed}


# --- primary suppression ----------------------------------------------------------------------


def test_counts_below_threshold_are_suppressed_as_dots():
    published = disclosure.protect(count_observations(ads("1480", 3) + ads("1280", 7), GEO, "kommun", "month"))
    goteborg = published.cell("2026-11", "1480", "active_ads")
    assert goteborg.suppressed and goteborg.value is None
    assert goteborg.display == ".." and goteborg.status == ".."
    malmo = published.cell("2026-11", "1280", "active_ads")
    assert (malmo.value, malmo.display, malmo.status) == (7, "7", "")
    assert published.cell("2026-11", "0180", "active_ads").display == "0"


def test_no_published_cell_shows_1_to_4_and_zeros_are_published():
    table = count_observations(ads("1480", 1) + ads("1280", 4) + ads("0180", 5), GEO, "kommun", "month")
    published = disclosure.protect(table)
    shown = {cell.display for row in published.rows for cell in row.cells.values()}
    assert not shown & {"1", "2", "3", "4"}
    assert {"0", "5", ".."} <= shown


def test_threshold_is_configurable_and_rule_is_stated():
    published = disclosure.protect(count_observations(ads("1480", 7), GEO, "kommun", "month"), threshold=10)
    assert published.cell("2026-11", "1480", "active_ads").display == ".."
    assert "1–9" in published.rule and ".." in published.rule
    assert published.method == "suppression-v2"


def test_protect_refuses_what_is_not_a_count_table():
    with pytest.raises(TypeError):
        disclosure.protect("not a table")


# --- secondary suppression ------------------------------------------------------------------------


def test_a_lone_small_kommun_gets_a_partner_in_its_lan():
    # Blekinge: Karlskrona 20, Ronneby 8, Karlshamn 3; the län total 31 would give Karlshamn away.
    rows = ads("1080", 20) + ads("1081", 8) + ads("1082", 3) + ads("1280", 60) + ads("0180", 90)
    published = by_key(disclosure.protect_family(family(rows), GEO))
    kommun = published[("kommun", "month")]
    assert kommun.cell("2026-11", "1082", "active_ads").suppressed          # primary
    assert kommun.cell("2026-11", "1081", "active_ads").suppressed          # the smallest partner
    assert kommun.cell("2026-11", "1080", "active_ads").value == 20
    assert published[("lan", "month")].cell("2026-11", "10", "active_ads").value == 31
    assert published[("riket", "month")].cell("2026-11", "SE", "active_ads").value == 181
    assert not audit_tables(published.values(), GEO)


def test_a_small_lan_alone_in_its_polisregion_gets_a_partner_lan():
    # Polisregion Syd: Kronoberg has only 3 ads, so its län total is suppressed; another Syd län must be too.
    rows = ads("0780", 3) + ads("1280", 40) + ads("1080", 12) + ads("0880", 25) + ads("0180", 90)
    published = disclosure.protect_family(family(rows), GEO)
    lan = by_key(published)[("lan", "month")]
    assert lan.cell("2026-11", "07", "active_ads").suppressed
    syd = [code for code, item in GEO.lan.items() if item.polisregion == "Syd" and code != "07"]
    hidden_partners = [code for code in syd if lan.cell("2026-11", code, "active_ads").suppressed]
    assert hidden_partners, "a second Syd län must be suppressed"
    # …and inside that län, the hidden total needs a hidden kommun too.
    kommun = by_key(published)[("kommun", "month")]
    for code in hidden_partners:
        assert any(kommun.cell("2026-11", k.code, "active_ads").suppressed for k in GEO.kommuner_in_lan(code))
    assert by_key(published)[("polisregion", "month")].cell("2026-11", "Syd", "active_ads").value == 80
    assert not audit_tables(published, GEO)


def test_no_relation_ever_holds_exactly_one_suppressed_cell():
    rng = random.Random(7)
    codes = sorted(GEO.kommuner)
    rows = []
    for i in range(400):
        kommun = rng.choice(codes[:60]) if rng.random() > 0.05 else None
        rows.append(Obs(f"a{i}", f"p{i % 150}", f"t{i % 90}", kommun, datetime(2026, rng.choice([10, 11, 12]), 5)))
    published = disclosure.protect_family(family(rows, ("month", "quarter", "year")), GEO)
    for measure in ("active_ads", "unique_profiles", "unique_phones"):
        hidden = suppressed_cells(published, measure)
        cells = {CellRef(t.level, r.region_code, r.period) for t in published for r in t.rows}
        for relation in hierarchy_relations(cells, GEO):
            assert sum(c in hidden for c in relation.cells) != 1, relation
    assert not audit_tables(published, GEO)


def test_a_sparse_week_keeps_its_national_total_and_stays_safe():
    # Few ads spread thinly: most kommuner and län hold 1–4, so nearly every län is suppressed. The
    # national total must still be published (a complement is found below it), and nothing recoverable.
    rng = random.Random(11)
    cities = ["0180", "1480", "1280", "0380", "0580", "1880", "1980", "2480", "0680", "1283"]
    others = sorted(set(GEO.kommuner) - set(cities))[::3]
    rows = []
    for i in range(130):  # like a week of the demo: most ads in the big cities, a thin spread elsewhere
        kommun = rng.choice(cities) if rng.random() < 0.6 else rng.choice(others)
        rows.append(Obs(f"a{i}", f"p{i}", f"t{i}", None if rng.random() < 0.05 else kommun, NOV))
    published = disclosure.protect_family(family(rows, ("week",)), GEO)
    hidden = suppressed_cells(published)
    lan_cells = [c for c in hidden if c.level == "lan"]
    assert len(lan_cells) >= 10, "the case should suppress most län"
    assert CellRef("riket", "SE", "2026-W46") not in hidden
    assert not audit_tables(published, GEO)


def test_zeros_are_published_and_never_used_as_partners():
    # Gotland has one kommun: kommun and län carry the same 3, so both are primary; the zeros stay zeros.
    rows = ads("0980", 3) + ads("0180", 50) + ads("0181", 9)
    published = by_key(disclosure.protect_family(family(rows), GEO))
    for key, table in published.items():
        for row in table.rows:
            for cell in row.cells.values():
                assert cell.value != 0 or cell.display == "0", (key, row)
    assert published[("lan", "month")].cell("2026-11", "09", "active_ads").suppressed
    assert published[("kommun", "month")].cell("2026-11", "0980", "active_ads").suppressed


def test_months_quarters_and_years_are_protected_together():
    # Solna: October 3 (primary); November 10; the quarter 13 would give October away.
    rows = ads("0184", 3, datetime(2026, 10, 5)) + ads("0184", 10, datetime(2026, 11, 5))
    rows += ads("0180", 40, datetime(2026, 10, 5)) + ads("0180", 50, datetime(2026, 11, 5))
    published = disclosure.protect_family(family(rows, ("month", "quarter", "year")), GEO)
    month = by_key(published)[("kommun", "month")]
    quarter = by_key(published)[("kommun", "quarter")]
    assert month.cell("2026-10", "0184", "active_ads").suppressed
    partner = month.cell("2026-11", "0184", "active_ads"), quarter.cell("2026-Q4", "0184", "active_ads")
    assert any(cell.suppressed for cell in partner)
    assert not audit_tables(published, GEO)


def test_the_pattern_is_the_same_on_every_run():
    rng = random.Random(3)
    rows = [Obs(f"a{i}", None, None, rng.choice(["0180", "0181", "0182", "0183", "1480", "1280"]), NOV)
            for i in range(60)]
    first = disclosure.protect_family(family(rows), GEO)
    again = disclosure.protect_family(family(list(reversed(rows))), GEO)
    assert first == again


def test_tables_from_different_windows_are_refused():
    a = count_observations(ads("0180", 7), GEO, "kommun", "month")
    b = count_observations(ads("0180", 9), GEO, "kommun", "month")
    with pytest.raises(disclosure.DisclosureError):
        disclosure.protect_family([a, b], GEO)


def test_protect_with_a_family_gives_the_family_pattern():
    rows = ads("1080", 20) + ads("1081", 8) + ads("1082", 3)
    tables = family(rows)
    alone = disclosure.protect(tables[3])
    together = disclosure.protect(tables[3], family=tables, geography=GEO)
    assert not alone.cell("2026-11", "1081", "active_ads").suppressed
    assert together.cell("2026-11", "1081", "active_ads").suppressed
    levels = disclosure.protect_levels({t.level: t for t in tables}, GEO)
    assert levels["kommun"] == together


# --- signal measures ---------------------------------------------------------------------------


def test_signal_measures_use_the_stricter_threshold():
    table = count_observations(ads("1480", 7), GEO, "kommun", "month")
    published = disclosure.protect(table, 5, signal_threshold=10, signal_measures={"unique_phones"})
    assert published.cell("2026-11", "1480", "active_ads").value == 7
    assert published.cell("2026-11", "1480", "unique_phones").suppressed
    assert "signalmått 1–9" in published.rule
    assert disclosure.threshold_for("unique_phones", 5, 10, {"unique_phones"}) == 10
    assert disclosure.threshold_for("active_ads", 5, 10, {"unique_phones"}) == 5
    assert disclosure.threshold_for("unique_phones", 12, 10, {"unique_phones"}) == 12  # never looser


# --- the Cell Key Method ------------------------------------------------------------------------


def test_ckm_gives_the_same_value_for_the_same_cell_on_every_run():
    rows = ads("1480", 3) + ads("1280", 17) + ads("0180", 120) + ads(None, 2)
    first = disclosure.protect_family(family(rows), GEO, method="ckm")
    again = disclosure.protect_family(family(list(reversed(rows))), GEO, method="ckm")
    assert first == again
    assert all(t.method == "ckm-v1" and "cellnyckel" in t.rule for t in first)


@pytest.mark.parametrize("threshold", [3, 5, 10])
def test_ckm_never_publishes_a_small_value(threshold):
    rng = random.Random(threshold)
    for _ in range(5000):
        value, key = rng.randrange(0, 40), rng.random()
        published = disclosure.perturb(value, key, threshold)
        assert published == 0 or published >= threshold
        assert abs(published - value) <= max(threshold, disclosure.CKM_MAX_NOISE)
    assert disclosure.perturb(0, 0.99, threshold) == 0


@pytest.mark.parametrize("value", [1, 3, 4, 5, 6, 7, 30])
def test_ckm_noise_is_unbiased(value):
    keys = [(i + 0.5) / 10000 for i in range(10000)]
    mean = sum(disclosure.perturb(value, key, 5) for key in keys) / len(keys)
    assert mean == pytest.approx(value, abs=0.01)


def test_ckm_tables_show_no_small_value_and_mark_nothing_suppressed():
    rng = random.Random(11)
    rows = [Obs(f"a{i}", f"p{i}", None, rng.choice(sorted(GEO.kommuner)), NOV) for i in range(300)]
    published = disclosure.protect_family(family(rows), GEO, method="ckm")
    cells = [cell for t in published for r in t.rows for cell in r.cells.values()]
    assert all(cell.value is not None and cell.status == "" for cell in cells)
    assert not {cell.value for cell in cells} & {1, 2, 3, 4}


def test_ckm_needs_cell_keys():
    row = CountRow("2026-11", "1480", "Göteborg", {"active_ads": 3})
    table = CountTable("kommun", "month", ("active_ads",), (row,))
    with pytest.raises(disclosure.DisclosureError):
        disclosure.protect(table, method="ckm")


# --- the store edge -------------------------------------------------------------------------------


def add_ads(store, kommun_counts: dict[str, int]) -> None:
    run_id = start_run(store, "alpha", "Alpha", "cfg1", "p1", observed_at=NOV)
    add_observations(store, run_id, [
        ObservedAd(site="alpha", ad_token=f"a{kommun}{i}", profile_token=None, phone_token=None,
                   kommun_code=kommun, unresolved_reason=None, category="Kvinna", observed_at=NOV, posted_at=None)
        for kommun, n in kommun_counts.items() for i in range(n)
    ])
    finish_run(store, run_id, "complete", pages=1, items=1, errors=0, parse_failures=0,
                          listing_pages=1, finish_reason="finished")


def test_load_published_protects_every_level_together(store):
    add_ads(store, {"1080": 20, "1081": 8, "1082": 3, "0180": 50})
    kommun = load_published(store, GEO, "kommun", "month")
    assert kommun.cell("2026-11", "1081", "active_ads").suppressed
    tables = load_published_family(store, GEO, "month", settings=Settings(small_cell_threshold=5))
    assert set(tables) == {(level, period) for level in LEVELS for period in ("month", "quarter", "year")}
    assert tables[("kommun", "month")] == kommun
    assert not audit_tables(tables.values(), GEO)
    ckm = load_published(store, GEO, "kommun", "month", settings=Settings(disclosure_method="ckm"))
    assert ckm.method == "ckm-v1" and not ckm.cell("2026-11", "1082", "active_ads").suppressed


def test_a_cell_pinned_through_hidden_neighbours_further_out_is_protected_not_a_crash():
    """The table that crashed `lagesbild export --demand --level kommun` ("cannot protect CellRef('kommun',
    '1402', '2026-10'): no cell left to suppress"): a 6-week back-fill from 28 October, so October holds one
    occasion and every small kommun's months, quarter and year are 1. Every cell around kommun 1402 in
    October was hidden or 0, yet an attacker pinned it through its own (hidden) quarter, which a published
    quarter under län 14 (49 kommuner, too large for the nearby search) bounds. The complement must then come
    from that relation further out."""
    path = Path(__file__).resolve().parents[1] / "fixtures" / "disclosure" / "crash-one-occasion-october.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    regions = {"riket": ["SE"], "polisregion": list(GEO.polisregioner), "lan": sorted(GEO.lan),
               "kommun": sorted(GEO.kommuner)}
    values = {CellRef(level, region, period): 0 for level, codes in regions.items()
              for region in [*codes, *(["okand"] if level != "riket" else [])] for period in data["periods"]}
    values.update({CellRef(level, region, period): value for level, region, period, value in data["nonzero"]})
    relations = hierarchy_relations(values, GEO)

    hidden = disclosure.suppression_pattern(values, relations, data["threshold"])

    assert CellRef("kommun", "1402", "2026-10") in hidden
    assert {cell for cell, value in values.items() if 0 < value < data["threshold"]} <= hidden
    known = {cell: value for cell, value in values.items() if cell not in hidden}
    assert not cell_intervals(known, hidden, relations, only_recoverable=True)  # the audit finds nothing
    assert not cell_intervals(known, hidden, relations, only_recoverable=True, truth=values)  # nor the informed
