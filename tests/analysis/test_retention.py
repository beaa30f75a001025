"""Retention: a purge freezes the counts of old periods, deletes old observations, and changes no table."""
from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from analysis import retention
from analysis.counts import LEVELS, UNRESOLVED
from analysis.periods import PERIODS, local_date, period_bounds, period_label
from analysis.queries import load_counts
from config import clock
from config.errors import ConfigError
from config.geo import load_geography
from config.settings import Settings, load_settings
from parsers.records import ObservedAd
from store import Store, open_store
from store.aggregates import frozen_periods, late_observations, list_count_aggregates
from store.observations import ObservationRow, add_observations, iter_observation_rows
from store.runs import finish_run, list_runs, start_run
from support import run_cli

GEO = load_geography()
UTC = timezone.utc
NOW = datetime(2026, 3, 11, 10, 0, tzinfo=UTC)
RETENTION = 395
CUTOFF = datetime(2025, 2, 8, 23, 0, tzinfo=UTC)  # 2025-02-09 00:00 in Stockholm
KOMMUNER = ["0180", "1480", "1280", "0380", "2480", "1880", "0580", "2281"]
ALL_STATUSES = ("complete", "partial", "failed", "running")


# --- the cutoff ----------------------------------------------------------------------


@pytest.mark.parametrize("now, days, cutoff", [
    (NOW, RETENTION, CUTOFF),
    (datetime(2026, 8, 20, 10, tzinfo=UTC), 395, datetime(2025, 7, 20, 22, tzinfo=UTC)),  # summer time
    (datetime(2026, 11, 22, 12, tzinfo=UTC), 30, datetime(2025, 12, 31, 23, tzinfo=UTC)),  # the year has not ended
    # 2 Jan 2027 lies in ISO week 2026-W53, which began on Monday 28 Dec 2026.
    (datetime(2027, 1, 2, 12, tzinfo=UTC), 1, datetime(2026, 12, 27, 23, tzinfo=UTC)),
])
def test_cutoff_is_the_earliest_of_retention_and_current_periods(now, days, cutoff):
    assert retention.purge_cutoff(now, days) == cutoff


def test_every_period_holding_a_purged_moment_has_ended():
    for days in (1, 7, 30, 395):
        now = datetime(2025, 1, 1, 5, tzinfo=UTC)
        while now < datetime(2027, 1, 10, tzinfo=UTC):
            last_purged = retention.purge_cutoff(now, days) - timedelta(microseconds=1)
            for period in PERIODS:
                _, end = period_bounds(local_date(last_purged), period)
                assert end <= now, (now, days, period)
            now += timedelta(days=1, hours=7)


def test_retention_days_must_be_at_least_one():
    with pytest.raises(ValueError):
        retention.purge_cutoff(NOW, 0)


def test_period_bounds_follow_swedish_local_time():
    start, end = period_bounds(date(2025, 1, 1), "week")  # 2025-W01 began in 2024
    assert (start, end) == (datetime(2024, 12, 29, 23, tzinfo=UTC), datetime(2025, 1, 5, 23, tzinfo=UTC))
    assert period_bounds(date(2025, 7, 4), "quarter") == (
        datetime(2025, 6, 30, 22, tzinfo=UTC), datetime(2025, 9, 30, 22, tzinfo=UTC))
    assert period_bounds(date(2024, 12, 31), "year")[1] == datetime(2024, 12, 31, 23, tzinfo=UTC)


def test_retention_days_setting(monkeypatch):
    assert Settings().retention_days == 395
    monkeypatch.setenv("LAGESBILD_RETENTION_DAYS", "30")
    assert load_settings().retention_days == 30
    monkeypatch.setenv("LAGESBILD_RETENTION_DAYS", "0")
    with pytest.raises(ConfigError, match="LAGESBILD_RETENTION_DAYS"):
        load_settings()


# --- a store with fifteen months of observations -----------------------------------------




