"""A run is complete only when it really finished cleanly; anything less is partial or failed."""
from crawler.runner import decide_status

GOOD = {"response_received_count": 20, "lagesbild/listing_pages": 4, "item_scraped_count": 15}


def test_clean_finish_is_complete():
    assert decide_status(GOOD, "finished") == ("complete", None)


def test_errors_or_early_stop_make_it_partial():
    status, note = decide_status({**GOOD, "lagesbild/request_errors": 2}, "finished")
    assert status == "partial" and "2 request errors" in note
    assert decide_status(GOOD, "shutdown")[0] == "partial"
    assert decide_status({**GOOD, "lagesbild/parse_failures": 1}, "finished")[0] == "partial"
    assert decide_status({**GOOD, "lagesbild/max_pages_reached": 1}, "finished")[0] == "partial"
    assert decide_status({**GOOD, "lagesbild/store_errors": 3}, "finished")[0] == "partial"


def test_nothing_fetched_or_no_ads_is_failed():
    assert decide_status({}, "finished")[0] == "failed"
    assert decide_status({"response_received_count": 3, "lagesbild/listing_pages": 1}, "finished")[0] == "failed"
