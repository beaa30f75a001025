"""`lagesbild trends --measure demand_ads|reviews|unique_reviewers` (issue 9): the demand series from the protected
demand family only, with the supply side's changes, statistics and crawl-quality flags."""
from __future__ import annotations

import hashlib
import random
from datetime import datetime, timedelta, timezone

import pytest

from analysis.demand import load_published_demand_family
from analysis.trend_table import load_trend_table
from analysis.trends import rate_ratio
from config.geo import load_geography
from config.settings import Settings
from parsers.demand import ObservedRequest, ObservedReview
from parsers.records import ObservedAd
from store import open_store
from store.observations import add_observations
from store.runs import finish_run, start_run
from store import demand as demand_store
from support import run_cli

GEO = load_geography()
UTC = timezone.utc
START = datetime(2026, 2, 4, 3, tzinfo=UTC)  # Wednesdays, 22 weeks: February to early July
WEEKS = 22
FAILED_WEEK = 9  # nattsida fails in April
KOMMUNER = ["0180", "1480", "1280", "1281", "2480", "0380"]


def h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """Weekly crawls of nattsida (buyers' ads, reviews dated up to five weeks back) and of an offers-only site;
    buyers' ads grow week by week; Kiruna (2584) has a steady six reviewers, under the signal threshold."""
    folder = tmp_path_factory.mktemp("demand-trends")
    store = open_store(f"sqlite:///{folder / 'lagesbild.db'}")
    rng = random.Random(5)
    review = 0
    for week in range(WEEKS):
        when = START + timedelta(weeks=week)
        for site in ("nattsida", "alfa"):
            run = start_run(store, site, site.title(), "v1", "p1", observed_at=when)
            if site == "nattsida" and week == FAILED_WEEK:
                finish_run(store, run, "failed", pages=0, items=0, errors=3, parse_failures=0,
                                      listing_pages=0, finish_reason="finished")
                continue
            if site == "alfa":
                ads = [ObservedAd(site, h(f"o{week // 3}-{i}"), h(f"p{i}"), None, KOMMUNER[i % 6], None, "Kvinna",
                                  when, None) for i in range(120)]
                add_observations(store, run, ads)
            else:
                requests = [ObservedRequest(site, h(f"q{week}-{i}"), KOMMUNER[i % 6], None, when, None)
                            for i in range(40 + 4 * week)]
                demand_store.add_request_observations(store, run, requests)
                events = []
                for _ in range(30):
                    written = when - timedelta(hours=rng.randint(1, 35 * 24))
                    events.append(ObservedReview(site, h(f"r{review}"), h(f"h{rng.randrange(40)}"), None,
                                                 KOMMUNER[review % 6], None, written, when))
                    review += 1
                for i in range(2):  # Kiruna: six reviewers in every period
                    events.append(ObservedReview(site, h(f"k{week}-{i}"), h(f"kiruna{(2 * week + i) % 6}"), None,
                                                 "2584", None, when - timedelta(hours=2), when))
                demand_store.add_review_events(store, run, events)
            finish_run(store, run, "complete", pages=20, items=100, errors=0, parse_failures=0,
                                  listing_pages=2, finish_reason="finished")
    store.close()
    return folder


@pytest.fixture(scope="module")
def store(home):
    opened = open_store(f"sqlite:///{home / 'lagesbild.db'}")
    yield opened
    opened.close()


SETTINGS = Settings()