def add_run(store: Store, observed_at: datetime, ads: list[tuple], status: str | None = "complete") -> int:
    """One run of site alpha; `ads` are (ad, profile, phone, kommun) and status None leaves it running."""
    run_id = start_run(store, "alpha", "Alpha", "cfg1", "p1", observed_at=observed_at)
    add_observations(store, run_id, [
        ObservedAd(site="alpha", ad_token=ad, profile_token=profile, phone_token=phone, kommun_code=kommun,
                   unresolved_reason=None if kommun else "none", category="Kvinna",
                   observed_at=observed_at, posted_at=None)
        for ad, profile, phone, kommun in ads
    ])
    if status is not None:
        finish_run(store, run_id, status, pages=1, items=len(ads), errors=0, parse_failures=0,
                              listing_pages=1, finish_reason="finished")
    return run_id


def run_times() -> list[datetime]:
    """Every five days from December 2024 to March 2026, plus moments at period and cutoff edges."""
    moments = [datetime(2024, 12, 1, 9, tzinfo=UTC) + timedelta(days=5 * n) for n in range(93)]
    moments += [
        datetime(2024, 12, 31, 23, 30, tzinfo=UTC),  # already 1 Jan 2025 in Stockholm, in week 2025-W01
        datetime(2025, 2, 8, 22, 59, tzinfo=UTC),    # the last purged minute
        CUTOFF,                                      # the first kept minute, inside frozen week 2025-W06
    ]
    return sorted(moments)


def build_market(store: Store) -> dict[str, int]:
    """Ads reappear over months (so profiles and phones straddle the cutoff); returns observation counts."""
    rng = random.Random(7)
    pool = [(f"ad{n:03d}", f"pr{n % 37:02d}" if n % 5 else None, f"ph{n % 23:02d}" if n % 4 else None,
             KOMMUNER[n % len(KOMMUNER)]) for n in range(120)]
    counts = {"purged": 0, "kept": 0, "running": 0}
    for moment in run_times():
        ads = rng.sample(pool, 25)
        if local_date(moment).strftime("%Y-%m") in ("2025-01", "2025-09"):  # unresolved places only then
            ads = [(ad, profile, phone, None if n % 6 == 0 else kommun)
                   for n, (ad, profile, phone, kommun) in enumerate(ads)]
        status = rng.choice(["complete", "complete", "complete", "partial"])
        add_run(store, moment, ads, status)
        counts["purged" if moment < CUTOFF else "kept"] += len(ads)
    # A failed run is not counted but is purged; a run still running is neither counted nor purged.
    add_run(store, datetime(2025, 1, 14, 9, tzinfo=UTC), [("fail1", "prX", "phX", "0180")], status="failed")
    add_run(store, datetime(2025, 1, 15, 9, tzinfo=UTC), [("run1", "prY", "phY", "0180")], status=None)
    counts["purged"] += 1
    counts["running"] += 1
    return counts


WINDOWS = {  # windows made of whole periods of each kind
    "week": [(None, None), (date(2025, 1, 27), date(2025, 2, 16)), (date(2024, 12, 30), date(2025, 1, 5)),
             (date(2025, 2, 10), date(2025, 3, 2))],
    "month": [(None, None), (date(2025, 1, 1), date(2025, 8, 31)), (date(2025, 2, 1), date(2025, 9, 30)),
              (date(2025, 6, 1), date(2025, 8, 31)), (date(2025, 1, 1), date(2025, 1, 31)), (None, date(2025, 2, 28))],
    "quarter": [(None, None), (date(2025, 1, 1), date(2025, 6, 30)), (date(2025, 4, 1), None)],
    "year": [(None, None), (date(2025, 1, 1), date(2025, 12, 31)), (date(2026, 1, 1), None)],
}


def every_table(store: Store) -> dict:
    return {
        (level, period, since, until): load_counts(store, GEO, level, period, since, until)
        for level in LEVELS
        for period in PERIODS
        for since, until in WINDOWS[period]
    }


def all_rows(store: Store) -> list[ObservationRow]:
    return list(iter_observation_rows(store, statuses=ALL_STATUSES))


def expected_frozen() -> dict[str, tuple[str, ...]]:
    days = sorted({local_date(m) for m in run_times() if m < CUTOFF})
    return {period: tuple(dict.fromkeys(period_label(day, period) for day in days)) for period in PERIODS}


