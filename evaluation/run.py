"""Running an evaluation: a scratch data folder, a back-filled (or the demo's) series, and its scorecard.

The scratch folder has its own SQLite database and keys, so an evaluation never writes to the user's data.
"""
from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from config.geo import Geography
from config.settings import Settings
from crawler.runner import study_period_key
from evaluation.errors import EvaluationFolderTaken
from evaluation.scorecard import score_series
from evaluation.series import plan_series, read_manifest, run_backfill
from evaluation.trends import LongSeries
from store.db import open_store

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


def fresh_folder(path: Path) -> None:
    """An empty scratch folder at `path`, replacing an earlier evaluation's; never anything else."""
    if path.exists():
        if not (path / _MARKER).exists():
            raise EvaluationFolderTaken(f"{path} exists but is not an evaluation folder; move it away first")
        shutil.rmtree(path)
    path.mkdir(parents=True)
    (path / _MARKER).write_text("scratch folder of `lagesbild evaluate`; replaced on every run\n", encoding="utf-8")


def evaluate(settings: Settings, geography: Geography, *, weeks: int, scale: float, seed: int, from_demo: bool,
             long_series: LongSeries | None, output: Path | None = None,
             say: Callable[[str], None] = print) -> tuple[dict[str, Any], Path]:
    """Back-fill a series into a scratch folder (or read the demo's), score it and write scorecard.json.

    `long_series` gives the planted trends' long series (None: not scored). Returns the scorecard and its path.
    """
    if from_demo:
        eval_settings = settings
        plan, runs = read_manifest(settings.resolved_home)
        say(f"Scoring the demo's series of {len(plan.occasions)} weeks in {settings.resolved_home}")
    else:
        eval_settings = evaluation_settings(settings)
        fresh_folder(eval_settings.resolved_home)
        plan = plan_series(weeks, seed, scale)
        say(f"Back-filling {weeks} weeks (seed {seed}, scale {scale:g}) into {eval_settings.resolved_home} …")

        def report(moment: datetime, outcomes: list) -> None:
            say(f"  week {moment:%G-W%V}: " + ", ".join(f"{o.site} {o.status} {o.items}" for o in outcomes))

        store = open_store(eval_settings.resolved_database_url)
        key = study_period_key(eval_settings, create_if_missing=True)
        results = run_backfill(plan, eval_settings, store, key, on_week=report)
        runs = [[{"site": o.site, "run_id": o.run_id, "status": o.status} for o in outcomes] for outcomes in results]
    store = open_store(eval_settings.resolved_database_url)
    if long_series is not None:
        say(f"Scoring the planted trends on {long_series.weeks} weeks of the simulated truth at scale "
            f"{long_series.scale:g} …")
        long_series = LongSeries(long_series.weeks, long_series.scale, plan.seed)
    scorecard = score_series(plan, runs, store, eval_settings, geography, long_series)
    path = output or eval_settings.resolved_home / (EVALUATION_DIR if from_demo else "") / "scorecard.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(scorecard, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return scorecard, path
