"""`python -m bench`: measure the pipeline against the sandbox and print one line per figure."""
from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from analysis.counts import LEVELS
from analysis.periods import PERIODS
from analysis.queries import load_counts, prepare_counts
from bench.trends import trend_figure
from config.geo import load_geography
from config.settings import BUNDLED_SITES_DIR
from config.sites import load_site
from sandbox.server import SandboxServer
from parsers.pages import parse_detail, parse_listing
from parsers.records import ObservedAd
from store import open_store
from store.observations import add_observations
from store.runs import finish_run, list_runs, start_run

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int(Path(entry, "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def _is_browser(pid: int) -> bool:
    try:
        return b"chrom" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


class PeakRss:
    """Samples the crawl process's and its browser processes' resident memory until stopped."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.crawl_peak_kib = 0
        self.browser_peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.crawl_peak_kib = max(self.crawl_peak_kib, _rss_kib(self.pid))
            browser = sum(_rss_kib(p) for p in _descendants(self.pid) if _is_browser(p))
            self.browser_peak_kib = max(self.browser_peak_kib, browser)
            time.sleep(0.1)

    def __enter__(self) -> "PeakRss":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def crawl_site(site: str, sandbox_url: str) -> tuple[float, int, PeakRss]:
    home = Path(tempfile.mkdtemp(prefix="lagesbild-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAGESBILD_")}
    env.update(LAGESBILD_HOME=str(home), LAGESBILD_SANDBOX_URL=sandbox_url)
    subprocess.run([sys.executable, "-m", "lagesbild.cli", "keys", "init"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "lagesbild.cli", "crawl", "--site", site], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    with PeakRss(child.pid) as rss:
        _, stderr = child.communicate(timeout=600)
    elapsed = time.perf_counter() - started
    if child.returncode != 0:
        raise SystemExit(f"bench: crawl of {site} failed: {stderr.decode(errors='replace').strip()}")
    [run] = list_runs(open_store(f"sqlite:///{home / 'lagesbild.db'}"))
    return elapsed, run.pages, rss


def parser_rate(rounds: int) -> tuple[float, int]:
    cases = sorted(FIXTURES.glob("*/DetailPage/*/input.html"))
    pages = [(load_site(BUNDLED_SITES_DIR / f"{p.parts[-4]}.yaml"), p.read_text(encoding="utf-8")) for p in cases]
    crawl_time = datetime.now(timezone.utc)
    started = time.perf_counter()
    for _ in range(rounds):
        for site, html in pages:
            parse_detail(html, "http://127.0.0.1/x", site, crawl_time)
    return rounds * len(pages) / (time.perf_counter() - started), len(pages)


def place_rates(calls: int) -> tuple[float, float, int]:
    """Strings/s resolving real locality names with small variations: first sight, then repeated."""
    from crawler.places import build_place_resolver
    from config.settings import load_settings

    rng = random.Random(11)
    names = [place.name for place in load_geography().place_names]
    variants = [rng.choice([n, n.lower(), n + " C", n + " centrum", n.upper()]) for n in names]
    resolver = build_place_resolver(load_settings())
    started = time.perf_counter()
    for text in variants:
        resolver.resolve(text)
    cold = len(variants) / (time.perf_counter() - started)
    stream = [rng.choice(variants) for _ in range(calls)]
    started = time.perf_counter()
    for text in stream:
        resolver.resolve(text)
    return cold, calls / (time.perf_counter() - started), len(variants)


def synthetic_store(observations: int, days: int):
    """A SQLite store with `observations` sightings spread over `days` daily runs (a fictional market)."""
    home = Path(tempfile.mkdtemp(prefix="lagesbild-bench-"))
    store = open_store(f"sqlite:///{home / 'bench.db'}")
    rng = random.Random(7)
    kommuner = sorted(load_geography().kommuner) + [None]
    per_day = max(1, observations // days)
    pool = max(10, per_day * 3)
    ads = [(f"{i:064x}", f"{i // 3:064x}", f"{i // 5:064x}", rng.choice(kommuner)) for i in range(pool)]
    start = datetime(2026, 1, 1, 3, tzinfo=timezone.utc)
    for day in range(days):
        observed_at = start + timedelta(days=day)
        run_id = start_run(store, "bench", "Bench", "v", "1", observed_at=observed_at)
        offset = (day * per_day // 10) % pool
        batch = [
            ObservedAd("bench", a, p, t, k, None if k else "none", "Kvinna", observed_at, None)
            for a, p, t, k in (ads[(offset + j) % pool] for j in range(per_day))
        ]
        add_observations(store, run_id, batch)
        finish_run(store, run_id, "complete", pages=1, items=len(batch), errors=0,
                              parse_failures=0, listing_pages=1, finish_reason="finished")
    return store, per_day * days


def hostile_listing_time(links: int) -> tuple[float, float, int, int]:
    """Seconds to parse a listing page of `links` ad links (with the default cap), its size in MB, links kept, dropped."""
    site = load_site(BUNDLED_SITES_DIR / "nattsida.yaml")
    html = "<html><body>" + "".join(
        f'<article class="ad-card"><a class="ad-link" href="/nattsida/annons/{i}">x</a></article>'
        for i in range(links)) + "</body></html>"
    started = time.perf_counter()
    page = parse_listing(html, "http://127.0.0.1/nattsida/region/x", site)
    return time.perf_counter() - started, len(html) / 1e6, len(page.detail_urls), page.links_dropped


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--observations", type=int, default=300_000, help="sightings in the synthetic count store")
    parser.add_argument("--days", type=int, default=60, help="daily runs they are spread over")
    parser.add_argument("--parser-rounds", type=int, default=200, help="passes over the saved detail pages")
    parser.add_argument("--only", choices=("trends", "hostile-listing"), help="run one figure only")
    parser.add_argument("--trend-days", type=int, default=365, help="daily crawls in the synthetic trend store")
    parser.add_argument("--trend-ads", type=int, default=10_000, help="listings crawled per day in it")
    args = parser.parse_args()
    if args.only == "trends":
        for line in trend_figure(args.trend_days, args.trend_ads):
            print(line, flush=True)
        return
    seconds, size_mb, kept, dropped = hostile_listing_time(200_000)
    print(f"hostile listing page: 200,000 ad links ({size_mb:.1f} MB) parsed in {seconds:.1f} s "
          f"({kept:,} kept, {dropped:,} over listing.max_links_per_page)", flush=True)
    if args.only == "hostile-listing":
        return

    with SandboxServer(port=0).start() as sandbox:
        elapsed, pages, _ = crawl_site("nattsida", sandbox.url)
        print(f"http crawl (nattsida, its configured politeness): {pages / elapsed:.1f} pages/s ({pages} pages in {elapsed:.1f} s, incl. process start)")
        elapsed, pages, rss = crawl_site("stjarnsida", sandbox.url)
        print(f"browser crawl (stjarnsida): {pages / elapsed:.1f} pages/s ({pages} pages in {elapsed:.1f} s, incl. browser start)")
        print(f"browser crawl peak RSS: crawl process {rss.crawl_peak_kib / 1024:.0f} MiB, browser processes {rss.browser_peak_kib / 1024:.0f} MiB")
    rate, cases = parser_rate(args.parser_rounds)
    print(f"parser: {rate:.0f} detail pages/s ({cases} saved pages × {args.parser_rounds})")
    cold, cached, distinct = place_rates(200_000)
    print(f"place resolution: {cold:,.0f} strings/s first time, {cached:,.0f} strings/s repeated ({distinct:,} distinct texts)")
    store, stored = synthetic_store(args.observations, args.days)
    geography = load_geography()
    started = time.perf_counter()
    prepared = prepare_counts(store, geography)  # one read of the store, as load_published_family does
    for level in LEVELS:
        for period in PERIODS:
            load_counts(store, geography, level, period, prepared=prepared)
    elapsed = time.perf_counter() - started
    print(f"count tables: all {len(LEVELS) * len(PERIODS)} level×period tables in {elapsed:.2f} s ({stored:,} sightings, SQLite)")
    for line in trend_figure(args.trend_days, args.trend_ads):
        print(line, flush=True)


if __name__ == "__main__":
    main()
