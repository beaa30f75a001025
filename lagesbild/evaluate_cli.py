"""`lagesbild evaluate`: back-fill the simulated market (or read the demo's series) and score it against truth."""
from __future__ import annotations

import json
import shutil
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from config.settings import Settings, load_settings, load_settings_geography
from evaluation.trends import LONG_SERIES_SCALE, LONG_SERIES_WEEKS, LongSeries

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

EVALUATION_DIR = "evaluation"
_MARKER = ".lagesbild-evaluation"  # only folders holding this are ever wiped


def evaluation_settings(settings: Settings) -> Settings:
    """Settings for a scratch evaluation home: its own SQLite database and keys, never the user's data."""
    home = settings.resolved_home / EVALUATION_DIR
    scratch = settings.model_copy(update={"home": home, "database_url": None, "key_dir": None,
                                          "place_aliases_file": settings.resolved_place_aliases_file})
    scratch.__dict__.pop("resolved_home", None)  # a cached_property copied from the original
    if scratch.resolved_home != home.resolve() or scratch.resolved_database_url == settings.resolved_database_url:
        raise RuntimeError("evaluation settings still point at the user's data")  # never write there
    return scratch


def _fresh_folder(path: Path) -> None:
    if path.exists():
        if not (path / _MARKER).exists():
            raise click.ClickException(f"{path} exists but is not an evaluation folder; move it away first")
        shutil.rmtree(path)
    path.mkdir(parents=True)
    (path / _MARKER).write_text("scratch folder of `lagesbild evaluate`; replaced on every run\n", encoding="utf-8")


@click.command("evaluate")
@click.option("--weeks", type=click.IntRange(1, 156), default=6, show_default=True,
              help="How many weeks to back-fill, ending this week.")
@click.option("--scale", type=click.FloatRange(0, 50, min_open=True), default=0.5, show_default=True,
              help="Market size relative to the default.")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the simulated market.")
@click.option("--demo", "from_demo", is_flag=True,
              help="Score the series `lagesbild demo` stored in the data folder instead of crawling a new one.")
@click.option("--trend-weeks", type=click.IntRange(0, 260), default=LONG_SERIES_WEEKS, show_default=True,
              help="Weeks of the long series the planted trends are scored on (0: skip it).")
@click.option("--trend-scale", type=click.FloatRange(0, 50, min_open=True), default=LONG_SERIES_SCALE,
              show_default=True, help="Market size of the long series.")
@click.option("--json", "as_json", is_flag=True, help="Print the scorecard as one JSON object.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the scorecard JSON (default: <data folder>/evaluation/scorecard.json).")
def evaluate_command(weeks: int, scale: float, seed: int, from_demo: bool, trend_weeks: int, trend_scale: float,
                     as_json: bool, output: Path | None) -> None:
    """Score what the pipeline stored against the simulated market's truth.

    Example: lagesbild evaluate --weeks 6 --json
    """
    from crawler.runner import study_period_key
    from evaluation.series import plan_series, read_manifest, run_backfill
    from evaluation.scorecard import score_series
    from store.db import open_store

    settings = load_settings()
    progress = err_console if as_json else console
    if from_demo:
        eval_settings = settings
        plan, runs = read_manifest(settings.resolved_home)
        progress.print(f"Scoring the demo's series of {len(plan.occasions)} weeks in {settings.resolved_home}")
    else:
        eval_settings = evaluation_settings(settings)
        _fresh_folder(eval_settings.resolved_home)
        plan = plan_series(weeks, seed, scale)
        progress.print(f"Back-filling {weeks} weeks (seed {seed}, scale {scale:g}) into "
                       f"{eval_settings.resolved_home} …")

        def report(moment: datetime, outcomes: list) -> None:
            parts = [f"{o.site} {o.status} {o.items}" for o in outcomes]
            progress.print(f"  week {moment:%G-W%V}: " + ", ".join(parts), markup=False)

        store = open_store(eval_settings.resolved_database_url)
        key = study_period_key(eval_settings, create_if_missing=True)
        results = run_backfill(plan, eval_settings, store, key, on_week=report)
        runs = [[{"site": o.site, "run_id": o.run_id, "status": o.status} for o in outcomes] for outcomes in results]
    store = open_store(eval_settings.resolved_database_url)
    long_series = LongSeries(trend_weeks, trend_scale, plan.seed) if trend_weeks else None
    if long_series:
        progress.print(f"Scoring the planted trends on {trend_weeks} weeks of the simulated truth at scale "
                       f"{trend_scale:g} …")
    scorecard = score_series(plan, runs, store, eval_settings, load_settings_geography(settings), long_series)
    path = output or eval_settings.resolved_home / (EVALUATION_DIR if from_demo else "") / "scorecard.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(scorecard, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    if as_json:
        click.echo(json.dumps(scorecard, ensure_ascii=False))
    else:
        print_scorecard(scorecard)
        console.print(f"Scorecard JSON: {path}")
    if not scorecard["passed"]:
        sys.exit(1)


