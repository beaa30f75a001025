"""Deduplication: sightings grouped into adverts, across reposts (bumps) and cross-posts (issue 6).

A site lists one advert under a new id when it is reposted or bumped, and an advert is often
cross-posted to several sites at once. Stored sightings carry keyed tokens and a keyed MinHash
sketch of the ad's wording (parsers/sketches.py), never the text. Two ad tokens are one advert when

* **repost:** same site and profile token, sketches at least REPOST_MIN_SIMILARITY alike, and not
  listed side by side (a near-identical copy, CROSS_POST_MIN_SIMILARITY, may be: a double post);
* **cross-post:** different sites, sketches at least CROSS_POST_MIN_SIMILARITY alike (copied wording),
  seen within CROSS_POST_WINDOW of each other, and no conflicting phone tokens (both known, no common one);
  of an ad's candidates on another site only the most alike count (both ways);
* **move:** different sites, one ad's listing ends and the other's starts within CROSS_POST_WINDOW, the
  same phone token (never shown under two profiles of one site at once: a shared phone), sketches at
  least REPOST_MIN_SIMILARITY alike, the first not reposted on its own site and the second no repost there — an advert that moved to another site (a site closed) while its
  wording drifted (a touring advert names a new city every week); each ad moves to at most one
  successor, the closest in time first.

Adverts are the connected components of these links. Wording with fewer than MIN_SHINGLES shingles
is too short to tell adverts apart and never links across sites. Candidate pairs of sketches come
from locality-sensitive hashing (BANDS bands of BAND_SLOTS slots, exact on equal bands) and are then
checked slot by slot, so the work grows with the number of similar pairs, not with its square.

Everything here is a pure function of rows (store.signals.SignalRow or anything with the same
attributes), and nothing is reported per ad: advert ids feed counts and signals only.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Protocol, Sequence

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from analysis.counts import (
    LEVELS, UNRESOLVED, CountRow, CountTable, all_region_codes, cell_key, region_display_name, region_key,
)
from analysis.periods import local_date, period_label
from config.geo import Geography
from parsers.sketches import SLOTS, SketchError, sketch_matrix

REPOST_MIN_SIMILARITY = 0.5
CROSS_POST_MIN_SIMILARITY = 0.9
CROSS_POST_WINDOW = timedelta(days=14)
MIN_SHINGLES = 8
BAND_SLOTS = 3
BANDS = SLOTS // BAND_SLOTS
MAX_BAND_GROUP = 1_000  # a larger group of equal bands is linked as a star, not pair by pair
MAX_PROFILE_ADS = 2_000  # ads of one profile on one site compared pairwise at most
COUNT_MEASURES = ("active_ads", "active_adverts")


class SightingLike(Protocol):
    site: str
    ad_token: str
    profile_token: str | None
    phone_token: str | None
    kommun_code: str | None
    observed_at: datetime
    text_sketch: str | None


@dataclass(frozen=True)
class AdUnit:
    """Everything the sightings of one ad token say about it."""

    ad_token: str
    site: str
    profile_tokens: frozenset[str]
    phone_tokens: frozenset[str]
    sketches: tuple[str, ...]
    seen_at: tuple[datetime, ...]  # distinct sighting times, sorted


def ad_units(rows: Iterable[SightingLike]) -> dict[str, AdUnit]:
    """Per ad token: its site, profile and phone tokens, wording sketches and sighting times."""
    parts: dict[str, tuple[str, set, set, dict, set]] = {}
    for row in rows:
        entry = parts.get(row.ad_token)
        if entry is None:
            entry = parts[row.ad_token] = (row.site, set(), set(), {}, set())
        if row.profile_token:
            entry[1].add(row.profile_token)
        if row.phone_token:
            entry[2].add(row.phone_token)
        if row.text_sketch:
            entry[3].setdefault(row.text_sketch, None)
        entry[4].add(row.observed_at)
    return {token: AdUnit(token, site, frozenset(profiles), frozenset(phones), tuple(sketches), tuple(sorted(times)))
            for token, (site, profiles, phones, sketches, times) in parts.items()}


# --- similar sketches --------------------------------------------------------------------------

def _valid_matrix(sketches: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Slot matrix and shingle counts; a value that is not a sketch gets count 0 (it matches nothing)."""
    try:
        return sketch_matrix(sketches)
    except (SketchError, ValueError):
        slots = np.zeros((len(sketches), SLOTS), dtype=np.uint16)
        counts = np.zeros(len(sketches), dtype=np.int64)
        for i, sketch in enumerate(sketches):
            try:
                row_slots, row_count = sketch_matrix([sketch])
            except (SketchError, ValueError):
                continue
            slots[i], counts[i] = row_slots[0], row_count[0]
        return slots, counts


