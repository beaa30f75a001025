"""Columnar counting: every level × period count table from one read of the store, with numpy.

`count_observations` (analysis.counts) is the reference: it streams rows into Python sets, one table
at a time. This engine gives the same tables — the same values and the same cell keys, bit for bit —
from `store.columnar.ObservationColumns`, so a year of daily crawls (millions of sightings) is read
once and every table is computed from small integer arrays:

1. every row gets its Swedish calendar day (from the UTC hour) and so its period label;
2. rows become *variants*, the distinct (ad, profile, phone, kommun, category) combinations — nearly
   one per ad, since an ad keeps its profile, phone and place;
3. per period kind, the distinct (variant, period) pairs (a bitmap, no sort);
4. per level and measure, the distinct (token, region, period) triples of those pairs, counted per cell.

Distinct counts never add across days or regions, so nothing is summed: every level counts distinct
tokens itself, exactly as the reference does.

Measures beyond the reference's three: `new_ads` (ads whose first sighting in the whole store falls in
the period; in the store's first period every ad is new, so that period is *censored* — see
`Prepared.first_labels`) and one count of ads per category (`ads_kvinna`, …; CATEGORY_MEASURES).
"""
from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np

from analysis.counts import (
    LEVELS,
    MEASURES,
    UNRESOLVED,
    CountRow,
    CountTable,
    all_region_codes,
    region_display_name,
)
from analysis.periods import PERIODS, local_date, period_label
from config.geo import Geography
from parsers.records import CATEGORIES
from store.columnar import ObservationColumns

NEW_ADS = "new_ads"