def _fmt(value: Any) -> str:
    if value is None:
        return "not measured"
    if isinstance(value, float):
        return f"{value:.2%}"
    return str(value)


def print_scorecard(card: dict[str, Any]) -> None:
    series = card["series"]
    console.print(f"Series: {series['weeks']} weeks {series['first_week']} … {series['last_week']}, "
                  f"seed {series['seed']}, scale {series['scale']:g}; runs {series['runs']}")
    table = Table(title="Counts against truth (complete crawls; compared: " + card["compared"] + ")")
    for column in ("measure", "riket", "polisregion (max)", "län (max)", "kommun ≥20 (max)", "kommun cells exact"):
        table.add_column(column)
    for measure in ("active_ads", "unique_profiles", "unique_phones"):
        m = card[measure]
        table.add_row(measure, _fmt(m["riket_rel_error"]), _fmt(m["polisregion_max_rel_error"]),
                      _fmt(m["lan_max_rel_error"]), _fmt(m["kommun_ge20_max_rel_error"]),
                      _fmt(m["kommun_exact_share"]))
    table.add_row("new_ads", *["not measured"] * 5)
    console.print(table)
    console.print(f"Double counted: {card['double_counted']}   missed: {card['missed']}")
    console.print(f"Places: right {_fmt(card['place_accuracy'])}, unresolved {_fmt(card['place_unresolved'])}, "
                  f"wrong {_fmt(card['place_wrong'])}")
    incidents = card["site_incidents"]
    console.print(f"Site incidents: planted {incidents['planted']}, flagged as data-quality problems "
                  f"{incidents['flagged']}, reported as market change {_fmt(incidents['reported_as_market_change'])}; "
                  f"runs flagged without an incident: {incidents['false_alarms']}")
    for detail in incidents["details"]:
        mark = "[green]flagged[/]" if detail["flagged"] else "[red]NOT flagged[/]"
        console.print(f"  {detail['kind']} on {detail['site']} from sim week {detail['week']}: {mark}")
    if "active_adverts" in card:
        adverts = card["active_adverts"]
        console.print(f"Adverts after merging reposts and cross-posts: riket {_fmt(adverts['riket_rel_error'])}, "
                      f"polisregion (max) {_fmt(adverts['polisregion_max_rel_error'])}")
    console.print(f"Networks F1: {_fmt(card['networks_f1'])}; templates precision: "
                  f"{_fmt(card['templates_precision'])}; touring recall: {_fmt(card['touring_recall'])}; "
                  f"flows between police regions (worst month): {_fmt(card.get('flows_max_rel_error'))}")
    long_series = card.get("planted_trends_series")
    for key, where in (("planted_trends", f"{long_series['weeks']} weeks at scale {long_series['scale']:g}"
                        if long_series else ""), ("planted_trends_crawled", "the crawled series")):
        for trend in card.get(key) or []:
            estimate = "not estimated" if trend["estimated_change"] is None else (
                f"{trend['estimated_change']:+.0%} ({trend['ci_low']:+.0%} … {trend['ci_high']:+.0%})")
            verdict = "detected" if trend["detected"] else (
                "right sign, not significant" if trend["right_sign"] else "not detected")
            console.print(f"Planted trend {trend['level']} {trend['region']} {trend['true_change']:+.0%}/year on "
                          f"{where}: estimated {estimate}, {verdict}, interval "
                          f"{'covers' if trend['covered'] else 'misses'} the truth")
    if card["passed"]:
        console.print("[green]Acceptance limits met.[/]")
    else:
        for failure in card["failures"]:
            console.print(f"[red]FAIL[/] {failure}", markup=True)
