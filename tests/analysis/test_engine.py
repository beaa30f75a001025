"""The columnar reader and counting engine give exactly the tables count_observations gives, much faster."""
from __future__ import annotations

import hashlib
import random
from datetime import date, datetime, timedelta, timezone

import numpy as np
import pytest

from analysis.counts import LEVELS, MEASURES, count_observations
from analysis.engine import CATEGORY_MEASURES, NEW_ADS, Prepared
from analysis.periods import PERIODS, local_date, period_label
from analysis.queries import load_counts, prepare_counts
from config.geo import load_geography
from parsers.records import CATEGORIES, ObservedAd
from store.observations import add_observations, iter_observation_rows
from store.runs import finish_run, start_run
from store.columnar import observation_columns

GEO = load_geography()
UTC = timezone.utc
KOMMUNER = ["0180", "1480", "1280", "0380", "2480", "0114", "2584"]


def token(kind: str, i: int) -> str:
    return hashlib.sha256(f"{kind}-{i}".encode()).hexdigest()


def add_run(store, site: str, when: datetime, ads: list[ObservedAd], status: str = "complete") -> int:
    run_id = start_run(store, site, site.title(), "v1", "p1", observed_at=when)
    add_observations(store, run_id, ads)
    finish_run(store, run_id, status, pages=3, items=len(ads), errors=0, parse_failures=0,
                          listing_pages=1, finish_reason="finished")
    return run_id


