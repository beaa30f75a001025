"""The one error type raised by the store for problems a user can act on."""
from __future__ import annotations


class StoreError(Exception):
    """A storage problem described in one line (never containing ad data or passwords)."""
