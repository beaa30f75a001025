"""`lagesbild demo`: back-fill the simulated market week by week and print the trend tables."""
from __future__ import annotations

import sys
from datetime import datetime

import click

from analysis.queries import load_coverage, load_published, load_published_family
from config.settings import load_settings, load_settings_geography
from crawler.runner import study_period_key
from evaluation.series import plan_series, run_backfill
from lagesbild.options import console, open_settings_store
from lagesbild.terminal import print_coverage, published_table, status_markup
from sandbox.weeks import week_of
from web.files import write_protected_file


def series_options(default_weeks: int):
    """--weeks, --scale and --seed of a back-filled sandbox series."""
    def decorate(command):
        command = click.option("--seed", type=int, default=1, show_default=True,
                               help="Seed of the simulated market.")(command)
        command = click.option("--scale", type=click.FloatRange(0, 50, min_open=True), default=1.0,
                               show_default=True, help="Market size relative to the default.")(command)
        return click.option("--weeks", type=click.IntRange(1, 156), default=default_weeks, show_default=True,
                            help="How many weeks to back-fill, ending this week.")(command)
    return decorate


def report_week(moment: datetime, outcomes: list) -> None:
    """One progress line per back-filled week."""
    parts = [f"{o.site} {status_markup(o.status)} {o.items} ads" for o in outcomes]
    console.print(f"week {moment:%G-W%V} (sim {week_of(moment)}): " + ", ".join(parts))


@click.command("demo")
@series_options(26)
def demo_command(weeks: int, scale: float, seed: int) -> None:
    """Back-fill weekly crawls of the simulated sandbox market, then print the trend tables.

    Example: lagesbild demo --weeks 26
    """
    settings = load_settings()
    store = open_settings_store(settings)
    key = study_period_key(settings, create_if_missing=True)  # the demo may create its first key
    plan = plan_series(weeks, seed, scale)
    console.print(f"Back-filling {weeks} weeks of the simulated market (seed {seed}, scale {scale:g}) "
                  f"from sandbox sites on 127.0.0.1, with {len(plan.incidents)} planted site incidents …")
    results = run_backfill(plan, settings, store, key, on_week=report_week)
    geography = load_settings_geography(settings)
    family = load_published_family(store, geography, "month", settings=settings)  # protected once, used twice
    console.print(published_table(family[("polisregion", "month")], hide_empty=False))
    console.print(published_table(load_published(store, geography, "riket", "week", settings=settings),
                                  hide_empty=False))
    print_coverage(console, load_coverage(store))
    csv_path = settings.export_dir / "kommun-manad.csv"
    write_protected_file(family[("kommun", "month")], geography, store, csv_path)
    console.print(f"Municipal CSV (kommun × month): {csv_path}")
    console.print(f"Database: {settings.resolved_database_url}")
    console.print(f"Series manifest: {settings.resolved_home / 'series.json'} "
                  "(score it against the truth with `lagesbild evaluate --demo`)")
    if not any(o.status == "complete" for outcomes in results for o in outcomes):
        sys.exit(1)