def test_demand_ads_series_is_the_published_one_with_changes_from_published_values(store):
    table = load_trend_table(store, GEO, "riket", "SE", "week", "demand_ads", settings=SETTINGS)
    published = {row.period: row.cells["demand_ads"] for row in
                 load_published_demand_family(store, GEO, "week", settings=SETTINGS)[("riket", "week")].rows}
    assert [row.period for row in table.rows] == sorted(published) and len(table.rows) >= WEEKS
    assert all(row.cell == published[row.period] for row in table.rows)
    rows = {row.period: row for row in table.rows}
    # A week after the failed one: its change is the exact interval of the two published counts.
    labels = [row.period for row in table.rows if not row.before_crawls]  # weeks before 4 February show no ads
    assert all(row.cell.value == 0 for row in table.rows if row.before_crawls)
    second, third = labels[1], labels[2]
    expected = rate_ratio(rows[third].cell.value, rows[second].cell.value)
    assert rows[third].previous == expected and rows[third].has_previous
    assert rows[third].per_100k == pytest.approx(rows[third].cell.value * 100_000 / GEO.population_of("riket", None))
    # The failed crawl marks its week (and nattsida's missing buyers' ads are not a market change).
    failed = next(row for row in table.rows if any(b.kind == "outage" for b in row.breaks))
    assert failed.cell.value == 0 and [b.site for b in failed.breaks] == ["nattsida"]
    assert all(e.label == "data_artefact" for e in table.events if e.period == failed.period)
    # Buyers' ads grow four a week: Theil–Sen and Mann–Kendall see it.
    assert table.slope is not None and table.slope.slope > 0
    assert table.trend_test is not None and table.trend_test.trend == "increasing"
    assert table.rows[0].completeness == ()  # completeness is a supply estimate


def test_reviews_before_the_first_crawl_are_flagged_and_left_out(store):
    table = load_trend_table(store, GEO, "riket", "SE", "month", "reviews", settings=SETTINGS)
    rows = {row.period: row for row in table.rows}
    assert "2026-01" in rows  # reviews dated before the first crawl (4 February)
    assert rows["2026-01"].before_crawls and rows["2026-02"].before_crawls  # February began before it
    assert not rows["2026-03"].before_crawls and rows["2026-03"].comparable
    assert not rows["2026-03"].has_previous and rows["2026-04"].has_previous
    published = load_published_demand_family(store, GEO, "month", settings=SETTINGS)[("riket", "month")]
    assert all(row.cell == published.cell(row.period, "SE", "reviews") for row in table.rows)
    assert table.slope is None or table.slope.points <= len([r for r in table.rows if r.comparable])


def test_buyers_ads_before_the_first_crawl_are_flagged_but_not_the_first_crawled_period(store):
    table = load_trend_table(store, GEO, "riket", "SE", "month", "demand_ads", settings=SETTINGS)
    rows = {row.period: row for row in table.rows}
    assert rows["2026-01"].cell.value == 0 and rows["2026-01"].before_crawls and not rows["2026-01"].comparable
    assert not rows["2026-02"].before_crawls and rows["2026-02"].comparable  # crawled from 4 February on


def test_unique_reviewers_have_the_signal_threshold_and_no_statistic_from_hidden_cells(store):
    kiruna = load_trend_table(store, GEO, "kommun", "2584", "month", "unique_reviewers", settings=SETTINGS)
    reviews = load_trend_table(store, GEO, "kommun", "2584", "month", "reviews", settings=SETTINGS)
    crawled = [row for row in kiruna.rows if "2026-02" <= row.period <= "2026-06"]
    assert len(crawled) == 5 and all(row.cell.value is None for row in crawled)  # 6 reviewers < 10
    assert all(row.previous is None and row.standing is None and row.per_100k is None for row in crawled)
    assert kiruna.slope is None and kiruna.trend_test is None
    assert any(row.cell.value is not None and row.cell.value >= 8 for row in reviews.rows)  # 8–10 reviews a month
    assert "signalmått 1–9" in kiruna.rule


def test_unknown_measure_is_an_error(store):
    with pytest.raises(ValueError, match="unknown measure"):
        load_trend_table(store, GEO, "riket", "SE", "month", "buyers")


def test_trends_command_prints_the_demand_series(home):
    result = run_cli("trends", "--level", "riket", "--period", "month", "--measure", "reviews", home=home)
    assert result.returncode == 0, result.stderr
    assert "Riket: recensioner per månad" in result.stdout
    assert "före första insamlingen" in result.stdout and "nattsida: avbrott" in result.stdout
    assert "Theil–Sen-lutning" in result.stdout and "Traceback" not in result.stderr
    bad = run_cli("trends", "--level", "riket", "--measure", "buyers", home=home)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
