"""Scheduled exports carry the same crawl-quality flags and coverage as `lagesbild export`."""
from __future__ import annotations

import csv
from datetime import datetime, timezone

from config.settings import Settings
from parsers.records import ObservedAd
from scheduler import jobs
from store import open_store
from store.observations import add_observations
from store.runs import finish_run, start_run


def _crawl(store, site: str, moment: datetime, status: str, kommuner: dict[str, int]) -> None:
    run_id = start_run(store, site, site.title(), "v1", "p1", observed_at=moment)
    ads = [ObservedAd(site, f"ad-{site}-{code}-{i}", f"pr-{code}-{i}", f"ph-{code}-{i}", code, None, "Kvinna",
                      moment, None) for code, n in kommuner.items() for i in range(n)]
    items = add_observations(store, run_id, ads)
    finish_run(store, run_id, status, pages=10, items=items, errors=0 if status == "complete" else 3,
                          parse_failures=0, listing_pages=2, finish_reason="finished")


def test_scheduled_month_tables_flag_a_partial_crawl_and_state_their_coverage(tmp_path):
    settings = Settings(home=tmp_path)
    store = open_store(settings.resolved_database_url)
    ads = {"0180": 30, "1480": 20, "1280": 12}
    _crawl(store, "alpha", datetime(2026, 8, 12, 1, tzinfo=timezone.utc), "complete", ads)
    _crawl(store, "alpha", datetime(2026, 9, 9, 1, tzinfo=timezone.utc), "partial", ads)
    written = jobs.aggregate_published(settings, store)
    assert {p.name for p in written} == {"riket-manad.csv", "polisregion-manad.csv", "lan-manad.csv",
                                         "kommun-manad.csv"}
    with open(settings.export_dir / "kommun-manad.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    flags = {row["period"]: row["kvalitet"] for row in rows}
    assert "delvis täckning" in flags["2026-09"]
    assert "delvis täckning" not in flags["2026-08"]
    assert all(row["tackning"] for row in rows)  # the runs behind every period, as in the CLI export
