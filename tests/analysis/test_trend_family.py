"""New ads and ads per category are protected consistently with active ads; rates come from published cells."""
from __future__ import annotations

import hashlib
import random
from datetime import datetime, timedelta, timezone

import pytest

from analysis.attack import cell_intervals
from analysis.relations import CellRef, Relation, hierarchy_relations
from analysis.disclosure import PublishedCell
from analysis.engine import CATEGORY_MEASURES, NEW_ADS
from analysis.trend_family import CATEGORY_LEVELS, category_shares, load_trend_family, per_100k, population
from config.geo import load_geography
from config.settings import Settings
from parsers.records import CATEGORIES, ObservedAd
from store.observations import add_observations
from store.runs import finish_run, start_run

GEO = load_geography()
UTC = timezone.utc
KOMMUNER = ["0180", "0114", "1480", "1280", "1281", "2480", "0380", "0580"]


def _token(kind: str, i: int) -> str:
    return hashlib.sha256(f"{kind}-{i}".encode()).hexdigest()


def small_market(store, months: int = 4, seed: int = 2) -> None:
    """Weekly crawls of a small market: many small cells, so suppression has work to do."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 7, 3, tzinfo=UTC)
    for week in range(months * 4 + 1):
        when = start + timedelta(weeks=week)
        run = start_run(store, "alfa", "Alfa", "v1", "p1", observed_at=when)
        ads = []
        for a in range(week * 6, week * 6 + rng.randrange(50, 90)):
            kommun = KOMMUNER[a % len(KOMMUNER)] if a % 29 else None
            ads.append(ObservedAd("alfa", _token("a", a), _token("p", a // 2), _token("t", a // 4), kommun,
                                  None if kommun else "none", CATEGORIES[(a * 7) % 4 if a % 11 else 1], when, None))
        add_observations(store, run, ads)
        finish_run(store, run, "complete", pages=10, items=len(ads), errors=0, parse_failures=0,
                              listing_pages=1, finish_reason="finished")


def test_new_ads_are_hidden_wherever_active_ads_are_and_first_periods_are_censored(store):
    small_market(store)
    family = load_trend_family(store, GEO, "month")
    hidden_active = hidden_new = both = 0
    for key, base in family.base.items():
        extras = {(r.period, r.region_code): r for r in family.extras[key].rows}
        for row in base.rows:
            extra = extras[(row.period, row.region_code)]
            if row.cells["active_ads"].suppressed:
                hidden_active += 1
                assert extra.cells[NEW_ADS].suppressed, (key, row.period, row.region_code)
                both += 1
            hidden_new += extra.cells[NEW_ADS].suppressed
    assert hidden_active > 0 and hidden_new >= both
    assert family.censored["month"] == "2026-01" and family.censored["year"] == "2026"


def test_category_cells_cannot_be_worked_out_from_published_active_ads(store):
    small_market(store)
    family = load_trend_family(store, GEO, "month")
    known, unknown = {}, set()
    for key, table in family.base.items():
        for row in table.rows:
            ref = ("active_ads", CellRef(key[0], row.region_code, row.period))
            cell = row.cells["active_ads"]
            (unknown.add(ref) if cell.suppressed else known.__setitem__(ref, cell.value))
    category_refs = set()
    for key, table in family.extras.items():
        if key[0] not in CATEGORY_LEVELS:
            assert not set(CATEGORY_MEASURES) & set(table.measures)  # no kommun cell by category
            continue
        for row in table.rows:
            ref = CellRef(key[0], row.region_code, row.period)
            category_refs.add(ref)
            hidden = [m for m in CATEGORY_MEASURES if row.cells[m].suppressed]
            for measure in CATEGORY_MEASURES:
                cell = row.cells[measure]
                (unknown.add((measure, ref)) if cell.suppressed else known.__setitem__((measure, ref), cell.value))
            total = family.base[key].cell(row.period, row.region_code, "active_ads")
            if not total.suppressed:
                assert len(hidden) != 1, (ref, hidden)  # one hidden category would be the difference
    assert any(m != "active_ads" for m, _ in unknown)  # something was hidden
    # The audit's attacker, with every relation an attacker could use, pins no hidden cell.
    relations = []
    for tag in ("active_ads", *CATEGORY_MEASURES):
        refs = {ref for m, ref in (*known, *unknown) if m == tag}
        relations += [Relation((tag, r.total), tuple((tag, p) for p in r.parts), f"{tag}:{r.kind}")
                      for r in hierarchy_relations(refs, GEO)]
    relations += [Relation(("active_ads", ref), tuple((m, ref) for m in CATEGORY_MEASURES), "kategorier")
                  for ref in category_refs]
    exposed = cell_intervals(known, unknown, relations, only_recoverable=True)
    assert not [cell for cell in exposed if cell[0] != "active_ads"]


def test_with_the_cell_key_method_every_extra_cell_is_perturbed_and_never_small(store):
    small_market(store, months=2)
    settings = Settings(disclosure_method="ckm")
    family = load_trend_family(store, GEO, "month", settings=settings)
    values = [cell.value for table in family.extras.values() for row in table.rows for cell in row.cells.values()]
    assert values and all(v is not None and not 0 < v < 5 for v in values)


def test_rates_and_shares_come_only_from_published_cells():
    hidden, shown = PublishedCell(None, ".."), PublishedCell(50, "50")
    inhabitants = population(GEO, "polisregion", "Syd")
    assert inhabitants == sum(GEO.population[c] for c in GEO.kommun_codes_in("polisregion", "Syd"))
    assert per_100k(hidden, inhabitants) is None
    assert per_100k(shown, inhabitants) == pytest.approx(50 * 100_000 / inhabitants)
    assert population(GEO, "kommun", "okand") is None

    class Row:
        cells = {m: PublishedCell(10, "10") for m in CATEGORY_MEASURES} | {"ads_man": hidden}

    shares = category_shares(Row(), PublishedCell(40, "40"))
    assert shares["ads_kvinna"] == pytest.approx(0.25) and shares["ads_man"] is None
    assert all(v is None for v in category_shares(Row(), hidden).values())
