"""The only place SQL happens: schema, migrations and one module per kind of record kept.

runs, run_health, observations, places, leases, aggregates, signals, prices, demand and accounts;
session holds the helpers they share, columnar the bulk reads analysis counts from.
`Store` and `open_store` are loaded on first use, so importing `store.errors` alone stays cheap.
"""
from store.errors import StoreError

__all__ = ["Store", "StoreError", "open_store"]


def __getattr__(name: str):
    if name in ("Store", "open_store"):
        from store import db

        return getattr(db, name)
    raise AttributeError(f"module 'store' has no attribute {name!r}")
