"""Swedish posting dates ("idag 14:05", "igår", "3 dagar sedan", "12 nov") resolved against the crawl time."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")

MONTHS = {
    "jan": 1, "januari": 1, "feb": 2, "februari": 2, "mar": 3, "mars": 3, "apr": 4, "april": 4,
    "maj": 5, "jun": 6, "juni": 6, "jul": 7, "juli": 7, "aug": 8, "augusti": 8,
    "sep": 9, "sept": 9, "september": 9, "okt": 10, "oktober": 10, "nov": 11, "november": 11,
    "dec": 12, "december": 12,
}
UNITS = {
    "minut": timedelta(minutes=1), "minuter": timedelta(minutes=1), "min": timedelta(minutes=1),
    "timme": timedelta(hours=1), "timmar": timedelta(hours=1), "tim": timedelta(hours=1),
    "dag": timedelta(days=1), "dagar": timedelta(days=1), "dygn": timedelta(days=1),
    "vecka": timedelta(weeks=1), "veckor": timedelta(weeks=1),
}
_CLOCK = re.compile(r"(?P<h>\d{1,2})[:.](?P<m>\d{2})")
_RELATIVE = re.compile(r"(?:för\s+)?(?P<n>\d+|en|ett)\s+(?P<unit>[a-zåäö]+)\s+sedan")
_DAY_MONTH = re.compile(r"(?P<d>\d{1,2})\s+(?P<mon>[a-zåäö]+)\.?(?:\s+(?P<y>\d{4}))?")
_ISO_DATE = re.compile(r"(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})")


def _local(crawl_time: datetime) -> datetime:
    if crawl_time.tzinfo is None:
        crawl_time = crawl_time.replace(tzinfo=timezone.utc)
    return crawl_time.astimezone(STOCKHOLM)


def _at_clock(day: datetime, text: str, now: datetime) -> datetime:
    """The stated clock time on `day`; without one, noon (or now, if that is earlier)."""
    clock = _CLOCK.search(text)
    if clock and int(clock["h"]) < 24 and int(clock["m"]) < 60:
        return day.replace(hour=int(clock["h"]), minute=int(clock["m"]), second=0, microsecond=0)
    noon = day.replace(hour=12, minute=0, second=0, microsecond=0)
    return min(noon, now) if day.date() == now.date() else noon


def parse_swedish_date(text: str | None, crawl_time: datetime) -> datetime | None:
    """Resolve a Swedish date phrase to an aware UTC datetime, or None if it cannot be read.

    A date without a year is taken as the latest such date not after the crawl.
    """
    if not text:
        return None
    phrase = " ".join(text.casefold().split())
    now = _local(crawl_time)
    resolved: datetime | None = None
    if phrase.startswith(("idag", "i dag")):
        resolved = _at_clock(now, phrase, now)
    elif phrase.startswith(("igår", "i går", "igar")):
        resolved = _at_clock(now - timedelta(days=1), phrase, now)
    elif phrase.startswith(("i förrgår", "i förgår", "förrgår")):
        resolved = _at_clock(now - timedelta(days=2), phrase, now)
    elif phrase in {"nyss", "just nu"}:
        resolved = now
    elif match := _RELATIVE.search(phrase):
        count = 1 if match["n"] in {"en", "ett"} else int(match["n"])
        unit = UNITS.get(match["unit"])
        if unit is not None:
            resolved = now - count * unit
    elif match := _ISO_DATE.search(phrase):
        try:
            day = datetime(int(match["y"]), int(match["mo"]), int(match["d"]), tzinfo=STOCKHOLM)
        except ValueError:
            return None
        resolved = _at_clock(day, phrase[match.end():], now)
    elif match := _DAY_MONTH.search(phrase):
        month = MONTHS.get(match["mon"].rstrip("."))
        if month is None:
            return None
        year = int(match["y"]) if match["y"] else now.year
        try:
            day = datetime(year, month, int(match["d"]), tzinfo=STOCKHOLM)
        except ValueError:
            return None
        if not match["y"] and day.date() > now.date():
            day = day.replace(year=year - 1)
        resolved = _at_clock(day, phrase[match.end():], now)
    if resolved is None or resolved > now + timedelta(minutes=5):
        return None
    return resolved.astimezone(timezone.utc)
