"""Parser fixtures shared by the place-resolution tests."""
from __future__ import annotations

import pytest

from config.geo import Geography, load_geography
from parsers.places import PlaceResolver


@pytest.fixture(scope="module")
def geo() -> Geography:
    return load_geography()


@pytest.fixture(scope="module")
def resolver(geo: Geography) -> PlaceResolver:
    return PlaceResolver(geo)
