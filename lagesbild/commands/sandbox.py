"""`lagesbild sandbox serve`: the simulated market's sites on 127.0.0.1."""
from __future__ import annotations

from pathlib import Path

import click

from lagesbild.options import console
from sandbox.faults import FaultPlan
from sandbox.server import SandboxServer
from sandbox.simulation import build_market
from sandbox.weeks import moment_of


@click.group("sandbox")
def sandbox_group() -> None:
    """The bundled fictional sandbox sites on 127.0.0.1."""


@sandbox_group.command("serve")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port on 127.0.0.1 (0 picks a free one).")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the fictional market.")
@click.option("--week", help="Serve the market as it stood in this week: a simulation week number or an ISO "
                             "week such as 2026-W30 (default: now).")
@click.option("--as-of", "as_of", help="Serve the market as it stood at this date or time (YYYY-MM-DD[THH:MM]).")
@click.option("--scale", type=click.FloatRange(0, 50, min_open=True), default=1.0, show_default=True,
              help="Market size relative to the default.")
@click.option("--faults", "faults_file", type=click.Path(dir_okay=False, path_type=Path),
              help="YAML fault plan for reliability tests (see config/sandbox/faults-example.yaml).")
def sandbox_serve(port: int, seed: int, week: str | None, as_of: str | None, scale: float,
                  faults_file: Path | None) -> None:
    """Serve the fictional sandbox sites on 127.0.0.1 until Ctrl-C.  Example: lagesbild sandbox serve --week 2026-W30"""
    faults = FaultPlan.from_yaml(faults_file) if faults_file else None  # a bad file: one-line ConfigError
    try:
        moment = moment_of(week, as_of)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    market = build_market(seed, moment, scale=scale)
    try:
        server = SandboxServer(port=port, seed=seed, market=market, faults=faults)  # binds the port here
    except OSError as exc:
        raise click.ClickException(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}") from None
    console.print(f"Sandbox sites at {server.url}/ as of {market.as_of:%Y-%m-%d %H:%M} "
                  f"(truth at {server.url}/_truth.json); Ctrl-C stops.")
    for line in faults.describe() if faults else ():
        console.print(f"  fault: {line}", markup=False, highlight=False)
    server.serve_forever()
