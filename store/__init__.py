"""The only place SQL happens: schema, migrations and the repository of anonymised observations."""
from store.db import Store, open_store
from store.errors import StoreError

__all__ = ["Store", "StoreError", "open_store"]
