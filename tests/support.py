"""Small shared helpers for the tests (importable because pytest puts tests/ on sys.path)."""
from __future__ import annotations

from datetime import datetime
from typing import NamedTuple


class Obs(NamedTuple):
    """An observation row as analysis reads it, for synthetic inputs."""

    ad_token: str
    profile_token: str | None
    phone_token: str | None
    kommun_code: str | None
    observed_at: datetime
