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


def test_request_parse_and_storage_errors_are_named_apart():
    """Database failures are not request errors (a run once read "364 request errors" on 235 pages)."""
    from crawler.runner import ErrorCounts, count_errors

    stats = {**GOOD, "lagesbild/request_errors": 2, "lagesbild/errors/http_503": 2,
             "lagesbild/parse_failures": 1, "spider_exceptions/count": 1, "lagesbild/store_errors": 364}
    status, note = decide_status(stats, "finished")
    assert status == "partial"
    assert note == ("2 request errors (2 HTTP 503); 2 pages could not be parsed; "
                    "364 observations could not be stored (database errors)")
    assert count_errors(stats) == 2
    assert ErrorCounts.of(stats) == ErrorCounts(request=2, parse=2, storage=364)
    only_storage = decide_status({**GOOD, "lagesbild/store_errors": 5}, "finished")[1]
    assert "request errors" not in only_storage and "5 observations could not be stored" in only_storage


def test_a_shutdown_and_dropped_links_are_said_in_the_note():
    status, note = decide_status(GOOD, "shutdown")
    assert (status, note) == ("partial", "stopped early (shutdown: SIGTERM or Ctrl-C)")
    status, note = decide_status({**GOOD, "lagesbild/links_dropped": 198_000}, "finished")
    assert status == "partial" and note == "198000 links over listing.max_links_per_page not followed"
