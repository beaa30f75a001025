"""Calendar periods (week, month, quarter, year) in Swedish local time: sortable labels and their bounds."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
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


def local_midnight(day: date) -> datetime:
    """The start of a Swedish calendar day, as an aware UTC instant."""
    return datetime.combine(day, time.min, STOCKHOLM).astimezone(timezone.utc)


def period_start_day(day: date, period: str) -> date:
    """The first day of the period (of kind `period`) that contains `day`."""
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    if period == "quarter":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    if period == "year":
        return date(day.year, 1, 1)
    raise ValueError(f"unknown period {period!r}; use one of {', '.join(PERIODS)}")


def _next_period_day(start: date, period: str) -> date:
    if period == "week":
        return start + timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[period]
    index = start.year * 12 + start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_bounds(day: date, period: str) -> tuple[datetime, datetime]:
    """The period containing the Swedish calendar day `day`, as aware UTC instants [start, end)."""
    start = period_start_day(day, period)
    return local_midnight(start), local_midnight(_next_period_day(start, period))


def day_bounds(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    """Swedish calendar days [since, until] as UTC instants [start, end)."""
    start = datetime.combine(since, time.min, STOCKHOLM) if since else None
    end = datetime.combine(until + timedelta(days=1), time.min, STOCKHOLM) if until else None
    return start, end
