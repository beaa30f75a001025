"""Calendar periods (week, month, quarter, year) in Swedish local time, as sortable labels."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")
PERIODS = ("week", "month", "quarter", "year")


def local_date(moment: datetime) -> date:
    """The Swedish calendar date of a (naive UTC or aware) timestamp."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(STOCKHOLM).date()


def period_label(day: date, period: str) -> str:
    """'2026-W47', '2026-11', '2026-Q4' or '2026' for the period containing `day`."""
    if period == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "month":
        return f"{day.year}-{day.month:02d}"
    if period == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if period == "year":
        return str(day.year)
    raise ValueError(f"unknown period {period!r}; use one of {', '.join(PERIODS)}")


def period_kind(label: str) -> str | None:
    """The kind of a period label: '2026-W47' week, '2026-11' month, '2026-Q4' quarter, '2026' year; None if none."""
    if "-W" in label:
        return "week"
    if "-Q" in label:
        return "quarter"
    if "-" in label:
        return "month"
    if label.isdigit() and len(label) == 4:
        return "year"
    return None
