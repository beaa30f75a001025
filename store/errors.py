"""The errors the store raises for problems a user can act on (light to import, for the command line)."""
from __future__ import annotations


class StoreError(Exception):
    """A storage problem described in one line (never containing ad data or passwords)."""


class LeaseHeld(StoreError):
    """The lease is held by another live process (`lease` says which)."""

    def __init__(self, message: str, lease) -> None:
        super().__init__(message)
        self.lease = lease
