"""Back-filling a weekly crawl series from the simulated market, for the demo and for `evaluate`.

One sandbox server serves every week in turn: before each weekly occasion it switches to the
market as it stood then, plus the faults of any incident planted in that week, and the crawl
stamps its observations with the occasion's time. A manifest (series.json) records what was
crawled, so `evaluate` can score the series later without crawling again.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from config.settings import BUNDLED_SITES_DIR, Settings
from config.sites import load_sites
from crawler.runner import RunOutcome, run_crawl_series
from evaluation.errors import SeriesNotFound
from sandbox.faults import FaultPlan, HttpErrorFault, LayoutChangeFault
from sandbox.model import Incident, SimulationConfig, default_incidents
from sandbox.simulation import Simulation
from sandbox.weeks import recent_occasions, week_of
from scheduler.health import review_run

SERIES_FILE = "series.json"


@dataclass(frozen=True)
class SeriesPlan:
    """Which simulated weeks a back-fill crawls, from which market, with which planted incidents."""

    seed: int
    scale: float
    occasions: tuple[datetime, ...]
    incidents: tuple[Incident, ...] = ()

    @property
    def weeks(self) -> tuple[int, ...]:
        return tuple(week_of(moment) for moment in self.occasions)

    def simulation(self) -> Simulation:
        return Simulation(SimulationConfig(seed=self.seed, scale=self.scale, incidents=self.incidents))

    def to_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "scale": self.scale,
            "occasions": [moment.isoformat() for moment in self.occasions],
            "incidents": [incident.to_dict() for incident in self.incidents],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SeriesPlan":
        return cls(
            seed=int(data["seed"]),
            scale=float(data["scale"]),
            occasions=tuple(datetime.fromisoformat(o) for o in data["occasions"]),
            incidents=tuple(Incident.from_dict(i) for i in data.get("incidents", ())),
        )


def plan_series(weeks: int, seed: int = 1, scale: float = 1.0, *, incidents: bool = True,
                now: datetime | None = None) -> SeriesPlan:
    """The last `weeks` weekly occasions up to now, with the default planted incidents."""
    if weeks < 1:
        raise ValueError("weeks must be at least 1")
    occasions = tuple(recent_occasions(weeks, now))
    planted = default_incidents(week_of(occasions[0]), weeks) if incidents else ()
    return SeriesPlan(seed, scale, occasions, planted)


def fault_plan_for_week(plan: SeriesPlan, week: int) -> FaultPlan | None:
    """What the sandbox does wrong in a week: the planted incidents as faults."""
    faults: dict[str, list] = {}
    for incident in plan.incidents:
        if not incident.active_in(week):
            continue
        if incident.kind == "outage":
            fault = HttpErrorFault(status=503)
        elif incident.kind == "partial":
            fault = HttpErrorFault(status=500, pages="detail", share=0.3)
        elif incident.kind == "layout_change":
            fault = LayoutChangeFault()
        else:  # site_closed
            fault = HttpErrorFault(status=410)
        faults.setdefault(incident.site, []).append(fault)
    return FaultPlan(seed=plan.seed + week, sites=faults) if faults else None


OccasionReport = Callable[[datetime, list[RunOutcome]], None]


def run_backfill(plan: SeriesPlan, settings: Settings, store, key, *,
                 on_week: OccasionReport | None = None) -> list[list[RunOutcome]]:
    """Crawl every occasion of the plan from one sandbox server, then write the series manifest."""
    from sandbox.server import SandboxServer

    simulation = plan.simulation()
    first = plan.occasions[0]
    with SandboxServer(port=0, seed=plan.seed, market=simulation.market_at(first)).start() as sandbox:
        os.environ["LAGESBILD_SANDBOX_URL"] = sandbox.url  # the bundled site configs read it
        sites = list(load_sites(BUNDLED_SITES_DIR).values())

        def switch_week(moment: datetime) -> None:
            sandbox.set_market(simulation.market_at(moment))
            sandbox.set_faults(fault_plan_for_week(plan, week_of(moment)))

        def after_week(moment: datetime, outcomes: list[RunOutcome]) -> None:
            # The scheduler's health checks, as after every scheduled crawl (no alerts for a back-fill).
            for outcome in outcomes:
                if outcome.run_id is not None:
                    review_run(store, settings, outcome.run_id)
            if on_week is not None:
                on_week(moment, outcomes)

        results = run_crawl_series(sites, settings, store, list(plan.occasions), key=key,
                                   before_occasion=switch_week, after_occasion=after_week)
    write_manifest(settings.resolved_home, plan, results)
    return results


def write_manifest(home: Path, plan: SeriesPlan, results: list[list[RunOutcome]]) -> Path:
    data = plan.to_dict()
    data["runs"] = [
        [{"site": o.site, "run_id": o.run_id, "status": o.status} for o in outcomes] for outcomes in results
    ]
    path = home / SERIES_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def read_manifest(home: Path) -> tuple[SeriesPlan, list[list[dict[str, Any]]]]:
    path = home / SERIES_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return SeriesPlan.from_dict(data), data.get("runs", [])
    except FileNotFoundError:
        raise SeriesNotFound(f"no back-filled series in {home} (run `lagesbild demo` first)") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise SeriesNotFound(f"{path} is not a readable series manifest ({exc})") from None