def test_purge_changes_no_table(store: Store, store_url: str) -> None:
    counts = build_market(store)
    before = every_table(store)
    # The fixture exercises what it should: unresolved rows, and a kommun table mixing frozen and live periods.
    assert before[("kommun", "month", None, None)].value("2025-01", UNRESOLVED, "active_ads") > 0
    assert before[("kommun", "month", date(2025, 6, 1), date(2025, 8, 31))].rows[-1].region_code != UNRESOLVED

    result = retention.purge(store, GEO, RETENTION, now=NOW)

    assert result.cutoff == CUTOFF
    assert result.observations == counts["purged"]
    assert result.frozen == expected_frozen()
    assert result.frozen["year"] == ("2024", "2025") and result.frozen["month"] == ("2024-12", "2025-01", "2025-02")
    assert result.frozen["week"][:2] == ("2024-W48", "2024-W49") and result.frozen["week"][-1] == "2025-W06"
    assert "2025-W01" in result.frozen["week"]  # the week that straddles the year end
    assert result.late == ()
    left = all_rows(store)
    assert len(left) == counts["kept"] + counts["running"]
    assert all(row.observed_at >= CUTOFF.replace(tzinfo=None) or row.ad_token == "run1" for row in left)
    assert every_table(store) == before  # values and cell keys, every level, kind and window

    # A second purge has nothing to do and changes nothing.
    cells = len(list_count_aggregates(store, "kommun", "week"))
    again = retention.purge(store, GEO, RETENTION, now=NOW)
    assert again.nothing_to_do and again.frozen == {period: () for period in PERIODS}
    assert len(list_count_aggregates(store, "kommun", "week")) == cells
    assert len(all_rows(store)) == len(left)

    # The frozen counts survive reopening the database.
    with open_store(store_url) as reopened:
        assert every_table(reopened) == before


def test_dry_run_changes_nothing(store: Store) -> None:
    counts = build_market(store)
    rows = all_rows(store)
    dry = retention.purge(store, GEO, RETENTION, now=NOW, dry_run=True)
    assert dry.dry_run and dry.observations == counts["purged"] and dry.frozen == expected_frozen()
    assert dry.aggregate_cells == 0
    assert all_rows(store) == rows
    assert all(frozen_periods(store, period) == set() for period in PERIODS)


def test_a_frozen_period_is_served_whole_when_a_window_cuts_it(store: Store) -> None:
    build_market(store)
    whole = load_counts(store, GEO, "riket", "month").rows
    cut_frozen = load_counts(store, GEO, "riket", "month", date(2025, 2, 10), date(2025, 2, 20)).rows
    cut_live = load_counts(store, GEO, "riket", "month", date(2025, 6, 10), date(2025, 6, 20)).rows
    assert cut_frozen[0].values != whole[2].values  # before the purge: part of February
    retention.purge(store, GEO, RETENTION, now=NOW)
    # February 2025 is frozen now: the window selects it, and it comes whole.
    assert load_counts(store, GEO, "riket", "month", date(2025, 2, 10), date(2025, 2, 20)).rows == (whole[2],)
    # A live month is still cut at the window's edges.
    assert load_counts(store, GEO, "riket", "month", date(2025, 6, 10), date(2025, 6, 20)).rows == cut_live


def test_back_fill_into_a_frozen_period_is_not_mixed_in(store: Store) -> None:
    build_market(store)
    retention.purge(store, GEO, RETENTION, now=NOW)
    frozen_tables = {period: load_counts(store, GEO, "kommun", period) for period in PERIODS}

    # A back-fill into January 2025 (frozen in every kind) and one into December 2025 (only its year is frozen).
    add_run(store, datetime(2025, 1, 20, 9, tzinfo=UTC), [("late1", "prL", "phL", "0180"), ("late2", None, None, None)])
    add_run(store, datetime(2025, 12, 10, 9, tzinfo=UTC), [("late3", "prM", "phM", "1480")])
    late = {(entry.period_kind, entry.period): entry.count for entry in late_observations(store)}
    assert late == {("week", "2025-W04"): 2, ("month", "2025-01"): 2, ("quarter", "2025-Q1"): 2,
                    ("year", "2025"): 3}
    after = {period: load_counts(store, GEO, "kommun", period) for period in PERIODS}
    assert after["year"] == frozen_tables["year"]

    def rows(period: str, label: str) -> dict:
        return {
            name: [(row.region_code, row.values, row.cell_keys) for row in table.rows if row.period == label]
            for name, table in (("frozen", frozen_tables[period]), ("after", after[period]))
        }

    for period, label in (("week", "2025-W04"), ("month", "2025-01"), ("quarter", "2025-Q1")):
        frozen_rows = rows(period, label)
        assert frozen_rows["after"] == frozen_rows["frozen"]  # the frozen counts win
    assert after["month"].value("2025-12", "1480", "active_ads") == frozen_tables["month"].value("2025-12", "1480", "active_ads") + 1
    assert after["quarter"].value("2025-Q4", "1480", "active_ads") == frozen_tables["quarter"].value("2025-Q4", "1480", "active_ads") + 1

    # The next purge deletes the late rows older than the cutoff and reports what is left.
    result = retention.purge(store, GEO, RETENTION, now=NOW)
    assert result.observations == 2 and result.frozen == {period: () for period in PERIODS}
    assert [(entry.period_kind, entry.period, entry.count) for entry in result.late] == [("year", "2025", 1)]
    assert {period: load_counts(store, GEO, "kommun", period) for period in PERIODS} == after


