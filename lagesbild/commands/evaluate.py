"""`lagesbild evaluate`: back-fill the simulated market (or read the demo's series) and score it against truth."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from config.settings import load_settings, load_settings_geography
from evaluation.printout import print_scorecard
from evaluation.run import evaluate
from evaluation.trends import LONG_SERIES_SCALE, LONG_SERIES_WEEKS, LongSeries
from lagesbild.options import console, err_console


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
    settings = load_settings()
    progress = err_console if as_json else console
    long_series = LongSeries(trend_weeks, trend_scale, seed) if trend_weeks else None
    scorecard, path = evaluate(settings, load_settings_geography(settings), weeks=weeks, scale=scale, seed=seed,
                               from_demo=from_demo, long_series=long_series, output=output,
                               say=lambda line: progress.print(line, markup=False))
    if as_json:
        click.echo(json.dumps(scorecard, ensure_ascii=False))
    else:
        print_scorecard(scorecard, console)
        console.print(f"Scorecard JSON: {path}")
    if not scorecard["passed"]:
        sys.exit(1)
