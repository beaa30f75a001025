"""The store pipeline: batches by size and by time, and never lets anything but an ObservedAd through."""
from datetime import datetime, timezone

import pytest

from crawler.pipeline import StorePipeline
from parsers.records import ObservedAd
from store import open_store
from store.observations import iter_observation_rows
from store.runs import start_run


def ad(token: str) -> ObservedAd:
    return ObservedAd("nattsida", token, None, None, "0180", None, "Kvinna", datetime.now(timezone.utc), None)


@pytest.fixture
def store_and_run(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    return store, start_run(store, "nattsida", "Nattsidan", "v1", "1")


def stored(store) -> int:
    return len(list(iter_observation_rows(store, statuses=("running",))))


def test_flushes_on_batch_size_and_on_close(store_and_run):
    store, run_id = store_and_run
    pipeline = StorePipeline(store, run_id, batch_size=3, flush_interval_s=3600)
    for i in range(4):
        pipeline.process_item(ad(f"t{i}"))
    assert stored(store) == 3
    pipeline.close_spider()
    assert stored(store) == 4


def test_flushes_after_the_interval(store_and_run):
    store, run_id = store_and_run
    pipeline = StorePipeline(store, run_id, batch_size=1000, flush_interval_s=0.0)
    pipeline.process_item(ad("t1"))
    assert stored(store) == 1


def test_rejects_anything_but_observations(store_and_run):
    store, run_id = store_and_run
    with pytest.raises(TypeError):
        StorePipeline(store, run_id).process_item({"phone": "070-174 06 05"})