def test_a_run_running_during_the_purge_is_kept_and_later_late(store: Store) -> None:
    build_market(store)
    retention.purge(store, GEO, RETENTION, now=NOW)
    [running] = [run for run in list_runs(store, last=None) if run.status == "running"]
    assert [row.ad_token for row in iter_observation_rows(store, statuses=["running"])] == ["run1"]
    before = load_counts(store, GEO, "riket", "month")
    finish_run(store, running.id, "complete", pages=1, items=1, errors=0, parse_failures=0,
                          listing_pages=1, finish_reason="finished")
    assert load_counts(store, GEO, "riket", "month") == before  # January 2025 stays as frozen
    assert ("month", "2025-01") in {(e.period_kind, e.period) for e in late_observations(store)}


# --- the command ---------------------------------------------------------------------------


def test_purge_command(tmp_path: Path) -> None:
    home = tmp_path / "home"
    url = f"sqlite:///{home.resolve() / 'lagesbild.db'}"
    now = clock.now()  # the moment `lagesbild purge` takes as now (LAGESBILD_NOW in the tests)
    with open_store(url) as store:
        add_run(store, now - timedelta(days=500), [("old1", "p1", "t1", "0180"), ("old2", "p2", None, None)])
        add_run(store, now - timedelta(days=3), [("new1", "p1", "t1", "0180")])
        before = {(level, period): load_counts(store, GEO, level, period) for level in LEVELS for period in PERIODS}

    dry = run_cli("purge", "--dry-run", home=home)
    assert dry.returncode == 0, dry.stderr
    assert "Would delete 2 observations" in dry.stdout and "Would freeze" in dry.stdout

    done = run_cli("purge", home=home)
    assert done.returncode == 0, done.stderr
    assert "Deleted 2 observations" in done.stdout and "Froze the counts of: week" in done.stdout
    cutoff_day = local_date(retention.purge_cutoff(now, 395))
    assert f"before {cutoff_day}" in done.stdout

    with open_store(url) as store:
        assert [row.ad_token for row in all_rows(store)] == ["new1"]
        for key, table in before.items():
            after = load_counts(store, GEO, *key)
            # Cell keys are sums of floats; another process may add them in another order.
            assert [replace(row, cell_keys={}) for row in after.rows] == [replace(row, cell_keys={}) for row in table.rows]
            for old_row, new_row in zip(table.rows, after.rows):
                assert new_row.cell_keys == pytest.approx(old_row.cell_keys, abs=1e-12)

    # A back-fill into the frozen period is reported, kept out of its counts, and purged next time.
    with open_store(url) as store:
        add_run(store, now - timedelta(days=500), [("late1", "p9", "t9", "0180")])
    late = run_cli("purge", "--dry-run", home=home)
    assert "Would delete 1 observation." in late.stdout and "No new periods to freeze" in late.stdout
    assert "Note: observations arrived after their period was frozen" in late.stdout
    assert "Deleted 1 observation." in run_cli("purge", home=home).stdout

    nothing = run_cli("purge", home=home)
    assert nothing.returncode == 0 and nothing.stdout.strip().startswith("Nothing to purge")
    assert len(nothing.stdout.strip().splitlines()) == 1

    bad = run_cli("purge", home=home, retention_days="0")
    assert bad.returncode == 2 and "LAGESBILD_RETENTION_DAYS" in bad.stderr
