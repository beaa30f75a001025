"""The clock: what moment the product takes "now" to be when it picks a week, a period or a default window.

`now()` is the current time as an aware UTC datetime, unless the LAGESBILD_NOW environment variable fixes
it (an ISO date or date-time; without an offset it is UTC). Tests set it so that results do not move with
the calendar, and child processes (crawls, `lagesbild` run by a test) inherit it. Elapsed time, timeouts,
leases and the timestamps of rows stay on the real clock.
"""
from __future__ import annotations

import os
from datetime import datetime, timezone

from config.errors import ConfigError

ENV_VAR = "LAGESBILD_NOW"


def now() -> datetime:
    """The current moment (aware, UTC): LAGESBILD_NOW when it is set, else the system clock."""
    text = os.environ.get(ENV_VAR, "").strip()
    return parse(text) if text else datetime.now(timezone.utc)


def frozen() -> datetime | None:
    """The moment LAGESBILD_NOW fixes, or None when the clock runs."""
    text = os.environ.get(ENV_VAR, "").strip()
    return parse(text) if text else None


def parse(text: str) -> datetime:
    """A LAGESBILD_NOW value as an aware UTC datetime; a bad value is a ConfigError naming the variable."""
    value = text.strip()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError(ENV_VAR, "", f"{text!r} is not an ISO date or date-time such as 2026-11-18 "
                                       "or 2026-11-18T12:00:00Z") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)