def synthetic_market(store, *, tokens=token, days: int = 70, seed: int = 5) -> None:
    """A few weeks of crawls of two sites, with every awkward case: no phone, no profile, no place,
    a kommun code the geography does not know, an ad that moves or changes profile, failed runs,
    observation times around midnight and the daylight-saving changes."""
    rng = random.Random(seed)
    start = datetime(2026, 3, 1, 22, 30, tzinfo=UTC)  # late evening: the Swedish date is the next day
    for day in range(days):
        for site, hour in (("alfa", 0), ("beta", 1)):
            when = start + timedelta(days=day, hours=hour * 3 + (day % 3))
            batch = []
            for i in range(rng.randrange(15, 40)):
                ad = rng.randrange(0, 120)
                kommun = KOMMUNER[ad % len(KOMMUNER)]
                if ad % 17 == 0:
                    kommun = None
                elif ad % 19 == 0:
                    kommun = "9999"  # not in the geography: counted as an unknown place
                elif ad % 11 == 0 and day % 2:
                    kommun = KOMMUNER[(ad + 1) % len(KOMMUNER)]  # an ad seen in two places
                profile = None if ad % 7 == 0 else tokens("p", ad // 3 + (day // 30 if ad % 13 == 0 else 0))
                phone = None if ad % 5 == 0 else tokens("t", ad // 6)
                category = CATEGORIES[(ad + (day // 40 if ad % 23 == 0 else 0)) % len(CATEGORIES)]
                batch.append(ObservedAd(site, tokens(site + "a", ad), profile, phone, kommun,
                                        None if kommun else "none", category, when, None))
            status = "failed" if day % 13 == 4 and site == "beta" else ("partial" if day % 9 == 0 else "complete")
            add_run(store, site, when, batch, status)


def reference(store, level: str, period: str, since=None, until=None):
    rows = list(iter_observation_rows(store, since=since, until=until))
    return count_observations(rows, GEO, level, period)


def test_every_table_equals_the_reference_counts_and_cell_keys(store):
    synthetic_market(store)
    columns = observation_columns(store)
    assert columns.method == "columnar"
    prepared = Prepared(columns, GEO)
    for level in LEVELS:
        for period in PERIODS:
            assert prepared.table(level, period) == reference(store, level, period), (level, period)


def test_the_plain_row_reader_gives_the_same_columns(store):
    synthetic_market(store, days=20)
    fast, plain = observation_columns(store), observation_columns(store, fast=False)
    assert (fast.method, plain.method) == ("columnar", "rows")
    for field in ("run", "hour", "category"):
        assert np.array_equal(getattr(fast, field), getattr(plain, field)), field
    for codes, tokens in (("ad", "ad_tokens"), ("profile", "profile_tokens"), ("phone", "phone_tokens"),
                          ("kommun", "kommun_codes")):
        def decoded(columns):
            table = getattr(columns, tokens)
            return [table[i] if i >= 0 else None for i in getattr(columns, codes)]
        assert decoded(fast) == decoded(plain), codes


def test_tokens_that_are_not_64_characters_fall_back_to_rows_with_the_same_result(store):
    synthetic_market(store, tokens=lambda kind, i: f"{kind}{i}", days=15)
    columns = observation_columns(store)
    assert columns.method == "rows"
    prepared = Prepared(columns, GEO)
    for level, period in (("kommun", "week"), ("riket", "month"), ("lan", "year")):
        assert prepared.table(level, period) == reference(store, level, period)


def test_tokens_sharing_a_long_prefix_are_kept_apart(store):
    synthetic_market(store, tokens=lambda kind, i: f"{kind}{i:063x}"[-64:].rjust(64, "0"), days=15)
    columns = observation_columns(store)
    assert columns.method == "columnar"
    assert Prepared(columns, GEO).table("kommun", "week") == reference(store, "kommun", "week")


def test_a_window_counts_only_its_days(store):
    synthetic_market(store)
    since, until = date(2026, 3, 10), date(2026, 4, 5)
    from analysis.periods import day_bounds

    start, end = day_bounds(since, until)
    for level, period in (("polisregion", "week"), ("kommun", "month")):
        assert load_counts(store, GEO, level, period, since, until) == reference(store, level, period, start, end)


def test_load_counts_reuses_one_read(store, monkeypatch):
    synthetic_market(store, days=10)
    prepared = prepare_counts(store, GEO)
    import analysis.queries as queries

    monkeypatch.setattr(queries, "observation_columns", lambda *a, **k: pytest.fail("read again"))
    for level in LEVELS:
        assert load_counts(store, GEO, level, "week", prepared=prepared) == reference(store, level, "week")


def test_an_empty_store_gives_empty_tables(store):
    table = prepare_counts(store, GEO).table("kommun", "month")
    assert table.rows == () and table.measures == MEASURES


# --- the new measures ---------------------------------------------------------------


def test_new_ads_count_first_sightings_in_the_whole_store(store):
    when = [datetime(2026, m, 10, 3, tzinfo=UTC) for m in (1, 2, 3)]
    a, b, c = (token("a", i) for i in range(3))
    add_run(store, "alfa", when[0], [ObservedAd("alfa", a, None, None, "0180", None, "Kvinna", when[0], None)])
    add_run(store, "alfa", when[1], [ObservedAd("alfa", x, None, None, "0180", None, "Kvinna", when[1], None)
                                     for x in (a, b)])
    add_run(store, "alfa", when[2], [ObservedAd("alfa", x, None, None, k, None, "Man", when[2], None)
                                     for x, k in ((a, "1280"), (b, "0180"), (c, "1280"))])
    prepared = prepare_counts(store, GEO)
    table = prepared.table("riket", "month", (NEW_ADS, "active_ads"))
    assert [(r.period, r.values[NEW_ADS], r.values["active_ads"]) for r in table.rows] == [
        ("2026-01", 1, 1), ("2026-02", 1, 2), ("2026-03", 1, 3)]
    assert prepared.first_labels()["month"] == "2026-01"  # censored: every ad in it counts as new
    # Inside a window, ads first seen before it are not new.
    windowed = prepare_counts(store, GEO, date(2026, 2, 1), date(2026, 3, 31))
    assert [r.values[NEW_ADS] for r in windowed.table("riket", "month", (NEW_ADS,)).rows] == [1, 1]
    # Ad c is new in Skåne (Malmö) in March; ad a moved there but is not new.
    syd = {r.region_code: r.values for r in prepared.table("polisregion", "month", (NEW_ADS, "active_ads")).rows
           if r.period == "2026-03"}
    assert syd["Syd"] == {NEW_ADS: 1, "active_ads": 2}


def test_category_counts_count_ads_by_their_category_in_the_cell(store):
    synthetic_market(store, days=25)
    prepared = prepare_counts(store, GEO)
    rows = list(iter_observation_rows(store))
    table = prepared.table("polisregion", "month", tuple(CATEGORY_MEASURES))
    for row in table.rows:
        for measure, category in CATEGORY_MEASURES.items():
            expected = {r.ad_token for r in rows if r.category == category
                        and period_label(local_date(r.observed_at), "month") == row.period
                        and (GEO.polisregion_of(r.kommun_code) if r.kommun_code in GEO.kommuner else "okand")
                        == row.region_code}
            assert row.values[measure] == len(expected), (row.period, row.region_code, measure)


def test_an_in_memory_database_is_read_on_its_own_connection():
    from store import open_store

    store = open_store("sqlite:///:memory:")
    try:
        synthetic_market(store, days=5)
        columns = observation_columns(store)
        assert columns.method == "columnar" and len(columns) > 0
        assert Prepared(columns, GEO).table("lan", "week") == reference(store, "lan", "week")
    finally:
        store.close()
