"""The trend-table figure: a synthetic year of daily crawls in SQLite, then every trend table from one read.

The store is built in bulk (not crawled): three sites crawled every day, about `ads_per_day` listings
a day in all, each listing living a few weeks (geometric, mean 15 days) before it is replaced;
profiles hold two ads, phones two profiles, one ad in ten has no phone, 3 % no place, and 2 % of ads
move to another kommun during their life. Tokens are random 64-character hex strings, as the
anonymiser's are.
"""
from __future__ import annotations

import hashlib
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from analysis.counts import LEVELS
from analysis.engine import ALL_MEASURES, Prepared
from analysis.periods import PERIODS
from analysis.trends import PERIODS_PER_YEAR, SEASON, anomalies, change_points, mann_kendall, theil_sen
from config.geo import load_geography
from parsers.records import CATEGORIES
from store import open_store
from store.runs import ensure_site, finish_run, start_run
from store.columnar import observation_columns

SITES = ("alfa", "beta", "gamma")
_COLUMNS = ("run_id, site_id, ad_token, profile_token, phone_token, kommun_code, unresolved_reason, category, "
            "observed_at, posted_at")


def _token(kind: str, i: int) -> str:
    return hashlib.blake2b(f"{kind}:{i}".encode(), digest_size=32).hexdigest()


def build_year(path: Path, days: int = 365, ads_per_day: int = 10_000, seed: int = 7):
    """A SQLite store holding `days` daily crawls of ~`ads_per_day` listings; returns (store, sightings)."""
    store = open_store(f"sqlite:///{path}")
    geography = load_geography()
    codes = sorted(geography.kommuner)
    weights = np.array([geography.population[c] for c in codes], dtype=float)
    weights /= weights.sum()
    rng = np.random.default_rng(seed)
    site_ids = {site: ensure_site(store, site, site.title()) for site in SITES}
    alive = np.arange(ads_per_day)
    born = ads_per_day
    place: dict[int, tuple] = {}
    start = datetime(2025, 1, 1, 3, tzinfo=timezone.utc)
    raw = store.engine.raw_connection()
    raw.cursor().execute("PRAGMA synchronous=OFF")
    sightings = 0
    for day in range(days):
        when = start + timedelta(days=day)
        stamp = when.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
        dead = rng.random(alive.size) < 1 / 15
        alive = np.concatenate([alive[~dead], np.arange(born, born + int(dead.sum()))])
        born += int(dead.sum())
        runs = {site: start_run(store, site, site.title(), "v1", "p1", observed_at=when) for site in SITES}
        rows = []
        for ad in alive.tolist():
            facts = place.get(ad)
            if facts is None:
                kommun = codes[int(rng.choice(len(codes), p=weights))] if rng.random() > 0.03 else None
                facts = place[ad] = (SITES[ad % 3], _token("ad", ad), _token("profile", ad // 2),
                                     None if ad % 10 == 0 else _token("phone", ad // 4), kommun,
                                     CATEGORIES[min(int(rng.random() * 4.4), 3)], rng.random() < 0.02)
            site, ad_token, profile, phone, kommun, category, moves = facts
            if moves and day % 14 >= 7 and kommun is not None:
                kommun = codes[(codes.index(kommun) + 1) % len(codes)]
            rows.append((runs[site], site_ids[site], ad_token, profile, phone, kommun,
                         None if kommun else "none", category, stamp, None))
        raw.cursor().executemany(f"INSERT INTO observation ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
        raw.commit()
        sightings += len(rows)
        for site, run_id in runs.items():
            items = sum(1 for row in rows if row[0] == run_id)
            finish_run(store, run_id, "complete", pages=items // 20 + 1, items=items, errors=0,
                                  parse_failures=0, listing_pages=items // 20 + 1, finish_reason="finished")
    raw.close()
    return store, sightings


def trend_figure(days: int = 365, ads_per_day: int = 10_000) -> list[str]:
    """Build the year, then time one read plus every trend table, and the trend statistics."""
    folder = Path(tempfile.mkdtemp(prefix="lagesbild-bench-trends-"))
    started = time.perf_counter()
    store, sightings = build_year(folder / "year.db", days, ads_per_day)
    built = time.perf_counter() - started
    geography = load_geography()

    wall, cpu = time.perf_counter(), time.process_time()
    columns = observation_columns(store)
    read_wall, read_cpu = time.perf_counter() - wall, time.process_time() - cpu
    prepared = Prepared(columns, geography)
    tables = prepared.tables([(level, period) for level in LEVELS for period in PERIODS], ALL_MEASURES)
    total_wall, total_cpu = time.perf_counter() - wall, time.process_time() - cpu

    started = time.perf_counter()
    series = 0
    for level in ("polisregion", "lan"):
        for period in ("week", "month"):
            table = tables[(level, period)]
            labels = prepared.labels[period]
            for code in {row.region_code for row in table.rows}:
                values = [row.values["active_ads"] for row in table.rows if row.region_code == code]
                theil_sen(values, PERIODS_PER_YEAR[period])
                mann_kendall(values, SEASON.get(period))
                points = change_points(labels, values)
                anomalies(labels, values, segments=[p.index for p in points])
                series += 1
    statistics = time.perf_counter() - started
    size = sum(p.stat().st_size for p in folder.iterdir()) / 2 ** 20
    store.close()
    return [
        f"trend tables: {sightings:,} sightings ({days} daily crawls of {len(SITES)} sites, {size:,.0f} MiB SQLite, "
        f"built in bulk in {built:.0f} s): read once in {read_wall:.2f} s (cpu {read_cpu:.2f} s), then all "
        f"{len(tables)} level×period tables × {len(ALL_MEASURES)} measures with cell keys: {total_wall:.2f} s in all "
        f"(cpu {total_cpu:.2f} s; target < 10 s)",
        f"trend statistics: Theil–Sen, Mann–Kendall, change points and anomalies of {series} series "
        f"(police regions and län × week and month) in {statistics:.2f} s",
    ]
