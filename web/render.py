"""The Jinja2 environment shared by the dashboard and the reports, with Swedish number formatting."""
from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from analysis.disclosure import SUPPRESSED, PublishedCell
from web.exports import MEASURE_LABELS
from web.navigation import LEVEL_LABELS, LEVEL_PLURAL, PERIOD_LABELS

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"


def number(value) -> str:
    """12345 → '12 345'; None → '..' (a suppressed or missing value is never shown as 0)."""
    if value is None:
        return SUPPRESSED
    if isinstance(value, PublishedCell):
        return value.display if value.value is None else number(value.value)
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}".replace(",", "\u00a0").replace(".", ",")
    return f"{int(value):,}".replace(",", "\u00a0")


def rate(value: float | None) -> str:
    """A rate per 100 000 with a decimal comma; '..' when it cannot be given."""
    if value is None:
        return SUPPRESSED
    return f"{value:,.1f}".replace(",", "\u00a0").replace(".", ",")


def make_environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["number"] = number
    env.filters["rate"] = rate
    env.globals.update(MEASURE_LABELS=MEASURE_LABELS, LEVEL_LABELS=LEVEL_LABELS, LEVEL_PLURAL=LEVEL_PLURAL,
                       PERIOD_LABELS=PERIOD_LABELS, SUPPRESSED=SUPPRESSED)
    return env


def static_text(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")
