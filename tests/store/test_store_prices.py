"""Observations keep the stated price per hour as whole SEK and read back for analysis (both backends)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from alembic import command
from sqlalchemy import inspect

from store import Store, StoreError, open_store
from store.db import alembic_config, current_revision, head_revision, make_engine
from store.prices import PriceRow, iter_price_rows
from store.observations import add_observations
from store.run_health import record_health
from store.runs import finish_run, start_run

UTC = timezone.utc
SEEN = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)


def tok(number: int) -> str:
    return f"{number:064x}"


def finish(store: Store, run_id: int, status: str = "complete") -> None:
    finish_run(store, run_id, status, pages=1, items=1, errors=0, parse_failures=0, listing_pages=1,
               finish_reason="finished")


def test_price_round_trips_and_unpriced_ads_are_not_read(store: Store, make_ad) -> None:
    run_id = start_run(store, "alpha", "Alpha", "cfg", "parser", observed_at=SEEN)
    add_observations(store, run_id, [
        make_ad(tok(1), price_per_hour=1500, observed_at=SEEN),
        make_ad(tok(2), price_per_hour=None, observed_at=SEEN),
        make_ad(tok(3), price_per_hour=2200, kommun_code=None, unresolved_reason="none", observed_at=SEEN),
    ])
    finish(store, run_id)
    rows = list(iter_price_rows(store))
    assert all(isinstance(row, PriceRow) for row in rows)
    assert {(r.ad_token, r.kommun_code, r.price_per_hour) for r in rows} == {(tok(1), "0180", 1500),
                                                                             (tok(3), None, 2200)}
    assert {r.observed_at for r in rows} == {SEEN.replace(tzinfo=None)}
    with store.engine.connect() as connection:
        column = next(c for c in inspect(connection).get_columns("observation") if c["name"] == "price_per_hour")
        stored = connection.exec_driver_sql("SELECT price_per_hour FROM observation ORDER BY id").scalars().all()
    assert "INT" in str(column["type"]).upper() and column["nullable"]
    assert stored == [1500, None, 2200]  # integers, never text


def test_only_usable_runs_and_the_window_are_read(store: Store, make_ad) -> None:
    for number, status in ((1, "complete"), (2, "partial"), (3, "suspect"), (4, "failed")):
        run_id = start_run(store, "alpha", "Alpha", "cfg", "parser", observed_at=SEEN)
        add_observations(store, run_id, [make_ad(tok(number), price_per_hour=1000 + number, observed_at=SEEN)])
        finish(store, run_id, "complete" if status == "suspect" else status)
        if status == "suspect":
            record_health(store, run_id, [{"check": "ads", "detail": "few"}])
    assert {r.price_per_hour for r in iter_price_rows(store)} == {1001, 1002, 1003}
    assert list(iter_price_rows(store, since=datetime(2026, 11, 18, 3, tzinfo=UTC))) == []
    assert len(list(iter_price_rows(store, until=datetime(2026, 11, 18, 3, tzinfo=UTC)))) == 3


@pytest.mark.parametrize("price", [0, -5, 100_001, 1500.0, "1500", True])
def test_a_price_that_is_not_whole_sek_is_refused(store: Store, make_ad, price) -> None:
    run_id = start_run(store, "alpha", "Alpha", "cfg", "parser", observed_at=SEEN)
    with pytest.raises(StoreError, match="price_per_hour"):
        add_observations(store, run_id, [make_ad(tok(1), price_per_hour=price)])


def test_migration_adds_the_column_to_an_older_database(store_url: str) -> None:
    engine = make_engine(store_url)
    try:
        config = alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0008")
            connection.exec_driver_sql("INSERT INTO site (id, name, display_name, created_at) VALUES (1, 'alpha', 'Alpha', "
                                       "'2026-11-18 02:00:00')")
            connection.exec_driver_sql(
                "INSERT INTO crawl_run (id, site_id, status, observed_at, started_at, pages, items, errors, "
                "parse_failures, listing_pages, config_version, parser_version) VALUES (1, 1, 'complete', "
                "'2026-11-18 02:00:00', '2026-11-18 02:00:00', 1, 1, 0, 0, 1, 'c', 'p')")
            connection.exec_driver_sql(
                "INSERT INTO observation (run_id, site_id, ad_token, kommun_code, category, observed_at) "
                f"VALUES (1, 1, '{tok(1)}', '0180', 'Kvinna', '2026-11-18 02:00:00')")
    finally:
        engine.dispose()
    assert current_revision(store_url) == "0008"
    with open_store(store_url) as opened:  # upgrades to head
        assert current_revision(store_url) == head_revision()
        assert list(iter_price_rows(opened)) == []  # the old sighting has no price
        with opened.engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT price_per_hour FROM observation").scalars().all() == [None]
