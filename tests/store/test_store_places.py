"""Unresolved place texts are kept only as per-site aggregate counts, and migrations keep earlier data."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from alembic import command

from store import open_store
from store.db import alembic_config, current_revision, head_revision, make_engine
from store.errors import StoreError
from store.places import add_unresolved_places, top_unresolved_places
from store.runs import ensure_site, list_runs

T1 = datetime(2026, 11, 1, tzinfo=timezone.utc)
T2 = datetime(2026, 11, 8, tzinfo=timezone.utc)


def test_counts_add_up_across_runs_and_sites(store):
    ensure_site(store, "alpha", "Alpha")
    ensure_site(store, "beta", "Beta")
    add_unresolved_places(store, "alpha", {("centrum", "ambiguous"): 2, ("oslo", "abroad"): 1}, T1)
    add_unresolved_places(store, "alpha", {("centrum", "ambiguous"): 3}, T2)
    add_unresolved_places(store, "beta", {("centrum", "ambiguous"): 1}, T2)
    top = top_unresolved_places(store, top=10)
    assert [(p.text, p.reason, p.count, p.sites) for p in top] == [
        ("centrum", "ambiguous", 6, ("alpha", "beta")),
        ("oslo", "abroad", 1, ("alpha",)),
    ]
    assert top[0].last_seen == T2.replace(tzinfo=None)
    assert len(top_unresolved_places(store, top=1)) == 1


def test_bad_input_is_refused(store):
    ensure_site(store, "alpha", "Alpha")
    with pytest.raises(StoreError):
        add_unresolved_places(store, "nosuchsite", {("x", "none"): 1}, T1)
    with pytest.raises(StoreError):
        add_unresolved_places(store, "alpha", {("x" * 81, "none"): 1}, T1)
    with pytest.raises(StoreError):
        top_unresolved_places(store, top=0)


def test_upgrade_from_the_first_schema_keeps_its_data(store_url):
    command.upgrade(alembic_config(store_url), "0001")
    engine = make_engine(store_url)
    with engine.begin() as connection:  # a run as the 0001 code wrote it (today's models have more columns)
        connection.exec_driver_sql("INSERT INTO site (id, name, display_name, created_at) "
                                   "VALUES (1, 'alpha', 'Alpha', '2026-01-01 00:00:00')")
        connection.exec_driver_sql(
            "INSERT INTO crawl_run (site_id, status, started_at, observed_at, pages, items, errors, "
            "parse_failures, listing_pages, config_version, parser_version) "
            "VALUES (1, 'complete', '2026-01-01 00:00:00', '2026-01-01 00:00:00', 1, 1, 0, 0, 1, 'cfg', '1')")
    engine.dispose()
    assert current_revision(store_url) == "0001"
    with open_store(store_url) as opened:  # upgrades to head automatically
        assert current_revision(store_url) == head_revision() != "0001"
        assert [run.site for run in list_runs(opened)] == ["alpha"]