def similar_pairs(sketches: Sequence[str], min_similarity: float, *, min_shingles: int = MIN_SHINGLES
                  ) -> list[tuple[int, int]]:
    """Index pairs (i < j) of distinct sketches whose share of equal slots is at least `min_similarity`.

    Sketches of fewer than `min_shingles` shingles take no part. Candidates share one band of
    BAND_SLOTS slots exactly (LSH); each is checked on all slots.
    """
    if len(sketches) < 2:
        return []
    slots, counts = _valid_matrix(sketches)
    eligible = np.flatnonzero(counts >= min_shingles)
    if len(eligible) < 2:
        return []
    need = math.ceil(min_similarity * SLOTS - 1e-9)
    sub = slots[eligible].astype(np.uint64)
    candidates: set[tuple[int, int]] = set()
    for band in range(BANDS):
        columns = sub[:, band * BAND_SLOTS:(band + 1) * BAND_SLOTS]
        keys = np.zeros(len(sub), dtype=np.uint64)
        for k in range(BAND_SLOTS):
            keys = (keys << np.uint64(16)) | columns[:, k]
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
        ends = np.r_[starts[1:], len(order)]
        for start, end in zip(starts, ends):
            if end - start < 2:
                continue
            members = order[start:end].tolist()
            if len(members) > MAX_BAND_GROUP:
                candidates.update((min(members[0], m), max(members[0], m)) for m in members[1:])
            else:
                candidates.update((a, b) for i, a in enumerate(members) for b in members[i + 1:])
    if not candidates:
        return []
    pairs = np.array(sorted(candidates), dtype=np.int64)
    equal = (sub[pairs[:, 0]] == sub[pairs[:, 1]]).sum(axis=1)
    kept = pairs[equal >= need]
    return [(int(eligible[a]), int(eligible[b])) for a, b in kept]


def _best_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """The highest share of equal slots between any sketch of one set and any of the other."""
    if not len(a) or not len(b):
        return 0.0
    return float((a[:, None, :] == b[None, :, :]).sum(axis=2).max()) / SLOTS


# --- adverts -----------------------------------------------------------------------------------

def components(nodes: Sequence[str], edges: Iterable[tuple[int, int]]) -> dict[str, str]:
    """Connected components of nodes; each named by its smallest member."""
    edge_list = list(edges)
    n = len(nodes)
    if n == 0:
        return {}
    if edge_list:
        rows, cols = zip(*edge_list)
        graph = coo_matrix((np.ones(len(edge_list), dtype=np.int8), (rows, cols)), shape=(n, n))
        _, labels = connected_components(graph, directed=False)
    else:
        labels = np.arange(n)
    name: dict[int, str] = {}
    for node, label in zip(nodes, labels.tolist()):
        if label not in name or node < name[label]:
            name[label] = node
    return {node: name[label] for node, label in zip(nodes, labels.tolist())}


@dataclass(frozen=True)
class AdvertClusters:
    """Which ad tokens are one advert: `advert_of[ad_token]` is the advert's id (its smallest ad token)."""

    advert_of: dict[str, str]
    repost_links: int
    cross_post_links: int
    move_links: int = 0

    @property
    def adverts(self) -> int:
        return len(set(self.advert_of.values()))

    def members(self) -> dict[str, list[str]]:
        grouped: dict[str, list[str]] = defaultdict(list)
        for token, advert in self.advert_of.items():
            grouped[advert].append(token)
        return dict(grouped)


def _near_in_time(a: AdUnit, b: AdUnit, window: timedelta) -> bool:
    gap = max(a.seen_at[0], b.seen_at[0]) - min(a.seen_at[-1], b.seen_at[-1])
    return gap <= window


def _phones_agree(a: AdUnit, b: AdUnit) -> bool:
    return not (a.phone_tokens and b.phone_tokens and not (a.phone_tokens & b.phone_tokens))


