"""Anonymising the demand side in memory: buyers' ads and buyer reviews in, keyed tokens and a kommun out.

A review's id is tokenised with the site-ad-id subkey in its own namespace ("recension"), so the
same review seen in several crawls is stored once; the reviewer's handle with its own HKDF subkey
(`reviewer_handle`), only so that distinct reviewers can be counted within a period. Both keys are
the study period's, like every other token: they stop linking when the period ends.
"""
from __future__ import annotations

from datetime import datetime

from crawler.anonymiser import Tokeniser
from parsers.demand import ObservedRequest, ObservedReview, ReviewRecord
from parsers.places import PlaceResolver
from parsers.records import AdRecord

REVIEW_NAMESPACE = "recension"


def review_token(tokeniser: Tokeniser, site: str, review_id: str) -> str:
    return tokeniser.token("site_ad_id", f"{site}\x1f{REVIEW_NAMESPACE}\x1f{review_id}")


def reviewer_token(tokeniser: Tokeniser, site: str, handle: str | None) -> str | None:
    normalised = " ".join(handle.casefold().split()) if handle else ""
    return tokeniser.token("reviewer_handle", f"{site}\x1f{normalised}") if normalised else None


class DemandAnonymiser:
    """Turns a parsed buyer's ad or review into what may be stored of it."""

    def __init__(self, tokeniser: Tokeniser, places: PlaceResolver) -> None:
        self.tokeniser = tokeniser
        self.places = places

    def __repr__(self) -> str:
        return "DemandAnonymiser(<redacted>)"

    def observe_request(self, record: AdRecord, observed_at: datetime) -> ObservedRequest:
        place = self.places.resolve(record.location_text, context=record.region_context)
        return ObservedRequest(
            site=record.site,
            ad_token=self.tokeniser.site_id("site_ad_id", record.site, record.site_ad_id),
            kommun_code=place.primary,
            unresolved_reason=place.reason,
            observed_at=observed_at,
            posted_at=record.posted_at,
        )

    def observe_review(self, record: ReviewRecord, observed_at: datetime) -> ObservedReview:
        place = self.places.resolve(record.location_text)
        return ObservedReview(
            site=record.site,
            review_token=review_token(self.tokeniser, record.site, record.review_id),
            reviewer_token=reviewer_token(self.tokeniser, record.site, record.reviewer_handle),
            profile_token=self.tokeniser.site_id("site_profile_id", record.site, record.site_profile_id),
            kommun_code=place.primary,
            unresolved_reason=place.reason,
            reviewed_at=record.reviewed_at,
            observed_at=observed_at,
        )
