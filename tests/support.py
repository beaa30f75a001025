"""Small shared helpers for the tests (importable because pytest puts tests/ on sys.path)."""
from __future__ import annotations

from datetime import datetime
from typing import NamedTuple


class Obs(NamedTuple):
    """An observation row as analysis reads it, for synthetic inputs."""

    ad_token: str
    profile_token: str | None
    phone_token: str | None
    kommun_code: str | None
    observed_at: datetime


def cli_env(home, **settings: str) -> dict[str, str]:
    """The environment for a `lagesbild` subprocess: this one minus any LAGESBILD_*, plus `settings`."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("LAGESBILD_")}
    env["LAGESBILD_HOME"] = str(home)
    env["COLUMNS"] = "200"
    env.update({f"LAGESBILD_{name.upper()}": value for name, value in settings.items()})
    return env


def run_cli(*args: str, home, timeout: float = 300, **settings: str):
    """Run `lagesbild ARGS` in a child process (Twisted's reactor runs once per process)."""
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "lagesbild.cli", *args],
        env=cli_env(home, **settings), capture_output=True, text=True, timeout=timeout,
    )
