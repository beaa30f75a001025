"""Fixtures for store tests (the database fixtures themselves are in tests/conftest.py)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

import pytest

from parsers.records import ObservedAd


MakeAd = Callable[..., ObservedAd]


@pytest.fixture
def make_ad() -> MakeAd:
    """Build an ObservedAd with token-like defaults; override any field by keyword."""

    def build(ad_token: str, **fields: object) -> ObservedAd:
        values: dict[str, object] = {
            "site": "alpha",
            "ad_token": ad_token,
            "profile_token": None,
            "phone_token": None,
            "kommun_code": "0180",
            "unresolved_reason": None,
            "category": "Kvinna",
            "observed_at": datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc),
            "posted_at": None,
        }
        values.update(fields)
        return ObservedAd(**values)  # type: ignore[arg-type]

    return build

