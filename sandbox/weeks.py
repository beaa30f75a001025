"""The simulation's calendar: week numbers from 6 January 2025, weekly crawl occasions, and back-filled series."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cached_property
from typing import Any

from sandbox.market import STOCKHOLM, normalize_as_of

EPOCH = date(2025, 1, 6)  # Monday of simulation week 0
OCCASION_WEEKDAY = 2  # weekly crawl occasions: Wednesdays …
OCCASION_TIME = time(3, 0)  # … at 03:00 Stockholm time
LONGEST_STAY_WEEKS = 104  # arrivals further back than this have all left
ID_WEEK_OFFSET = 500  # keeps week numbers in ids positive


def week_start(week: int) -> datetime:
    """Monday 00:00 (Stockholm) of a simulation week."""
    return datetime.combine(EPOCH + timedelta(weeks=week), time(0, 0), tzinfo=STOCKHOLM)


def week_of(moment: datetime | str | date) -> int:
    """The simulation week holding a moment (naive times count as Stockholm time)."""
    if isinstance(moment, date) and not isinstance(moment, datetime):
        day = moment
    else:
        day = normalize_as_of(moment).date()
    return (day - EPOCH).days // 7


def occasion(week: int) -> datetime:
    """The weekly crawl occasion of a week: Wednesday 03:00 Stockholm time."""
    day = EPOCH + timedelta(weeks=week, days=OCCASION_WEEKDAY)
    return datetime.combine(day, OCCASION_TIME, tzinfo=STOCKHOLM)


def parse_week(text: str) -> int:
    """A week given as a simulation week number ('98') or an ISO week ('2026-W47')."""
    value = text.strip()
    if value.lstrip("-").isdigit():
        return int(value)
    try:
        monday = datetime.strptime(value + "-1", "%G-W%V-%u").date()
    except ValueError:
        raise ValueError(f"week {text!r} is neither a week number nor an ISO week like 2026-W47") from None
    return (monday - EPOCH).days // 7


def recent_occasions(weeks: int, now: datetime | None = None) -> list[datetime]:
    """The last `weeks` weekly occasions that are not in the future, oldest first."""
    now = normalize_as_of(now)
    last = week_of(now)
    if occasion(last) > now:
        last -= 1
    return [occasion(w) for w in range(last - weeks + 1, last + 1)]


@dataclass(frozen=True)
class Series:
    """A back-filled crawl series: which simulated weeks were crawled, at what moments."""

    seed: int
    scale: float
    occasions: tuple[datetime, ...]

    @cached_property
    def weeks(self) -> tuple[int, ...]:
        return tuple(week_of(moment) for moment in self.occasions)

    def to_dict(self) -> dict[str, Any]:
        return {"seed": self.seed, "scale": self.scale, "occasions": [o.isoformat() for o in self.occasions]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Series":
        return cls(int(data["seed"]), float(data["scale"]),
                   tuple(datetime.fromisoformat(o) for o in data["occasions"]))


def moment_of(week: str | None = None, as_of: str | None = None) -> datetime | None:
    """The moment a week ('98', '2026-W47': its crawl occasion) or a date or time names; None for neither.

    A naive time is Stockholm time. Raises ValueError, naming the option, for both or a bad value.
    """
    if week and as_of:
        raise ValueError("give --week or --as-of, not both")
    try:
        if week:
            return occasion(parse_week(week))
    except ValueError as exc:
        raise ValueError(f"--week: {exc}") from None
    if as_of:
        try:
            return normalize_as_of(as_of.strip())
        except ValueError:
            raise ValueError(f"--as-of: {as_of!r} is not a date or time like 2026-07-22 or 2026-07-22T03:00") from None
    return None
