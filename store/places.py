"""Unresolved places: running counts of the place texts the parser could not map to a kommun.

Texts arrive already sanitised (no contact details); they are summed per site, text and reason.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from store.errors import StoreError
from store.models import PLACE_TEXT_LEN, UNRESOLVED_REASON_LEN, Site, UnresolvedPlace, to_naive_utc
from store.session import StoreOrSession, check_count, check_text, session_scope


@dataclass(frozen=True)
class UnresolvedPlaceCount:
    """One place text that could not be resolved, summed over sites."""

    text: str
    reason: str
    count: int
    sites: tuple[str, ...]
    last_seen: datetime


def add_unresolved_places(
    target: StoreOrSession, site_name: str, counts: dict[tuple[str, str], int], seen_at: datetime
) -> None:
    """Add to the running counts of (text, reason) pairs for a site; texts must already be sanitised."""
    if not counts:
        return
    seen = to_naive_utc(seen_at)
    rows = []
    for (text, reason), count in counts.items():
        check_text("text", text, PLACE_TEXT_LEN, required=True)
        check_text("reason", reason, UNRESOLVED_REASON_LEN, required=True)
        check_count("count", count)
        rows.append({"text": text, "reason": reason, "count": count, "first_seen": seen, "last_seen": seen})
    with session_scope(target) as session:
        site_id = session.exec(select(Site.id).where(Site.name == site_name)).scalar_one_or_none()
        if site_id is None:
            raise StoreError(f"site {site_name!r} does not exist")
        for row in rows:
            row["site_id"] = site_id
        dialect = session.get_bind().dialect.name
        insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[dialect](UnresolvedPlace.__table__)
        table = UnresolvedPlace.__table__
        statement = insert.on_conflict_do_update(
            index_elements=["site_id", "text", "reason"],
            set_={"count": table.c.count + insert.excluded.count, "last_seen": insert.excluded.last_seen},
        )
        session.exec(statement, params=rows)


def top_unresolved_places(target: StoreOrSession, top: int = 50) -> list[UnresolvedPlaceCount]:
    """The most frequent unresolved place texts over all sites, most frequent first."""
    if top < 1:
        raise StoreError("the number of places to list must be at least 1")
    statement = (
        select(UnresolvedPlace.text, UnresolvedPlace.reason, UnresolvedPlace.count, Site.name,
               UnresolvedPlace.last_seen)
        .join(Site, Site.id == UnresolvedPlace.site_id)
    )
    totals: dict[tuple[str, str], list] = {}
    with session_scope(target) as session:
        for text, reason, count, site, last_seen in session.exec(statement).all():
            entry = totals.setdefault((text, reason), [0, set(), last_seen])
            entry[0] += count
            entry[1].add(site)
            entry[2] = max(entry[2], last_seen)
    ranked = sorted(totals.items(), key=lambda item: (-item[1][0], item[0]))
    return [
        UnresolvedPlaceCount(text, reason, count, tuple(sorted(sites)), last_seen)
        for (text, reason), (count, sites, last_seen) in ranked[:top]
    ]