def _repost_links(group: list[str], units: dict[str, AdUnit], slots: np.ndarray,
                  sketch_index: dict[str, int]) -> list[tuple[str, str]]:
    """Links among one profile's ads on one site: each ad to the one it replaced (or duplicates).

    A repost takes the place of an earlier ad that is no longer listed. Every ad gets at most one
    predecessor and one successor, the closest in time first (then the most similar), so a chain of
    reposts is followed link by link even when its wording drifts (a touring advert names a new
    city every week), and a person's other advert cannot take a place already filled. Ads listed
    side by side link only when near-identical (a double post).
    """
    own = [slots[[sketch_index[s] for s in units[t].sketches]] for t in group]
    candidates = []
    links = []
    for i, a in enumerate(group):
        for j in range(i + 1, len(group)):
            b = group[j]
            best = _best_similarity(own[i], own[j])
            if best < REPOST_MIN_SIMILARITY:
                continue
            ua, ub = units[a], units[b]
            if set(ua.seen_at) & set(ub.seen_at):
                if best >= CROSS_POST_MIN_SIMILARITY:
                    links.append((a, b))  # listed twice at once
                continue
            earlier, later = (a, b) if ua.seen_at[-1] < ub.seen_at[0] else (b, a)
            if units[earlier].seen_at[-1] >= units[later].seen_at[0]:
                continue  # interleaved sightings: not one replacing the other
            gap = units[later].seen_at[0] - units[earlier].seen_at[-1]
            candidates.append((gap, -best, earlier, later))
    has_successor: set[str] = set()
    has_predecessor: set[str] = set()
    for _, _, earlier, later in sorted(candidates):
        if earlier in has_successor or later in has_predecessor:
            continue
        has_successor.add(earlier)
        has_predecessor.add(later)
        links.append((earlier, later))
    return links


def _shared_phone(group: list[str], units: dict[str, AdUnit]) -> bool:
    """True when a phone shows under two profiles of one site at once (a shared phone: moves are ambiguous)."""
    profiles_at: dict[tuple[str, datetime], set[str]] = defaultdict(set)
    for token in group:
        unit = units[token]
        for moment in unit.seen_at:
            profiles_at[(unit.site, moment)] |= unit.profile_tokens
    return any(len(profiles) > 1 for profiles in profiles_at.values())


def cluster_units(units: dict[str, AdUnit]) -> AdvertClusters:
    """Adverts from ad units (see the module docstring for the rules)."""
    tokens = sorted(units)
    index = {token: i for i, token in enumerate(tokens)}
    sketches = sorted({s for unit in units.values() for s in unit.sketches})
    sketch_index = {s: i for i, s in enumerate(sketches)}
    slots, counts = _valid_matrix(sketches)
    edges: list[tuple[int, int]] = []

    # Reposts: ads of one profile on one site.
    by_profile: dict[tuple[str, str], list[str]] = defaultdict(list)
    for token in tokens:
        unit = units[token]
        for profile in unit.profile_tokens:
            by_profile[(unit.site, profile)].append(token)
    reposts = 0
    continued: set[str] = set()  # ads followed by a repost on their own site
    reposted: set[str] = set()  # ads that are a repost of one on their own site
    for group in by_profile.values():
        if len(group) < 2 or len(group) > MAX_PROFILE_ADS:
            continue
        for a, b in _repost_links(group, units, slots, sketch_index):
            edges.append((index[a], index[b]))
            reposts += 1
            if units[a].seen_at[-1] < units[b].seen_at[0]:
                continued.add(a)
                reposted.add(b)

    # Cross-posts: copied wording on another site at about the same time.
    holders: dict[int, list[str]] = defaultdict(list)
    for token in tokens:
        for s in units[token].sketches:
            if counts[sketch_index[s]] >= MIN_SHINGLES:
                holders[sketch_index[s]].append(token)
    scores: dict[tuple[str, str], float] = {}

    def consider(group_a: list[str], group_b: list[str], score: float) -> None:
        for a in group_a:
            for b in group_b:
                ua, ub = units[a], units[b]
                if ua.site != ub.site and _near_in_time(ua, ub, CROSS_POST_WINDOW) and _phones_agree(ua, ub):
                    pair = (min(a, b), max(a, b))
                    scores[pair] = max(score, scores.get(pair, 0.0))

    for holder in holders.values():  # the very same wording
        if 1 < len(holder) <= MAX_BAND_GROUP:
            consider(holder, holder, 1.0)
    for i, j in similar_pairs(sketches, CROSS_POST_MIN_SIMILARITY):
        if len(holders.get(i, ())) * len(holders.get(j, ())) <= MAX_BAND_GROUP ** 2:
            share = float((slots[i] == slots[j]).sum()) / SLOTS
            consider(holders.get(i, []), holders.get(j, []), share)
    # An ad is one listing of its advert per site: of its candidates on another site only the most
    # alike count (both ways), so two network adverts differing in a name are not taken for one.
    best: dict[tuple[str, str], float] = defaultdict(float)
    for (a, b), score in scores.items():
        best[(a, units[b].site)] = max(best[(a, units[b].site)], score)
        best[(b, units[a].site)] = max(best[(b, units[a].site)], score)
    cross = 0
    for (a, b), score in scores.items():
        if score >= best[(a, units[b].site)] and score >= best[(b, units[a].site)]:
            edges.append((index[a], index[b]))
            cross += 1
    # Moves: an advert continued on another site under the same phone (a closed site's advertisers).
    moves = _move_links(tokens, units, slots, sketch_index, continued, reposted)
    edges += [(index[a], index[b]) for a, b in moves]
    return AdvertClusters(components(tokens, edges), reposts, cross, len(moves))


