"""The only place SQL happens: schema, migrations and one module per kind of record kept.

runs, run_health, observations, places, leases, aggregates, signals, prices, demand and accounts;
session holds the helpers they share, columnar the bulk reads analysis counts from.
"""
from store.db import Store, open_store
from store.errors import StoreError

__all__ = ["Store", "StoreError", "open_store"]
