"""The place resolver a crawl uses: the bundled gazetteer, the user's population file and aliases."""
from __future__ import annotations

from config.geo import load_place_aliases
from config.settings import Settings, load_settings_geography
from parsers.places import PlaceResolver


def build_place_resolver(settings: Settings) -> PlaceResolver:
    aliases_file = settings.resolved_place_aliases_file
    aliases = load_place_aliases(aliases_file) if aliases_file.exists() else ()
    return PlaceResolver(load_settings_geography(settings), extra_aliases=aliases)
