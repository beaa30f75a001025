"""The same crawl into PostgreSQL: the store works there end to end, and counts still equal the truth."""
from __future__ import annotations

import os

import pytest

from analysis.queries import load_counts
from config.geo import load_geography
from store import open_store
from store.runs import list_runs
from evaluation.piiscan import needles_from_truth, scan
from support import POSTGRES_ADMIN_URL, init_keys, postgres_database, run_cli
from test_end_to_end import expected_counts

pytestmark = pytest.mark.postgres


@pytest.fixture
def postgres_url():
    if os.environ.get("LAGESBILD_SKIP_POSTGRES") == "1":
        pytest.skip("PostgreSQL tests skipped because LAGESBILD_SKIP_POSTGRES=1")
    yield from postgres_database(POSTGRES_ADMIN_URL)


def test_http_site_crawled_into_postgres_matches_truth(sandbox, truth, tmp_path, postgres_url):
    init_keys(tmp_path, database_url=postgres_url)
    result = run_cli("crawl", "--site", "nattsida", home=tmp_path, sandbox_url=sandbox.url, database_url=postgres_url)
    assert result.returncode == 0, result.stdout + result.stderr
    store = open_store(postgres_url)
    [run] = list_runs(store)
    assert run.status == "complete"
    nattsida_truth = {"listings": [item for item in truth["listings"] if item["site"] == "nattsida"]}
    for level in ("riket", "polisregion"):
        table = load_counts(store, load_geography(), level, "month")
        actual = {r.region_code: (r.values["active_ads"], r.values["unique_profiles"], r.values["unique_phones"])
                  for r in table.rows}
        expected = expected_counts(nattsida_truth, level)
        assert {k: v for k, v in actual.items() if v != (0, 0, 0)} == expected
    assert not (tmp_path / "lagesbild.db").exists()
    assert scan(tmp_path, store.engine, needles_from_truth(truth)) == []
