"""Distinct counts of ads, profiles and phone tokens per region and period (the pure core)."""
from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Protocol

from analysis.periods import local_date, period_label
from config.geo import Geography

LEVELS = ("riket", "polisregion", "lan", "kommun")
MEASURES = ("active_ads", "unique_profiles", "unique_phones")
UNRESOLVED = "okand"


class ObservationLike(Protocol):
    ad_token: str
    profile_token: str | None
    phone_token: str | None
    kommun_code: str | None
    observed_at: object


_RECORD_KEY_SCALE = float(2 ** 64)


def record_key(token: str) -> float:
    """A token's persistent record key in [0, 1) for the Cell Key Method."""
    digest = hashlib.blake2b(token.encode("utf-8"), digest_size=8, person=b"lagesbild-ckm").digest()
    return int.from_bytes(digest, "big") / _RECORD_KEY_SCALE


def cell_key(tokens) -> float:
    """The cell key: the sum of its units' record keys, modulo 1. The same units always give the same key."""
    return math.fsum(record_key(token) for token in tokens) % 1.0  # fsum: exact, so order never matters


@dataclass(frozen=True)
class CountRow:
    period: str
    region_code: str
    region_name: str
    values: dict[str, int]
    cell_keys: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class CountTable:
    """Exact (unprotected) counts. Never publish one directly: pass it through analysis.disclosure."""

    level: str
    period: str
    measures: tuple[str, ...]
    rows: tuple[CountRow, ...]

    def value(self, period: str, region_code: str, measure: str) -> int:
        for row in self.rows:
            if row.period == period and row.region_code == region_code:
                return row.values[measure]
        raise KeyError((period, region_code))


def region_key(geography: Geography, level: str, kommun_code: str | None) -> str:
    """The code of the region at `level` that holds a kommun ('okand' when the place is unresolved)."""
    if level == "riket":
        return "SE"
    if kommun_code is None or kommun_code not in geography.kommuner:
        return UNRESOLVED
    if level == "kommun":
        return kommun_code
    lan = geography.lan_of(kommun_code)
    if level == "lan":
        return lan.code
    if level == "polisregion":
        return lan.polisregion
    raise ValueError(f"unknown level {level!r}; use one of {', '.join(LEVELS)}")


def all_region_codes(geography: Geography, level: str) -> list[str]:
    """Every region at a level, in official order (so zero cells are published too)."""
    if level == "riket":
        return ["SE"]
    if level == "polisregion":
        return list(geography.polisregioner)
    if level == "lan":
        return sorted(geography.lan)
    if level == "kommun":
        return sorted(geography.kommuner)
    raise ValueError(f"unknown level {level!r}; use one of {', '.join(LEVELS)}")


def region_display_name(geography: Geography, level: str, code: str) -> str:
    if code == UNRESOLVED:
        return "Okänd plats"
    return geography.region_name(level, code)


def count_observations(
    observations: Iterable[ObservationLike],
    geography: Geography,
    level: str,
    period: str,
) -> CountTable:
    """Distinct ad, profile and phone tokens per (period, region); every region appears, zeros included."""
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; use one of {', '.join(LEVELS)}")
    ads: dict[tuple[str, str], set[str]] = defaultdict(set)
    profiles: dict[tuple[str, str], set[str]] = defaultdict(set)
    phones: dict[tuple[str, str], set[str]] = defaultdict(set)
    label_of: dict[object, str] = {}
    region_of: dict[str | None, str] = {}
    for obs in observations:
        label = label_of.get(obs.observed_at)
        if label is None:
            label = label_of[obs.observed_at] = period_label(local_date(obs.observed_at), period)
        region = region_of.get(obs.kommun_code)
        if region is None:
            region = region_of[obs.kommun_code] = region_key(geography, level, obs.kommun_code)
        key = (label, region)
        ads[key].add(obs.ad_token)
        if obs.profile_token:
            profiles[key].add(obs.profile_token)
        if obs.phone_token:
            phones[key].add(obs.phone_token)
    periods = sorted({label for label, _ in ads})
    regions = all_region_codes(geography, level)
    has_unresolved = any(region == UNRESOLVED for _, region in ads)
    if has_unresolved:
        regions.append(UNRESOLVED)
    rows = []
    for label in periods:
        for code in regions:
            key = (label, code)
            units = {"active_ads": ads.get(key, ()), "unique_profiles": profiles.get(key, ()),
                     "unique_phones": phones.get(key, ())}
            rows.append(CountRow(
                period=label,
                region_code=code,
                region_name=region_display_name(geography, level, code),
                values={measure: len(tokens) for measure, tokens in units.items()},
                cell_keys={measure: cell_key(tokens) for measure, tokens in units.items()},
            ))
    return CountTable(level=level, period=period, measures=MEASURES, rows=tuple(rows))