def _slug(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return "".join(ch if ch.isalnum() else "_" for ch in folded.lower())


# Ads per category: measure name -> category as stored (Observation.category).
CATEGORY_MEASURES: dict[str, str] = {f"ads_{_slug(category)}": category for category in CATEGORIES}
EXTRA_MEASURES: tuple[str, ...] = (NEW_ADS, *CATEGORY_MEASURES)
ALL_MEASURES: tuple[str, ...] = (*MEASURES, *EXTRA_MEASURES)

_PART_BITS = 22
_PART_MASK = (1 << _PART_BITS) - 1
_CKM_PERSON = b"lagesbild-ckm"  # as analysis.counts.record_key


def _hour_start(hour: int) -> datetime:
    return datetime.fromtimestamp(int(hour) * 3600, tz=timezone.utc)


def _key_parts(tokens: tuple[str, ...]) -> np.ndarray:
    """Each token's record key as an exact integer k (record_key == k / 2**64), in three 22-bit parts.

    record_key rounds the 64-bit digest to a float; numpy's uint64 → float64 conversion rounds the same
    way (to nearest, ties to even), and splitting an integer-valued float by powers of two is exact.
    """
    digests = b"".join(hashlib.blake2b(token.encode("utf-8"), digest_size=8, person=_CKM_PERSON).digest()
                       for token in tokens)
    k = np.frombuffer(digests, dtype=">u8").astype(np.float64)
    high = np.floor(k / 2.0 ** (2 * _PART_BITS))
    rest = k - high * 2.0 ** (2 * _PART_BITS)
    middle = np.floor(rest / 2.0 ** _PART_BITS)
    return np.stack([high, middle, rest - middle * 2.0 ** _PART_BITS])


def _cell_key(sums: tuple[float, float, float]) -> float:
    """The cell key from exact sums of the parts: the same float as math.fsum(keys) % 1.0."""
    total = (int(sums[0]) << (2 * _PART_BITS)) + (int(sums[1]) << _PART_BITS) + int(sums[2])
    return (total / 2 ** 64) % 1.0  # int / int is correctly rounded, as fsum is


@dataclass(frozen=True)
class _Pairs:
    """Distinct (variant, period) pairs of one period kind."""

    variant: np.ndarray
    period: np.ndarray  # index into Prepared.labels[kind]


class Prepared:
    """Observation columns made ready for counting; build once, then ask for any number of tables.

    `since_hour`/`until_hour` (UTC hours since 1970) bound the window counted; first sightings (for
    new ads) are taken over every row given, inside the window or not.
    """

    def __init__(self, columns: ObservationColumns, geography: Geography, *,
                 since_hour: int | None = None, until_hour: int | None = None) -> None:
        self.columns = columns
        self.geography = geography
        n = len(columns)
        self.rows = n
        hours = columns.hour
        self._hmin = int(hours.min()) if n else 0
        span = (int(hours.max()) - self._hmin + 1) if n else 0
        present = np.zeros(span, dtype=bool)
        present[hours - self._hmin] = True
        self._present_hours = np.flatnonzero(present)
        days = [local_date(_hour_start(h + self._hmin)) for h in self._present_hours]
        # Period labels, sorted (labels sort in time order), and a lookup from hour to label index.
        self.labels: dict[str, tuple[str, ...]] = {}
        self._label_lut: dict[str, np.ndarray] = {}
        for kind in PERIODS:
            per_hour = [period_label(day, kind) for day in days]
            labels = tuple(sorted(set(per_hour)))
            index = {label: i for i, label in enumerate(labels)}
            lut = np.zeros(span, dtype=np.int32)
            lut[self._present_hours] = [index[label] for label in per_hour]
            self.labels[kind] = labels
            self._label_lut[kind] = lut
        mask = np.ones(n, dtype=bool)
        if since_hour is not None:
            mask &= hours >= since_hour
        if until_hour is not None:
            mask &= hours < until_hour
        self._window = mask
        self._variants()
        self._first_hour = self._first_sightings()
        self._pairs: dict[tuple[str, frozenset], _Pairs] = {}
        self._parts: dict[str, np.ndarray] = {}

    @property
    def window(self) -> np.ndarray:
        """Which rows fall inside the window counted."""
        return self._window

    # --- preparation ------------------------------------------------------------

    def _variants(self) -> None:
        c = self.columns
        n = self.rows
        ads = len(c.ad_tokens)
        ad = c.ad.astype(np.int64)
        representative = np.zeros(ads, dtype=np.int64)
        representative[ad] = np.arange(n)  # any row of each ad
        rep = representative[ad]
        odd = (c.profile != c.profile[rep]) | (c.phone != c.phone[rep]) | (c.kommun != c.kommun[rep]) \
            | (c.category != c.category[rep])
        variant = ad.copy()
        var_ad = np.arange(ads, dtype=np.int64)
        var_rows = representative
        if odd.any():  # an ad seen with another profile, phone, place or category: one variant per combination
            combos = np.stack([ad[odd], c.profile[odd], c.phone[odd], c.kommun[odd], c.category[odd]], axis=1)
            uniq, first, inverse = np.unique(combos, axis=0, return_index=True, return_inverse=True)
            variant[odd] = ads + inverse.ravel()
            var_ad = np.concatenate([var_ad, uniq[:, 0]])
            var_rows = np.concatenate([representative, np.flatnonzero(odd)[first]])
        self._variant = variant
        self.var_ad = var_ad
        # Ads with one variant: their (variant, period) pairs are already distinct (ad, region, period).
        self._single = np.bincount(var_ad, minlength=ads) <= 1 if var_ad.size else np.zeros(0, dtype=bool)
        if not n:
            var_ad = var_rows = np.zeros(0, dtype=np.int64)
            self.var_ad = var_ad
        self.var_profile = c.profile[var_rows].astype(np.int64)
        self.var_phone = c.phone[var_rows].astype(np.int64)
        self.var_kommun = c.kommun[var_rows].astype(np.int64)
        self.var_category = c.category[var_rows].astype(np.int64)

    def _first_sightings(self) -> np.ndarray:
        first = np.full(len(self.columns.ad_tokens), np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(first, self.columns.ad.astype(np.int64), self.columns.hour)
        return first

    def first_labels(self) -> dict[str, str | None]:
        """Per period kind, the label of the first period of the data: its new ads are censored
        (every ad seen then counts as new, including those posted before the store began)."""
        return {kind: (labels[0] if labels else None) for kind, labels in self.labels.items()}

    def period_index(self, kind: str) -> np.ndarray:
        """Each row's period (index into labels[kind])."""
        return self._label_lut[kind][self.columns.hour - self._hmin]

    def _pairs_for(self, kind: str, exclude: frozenset[str]) -> _Pairs:
        key = (kind, exclude)
        found = self._pairs.get(key)
        if found is not None:
            return found
        labels = self.labels[kind]
        period = self.period_index(kind)
        mask = self._window
        if exclude:
            excluded = np.array([label in exclude for label in labels], dtype=bool)
            mask = mask & ~excluded[period]
        variants = self.var_ad.size
        width = max(len(labels), 1)
        seen = np.zeros(variants * width, dtype=bool)
        seen[self._variant[mask] * width + period[mask]] = True
        flat = np.flatnonzero(seen)
        found = self._pairs[key] = _Pairs(flat // width, (flat % width).astype(np.int64))
        return found

    def _weights(self, kind: str) -> np.ndarray:
        parts = self._parts.get(kind)
        if parts is None:
            tokens = {"ad": self.columns.ad_tokens, "profile": self.columns.profile_tokens,
                      "phone": self.columns.phone_tokens}[kind]
            parts = self._parts[kind] = _key_parts(tokens)
        return parts

    # --- tables -----------------------------------------------------------------

    def _region_lut(self, level: str) -> tuple[list[str], np.ndarray, int]:
        """Region codes of a level (official order, then 'okand'), and each kommun code's region index."""
        codes = all_region_codes(self.geography, level)
        unresolved = len(codes)
        index = {code: i for i, code in enumerate(codes)}
        lut = np.full(len(self.columns.kommun_codes) + 1, unresolved, dtype=np.int64)  # last: no kommun
        for i, kommun in enumerate(self.columns.kommun_codes):
            if level == "riket":
                lut[i] = 0
            elif kommun in self.geography.kommuner:
                if level == "kommun":
                    lut[i] = index[kommun]
                elif level == "lan":
                    lut[i] = index[self.geography.lan_of(kommun).code]
                else:
                    lut[i] = index[self.geography.polisregion_of(kommun)]
        if level == "riket":
            lut[:] = 0
        return codes, lut, unresolved

    def table(self, level: str, period: str, measures: Iterable[str] = MEASURES, *,
              exclude: Iterable[str] = (), cell_keys: bool = True) -> CountTable:
        """The count table at one level and period, shaped exactly as count_observations shapes it.

        `exclude` leaves periods out (labels frozen by a purge); `cell_keys=False` skips the cell keys
        (they are only needed by the Cell Key Method).
        """
        if level not in LEVELS:
            raise ValueError(f"unknown level {level!r}; use one of {', '.join(LEVELS)}")
        if period not in PERIODS:
            raise ValueError(f"unknown period {period!r}; use one of {', '.join(PERIODS)}")
        measures = tuple(measures)
        unknown = [m for m in measures if m not in ALL_MEASURES]
        if unknown:
            raise ValueError(f"unknown measure {unknown[0]!r}")
        pairs = self._pairs_for(period, frozenset(exclude))
        codes, lut, unresolved = self._region_lut(level)
        regions = len(codes) + 1
        kommun = self.var_kommun[pairs.variant]
        region = lut[np.where(kommun < 0, lut.size - 1, kommun)]
        present = _unique(pairs.period)
        has_unresolved = bool((region == unresolved).any())
        listed = list(codes) + ([UNRESOLVED] if has_unresolved else [])
        cell = pairs.period * regions + region
        cells = len(self.labels[period]) * regions

        values: dict[str, np.ndarray] = {}
        keys: dict[str, list[np.ndarray]] = {}
        ad = self.var_ad[pairs.variant]
        single = self._single[ad]

        def ads_in(chosen: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
            """Distinct (cell, ad) of the chosen pairs: only ads with several variants need sorting."""
            alone = single if chosen is None else single & chosen
            several = ~single if chosen is None else ~single & chosen
            cells_, ads_ = _distinct(cell[several], ad[several])
            return np.concatenate([cell[alone], cells_]), np.concatenate([ad[alone], ads_])

        for measure in measures:
            if measure == "active_ads":
                units, kind = ads_in(None), "ad"
            elif measure == "unique_profiles":
                units, kind = _distinct(cell, self.var_profile[pairs.variant]), "profile"
            elif measure == "unique_phones":
                units, kind = _distinct(cell, self.var_phone[pairs.variant]), "phone"
            elif measure == NEW_ADS:
                units, kind = ads_in(self._label_lut[period][self._first_hour[ad] - self._hmin] == pairs.period), "ad"
            else:
                category = self.columns.categories.index(CATEGORY_MEASURES[measure]) \
                    if CATEGORY_MEASURES[measure] in self.columns.categories else -1
                units, kind = ads_in(self.var_category[pairs.variant] == category), "ad"
            unit_cells, unit_tokens = units
            values[measure] = np.bincount(unit_cells, minlength=cells).tolist()
            if cell_keys:
                weights = self._weights(kind)[:, unit_tokens]
                keys[measure] = [np.bincount(unit_cells, weights=weights[j], minlength=cells).tolist()
                                 for j in range(3)]

        rows = []
        slots = [(code, i if code != UNRESOLVED else unresolved,
                  region_display_name(self.geography, level, code)) for i, code in enumerate(listed)]
        for p in present.tolist():
            label = self.labels[period][p]
            for code, r, name in slots:
                c = p * regions + r
                row_values = {m: values[m][c] for m in measures}
                row_keys = {}
                if cell_keys:
                    row_keys = {m: (_cell_key((keys[m][0][c], keys[m][1][c], keys[m][2][c]))
                                    if row_values[m] else 0.0) for m in measures}
                rows.append(CountRow(label, code, name, row_values, row_keys))
        return CountTable(level=level, period=period, measures=measures, rows=tuple(rows))

    def tables(self, keys: Iterable[tuple[str, str]], measures: Iterable[str] = MEASURES, *,
               exclude: Mapping[tuple[str, str], Iterable[str]] | None = None,
               cell_keys: bool = True) -> dict[tuple[str, str], CountTable]:
        """Several (level, period) tables at once."""
        measures = tuple(measures)
        exclude = exclude or {}
        return {(level, period): self.table(level, period, measures, exclude=exclude.get((level, period), ()),
                                            cell_keys=cell_keys)
                for level, period in keys}


def _distinct(cell: np.ndarray, token: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct (cell, token) pairs, tokens < 0 (none) left out."""
    keep = token >= 0
    cell, token = cell[keep], token[keep]
    if not cell.size:
        return cell.astype(np.int64), token.astype(np.int64)
    width = int(token.max()) + 1
    joined = _unique(cell.astype(np.int64) * width + token)
    return joined // width, joined % width


def _unique(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values (np.unique's hash path is far slower on large integer arrays)."""
    ordered = np.sort(values)
    if ordered.size < 2:
        return ordered
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]


def count_columns(columns: ObservationColumns, geography: Geography, level: str, period: str,
                  measures: Iterable[str] = MEASURES) -> CountTable:
    """One table straight from columns (see Prepared for many)."""
    return Prepared(columns, geography).table(level, period, measures)