def _move_links(tokens: list[str], units: dict[str, AdUnit], slots: np.ndarray, sketch_index: dict[str, int],
                continued: set[str], reposted: set[str]) -> list[tuple[str, str]]:
    """Links from an ad that ended on one site to the ad its advert went on as on another (see the docstring)."""
    by_phone: dict[str, list[str]] = defaultdict(list)
    for token in tokens:
        for phone in units[token].phone_tokens:
            by_phone[phone].append(token)
    candidates = []
    for group in by_phone.values():
        if len(group) < 2 or len(group) > MAX_PROFILE_ADS or _shared_phone(group, units):
            continue
        own = {t: slots[[sketch_index[s] for s in units[t].sketches]] for t in group}
        for a in group:
            if a in continued:
                continue  # its advert goes on where it was: not a move
            for b in group:
                ua, ub = units[a], units[b]
                if b in reposted or ua.site == ub.site:
                    continue
                if not ua.seen_at[-1] < ub.seen_at[0] <= ua.seen_at[-1] + CROSS_POST_WINDOW:
                    continue
                best = _best_similarity(own[a], own[b])
                if best >= REPOST_MIN_SIMILARITY:
                    candidates.append((ub.seen_at[0] - ua.seen_at[-1], -best, a, b))
    moved_from: set[str] = set()
    moved_to: set[str] = set()
    links = []
    for _, _, a, b in sorted(candidates):
        if a not in moved_from and b not in moved_to:
            moved_from.add(a)
            moved_to.add(b)
            links.append((a, b))
    return links


def advert_clusters(rows: Iterable[SightingLike]) -> AdvertClusters:
    """Adverts from sightings: call this with the observations of the window to deduplicate."""
    return cluster_units(ad_units(rows))


def advert_count_table(rows: Iterable[SightingLike], adverts: AdvertClusters, geography: Geography,
                       level: str, period: str) -> CountTable:
    """Raw listings (`active_ads`, distinct ad tokens) and deduplicated adverts (`active_adverts`)
    per region and period; every region appears, zeros included. Unprotected: pass it through
    analysis.disclosure before publishing.
    """
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; use one of {', '.join(LEVELS)}")
    ads: dict[tuple[str, str], set[str]] = defaultdict(set)
    deduped: dict[tuple[str, str], set[str]] = defaultdict(set)
    labels: dict[datetime, str] = {}
    regions: dict[str | None, str] = {}
    for row in rows:
        label = labels.get(row.observed_at)
        if label is None:
            label = labels[row.observed_at] = period_label(local_date(row.observed_at), period)
        region = regions.get(row.kommun_code)
        if region is None:
            region = regions[row.kommun_code] = region_key(geography, level, row.kommun_code)
        ads[(label, region)].add(row.ad_token)
        deduped[(label, region)].add(adverts.advert_of.get(row.ad_token, row.ad_token))
    return distinct_table(level, period, COUNT_MEASURES, {"active_ads": ads, "active_adverts": deduped}, geography)


def distinct_table(level: str, period: str, measures: Sequence[str], units: dict[str, dict[tuple[str, str], set[str]]],
           geography: Geography) -> CountTable:
    """A CountTable of distinct units per (period, region) and measure, every region listed."""
    keys = {key for by_cell in units.values() for key in by_cell}
    periods = sorted({label for label, _ in keys})
    codes = all_region_codes(geography, level)
    if any(region == UNRESOLVED for _, region in keys):
        codes.append(UNRESOLVED)
    rows = []
    for label in periods:
        for code in codes:
            cell = {measure: units[measure].get((label, code), ()) for measure in measures}
            rows.append(CountRow(label, code, region_display_name(geography, level, code),
                                 {m: len(u) for m, u in cell.items()}, {m: cell_key(u) for m, u in cell.items()}))
    return CountTable(level=level, period=period, measures=tuple(measures), rows=tuple(rows))
