"""Signal rows: observations with their wording sketches and ad features, for deduplication,
organisation and mobility analysis (issue 6)."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select

from store.models import CrawlRun, Observation, Site
from store.observations import AD_FEATURE_COLUMNS
from store.runs import USABLE_STATUSES
from store.session import STREAM_CHUNK, StoreOrSession, observed_between, session_scope


class SignalRow(NamedTuple):
    """One stored observation with its wording sketches and ad features (issue 6 signals)."""

    site: str
    ad_token: str
    profile_token: str | None
    phone_token: str | None
    kommun_code: str | None
    observed_at: datetime
    text_sketch: str | None
    template_sketch: str | None
    obscured_phone: bool | None
    stated_ethnicity: bool | None
    youth_language: bool | None
    trust_language: bool | None
    stated_touring: bool | None
    tour_kommun_code: str | None


def iter_signal_rows(
    target: StoreOrSession,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    statuses: Iterable[str] = USABLE_STATUSES,
) -> Iterator[SignalRow]:
    """Stream observations of usable runs with their sketches and features, oldest sighting first."""
    statement = (
        select(
            Site.name, Observation.ad_token, Observation.profile_token, Observation.phone_token,
            Observation.kommun_code, Observation.observed_at, Observation.text_sketch,
            Observation.template_sketch, *(getattr(Observation, name) for name in AD_FEATURE_COLUMNS),
            Observation.tour_kommun_code,
        )
        .join(CrawlRun, CrawlRun.id == Observation.run_id)
        .join(Site, Site.id == Observation.site_id)
        .where(CrawlRun.status.in_(tuple(statuses)))
        .order_by(Observation.observed_at, Observation.id)
        .execution_options(yield_per=STREAM_CHUNK)
    )
    statement = observed_between(statement, Observation.observed_at, since, until)
    with session_scope(target) as session:
        for row in session.exec(statement):
            yield SignalRow(*row)
