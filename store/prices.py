"""Store reads of ad prices (issue 6): the stated price per hour of priced observations, for analysis.

Only observations with a price are read (most sites give none), so plain row streaming is enough;
counting reads every observation through store.columnar instead.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select

from store.models import CrawlRun, Observation
from store.runs import USABLE_STATUSES
from store.session import STREAM_CHUNK, StoreOrSession, observed_between, session_scope


class PriceRow(NamedTuple):
    """One priced sighting: the ad's token, its kommun (None: unresolved), when, and SEK per hour."""

    ad_token: str
    kommun_code: str | None
    observed_at: datetime
    price_per_hour: int


def iter_price_rows(
    target: StoreOrSession,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    statuses: Iterable[str] = USABLE_STATUSES,
) -> Iterator[PriceRow]:
    """Priced observations of runs with the given statuses (since <= observed_at < until), oldest first."""
    statement = (
        select(Observation.ad_token, Observation.kommun_code, Observation.observed_at, Observation.price_per_hour)
        .join(CrawlRun, CrawlRun.id == Observation.run_id)
        .where(CrawlRun.status.in_(tuple(statuses)), Observation.price_per_hour.is_not(None))
        .order_by(Observation.observed_at, Observation.id)
        .execution_options(yield_per=STREAM_CHUNK)
    )
    statement = observed_between(statement, Observation.observed_at, since, until)
    with session_scope(target) as session:
        for row in session.exec(statement):
            yield PriceRow(*row)
