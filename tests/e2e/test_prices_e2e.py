"""Price per hour end to end: a crawl of the sandbox stores exactly the hour prices the pages state,
only as whole SEK, and `lagesbild trends` shows their protected median and quartiles."""
from __future__ import annotations

import statistics

from analysis.disclosure import protect_quantiles
from analysis.prices import price_threshold
from crawler.anonymiser import Tokeniser
from crawler.keys import read_key_file
from store import open_store
from support import run_cli


def _tokeniser(home) -> Tokeniser:
    [key_file] = (home / "keys").glob("period-*.key")
    return Tokeniser(read_key_file(key_file))


def _stored_prices(home) -> dict[str, int | None]:
    with open_store(f"sqlite:///{home / 'lagesbild.db'}") as store, store.engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT ad_token, price_per_hour FROM observation").all()
    return dict(rows)


def test_every_stored_price_is_the_hour_price_its_page_states(crawled_home, truth):
    tokens = _tokeniser(crawled_home)
    by_token = {tokens.site_id("site_ad_id", item["site"], item["site_ad_id"]): item for item in truth["listings"]}
    stored = _stored_prices(crawled_home)
    assert set(stored) == set(by_token)
    for token, price in stored.items():
        item = by_token[token]
        assert price == item["price_per_hour"], (item["site"], item["price_text"])
        assert price is None or isinstance(price, int)
    priced_sites = {item["site"] for item in truth["listings"] if item["price_per_hour"] is not None}
    assert priced_sites == {"nattsida", "kvallsida"}
    texts = [item["price_text"] for item in truth["listings"]]
    assert None in texts and any(t and t.startswith("30 min") for t in texts)  # unpriced and half-hour-only ads
    half_hour_only = [i for i in truth["listings"] if i["price_text"] and i["price_per_hour"] is None]
    assert half_hour_only and all(stored[tokens.site_id("site_ad_id", i["site"], i["site_ad_id"])] is None
                                  for i in half_hour_only)


def test_no_price_text_is_written_anywhere(crawled_home, truth):
    texts = {item["price_text"] for item in truth["listings"] if item["price_text"]}
    wordy = {t for t in texts if any(w in t for w in ("kr/tim", "SEK per timme", ":-/h", "30 min"))}
    assert wordy
    for path in crawled_home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for text in wordy:
                assert text.encode("utf-8") not in data, (path.name, text)


def test_trends_shows_the_protected_median_and_quartiles_of_the_truth(crawled_home, truth):
    prices = [item["price_per_hour"] for item in truth["listings"] if item["price_per_hour"] is not None]
    assert len(prices) >= price_threshold()
    q1, median, q3 = protect_quantiles(prices, price_threshold())
    assert abs(median.value - statistics.median(prices)) <= 25  # rounded to the nearest 50
    result = run_cli("trends", "--level", "riket", "--period", "week", home=crawled_home)
    assert result.returncode == 0, result.stderr
    assert "Pris per timme" in result.stdout
    assert f"{median.display} [{q1.display}–{q3.display}]" in result.stdout
