"""Swedish posting-date phrases resolved against the crawl time (Europe/Stockholm)."""
from datetime import datetime, timezone

import pytest

from parsers.dates import parse_swedish_date

# 2026-11-20 10:00 in Stockholm (UTC+1 in November).
CRAWL = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("idag 08:05", utc(2026, 11, 20, 7, 5)),
        ("Idag 8.05", utc(2026, 11, 20, 7, 5)),
        ("igår 22:10", utc(2026, 11, 19, 21, 10)),
        ("i går", utc(2026, 11, 19, 11, 0)),
        ("3 dagar sedan", utc(2026, 11, 17, 9, 0)),
        ("för 2 timmar sedan", utc(2026, 11, 20, 7, 0)),
        ("en vecka sedan", utc(2026, 11, 13, 9, 0)),
        ("12 nov", utc(2026, 11, 12, 11, 0)),
        ("12 nov 14:30", utc(2026, 11, 12, 13, 30)),
        ("28 dec", utc(2025, 12, 28, 11, 0)),  # no year: the latest such date not after the crawl
        ("3 juli 2026", utc(2026, 7, 3, 10, 0)),  # summer time, UTC+2
        ("2026-11-01", utc(2026, 11, 1, 11, 0)),
    ],
)
def test_phrases_resolve(text, expected):
    assert parse_swedish_date(text, CRAWL) == expected


@pytest.mark.parametrize("text", [None, "", "snart", "31 feb", "12 brumaire", "2027-01-01", "idag 23:30"])
def test_unreadable_or_future_dates_give_none(text):
    assert parse_swedish_date(text, CRAWL) is None


def test_today_without_a_readable_clock_is_not_in_the_future():
    # Before noon, "idag" with no usable time resolves to the crawl time itself.
    assert parse_swedish_date("idag 25:99", CRAWL) == CRAWL
    assert parse_swedish_date("idag", CRAWL) == CRAWL
