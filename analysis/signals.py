"""Organisation signals and ad-feature shares (issue 6): shared-phone clusters, text templates, networks.

These are *signals* for a market picture — profiles and adverts that share a phone or a text
template, adverts stating touring, adverts carrying one of the four features of the NIJ-funded
validation study — never "trafficking scores": nothing is reported per ad, every table is a count
per region and period, and every count passes analysis.disclosure with the stricter signal
threshold (SIGNAL_MEASURES).

- **Phone clusters:** profiles linked by a shared phone token (connected components of the
  profile–phone graph).
- **Person groups:** profiles linked by one advert (a cross-post), taken to be one person.
- **Template clusters:** adverts whose masked-wording sketches (parsers/sketches.py: name, numbers,
  places and proper nouns masked) are at least TEMPLATE_MIN_SIMILARITY alike — near-duplicate texts
  with varying slots; at least two adverts. Candidate pairs come from hashing the sketch slots into
  bands (analysis.dedup.similar_pairs), the graph's components from scipy.
- **Networks:** phone clusters holding at least MIN_NETWORK_PERSONS person groups, or whose adverts
  use a text template that two or more person groups use (a template written for several persons,
  even when only one of them is still seen). Profiles without any phone whose adverts share a
  template with one network join it. A person with profiles on several sites is one person group,
  not a network.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from datetime import date, datetime
from typing import Iterable, Protocol

from analysis import disclosure
from analysis.counts import LEVELS, CountRow, CountTable, cell_key, region_key
from analysis.dedup import MIN_SHINGLES, AdvertClusters, advert_clusters, components, distinct_table, similar_pairs
from analysis.periods import day_bounds, local_date, period_label
from config.geo import Geography
from parsers.sketches import SketchError, decode_sketch
from store.signals import SignalRow, iter_signal_rows

TEMPLATE_MIN_SIMILARITY = 0.8
MIN_NETWORK_PERSONS = 3
FEATURE_MEASURES = {
    "obscured_phone": "obscured_phone_adverts", "stated_ethnicity": "ethnicity_adverts",
    "youth_language": "youth_adverts", "trust_language": "trust_adverts",
}
SIGNAL_TABLE_MEASURES = ("active_adverts", "network_adverts", "template_adverts", "touring_adverts",
                         *FEATURE_MEASURES.values(), "mobile_profiles", "mobile_phones")
# Phone-cluster sizes (profiles seen in the period), as measures of a riket table.
CLUSTER_SIZE_MEASURES = ("phone_clusters_2", "phone_clusters_3_5", "phone_clusters_6_10", "phone_clusters_11_plus")
_SIZE_BOUNDS = ((2, 2), (3, 5), (6, 10), (11, None))


class SignalRowLike(Protocol):
    site: str
    ad_token: str
    profile_token: str | None
    phone_token: str | None
    kommun_code: str | None
    observed_at: datetime
    text_sketch: str | None
    template_sketch: str | None
    obscured_phone: bool | None
    stated_ethnicity: bool | None
    youth_language: bool | None
    trust_language: bool | None
    stated_touring: bool | None


# --- clusters ------------------------------------------------------------------------------------

def phone_clusters(rows: Iterable[SignalRowLike]) -> dict[str, str]:
    """Per profile token with a phone: its shared-phone cluster (named by its smallest profile token)."""
    edges: set[tuple[str, str]] = set()
    for row in rows:
        if row.profile_token and row.phone_token:
            edges.add((row.profile_token, row.phone_token))
    return _bipartite_components(edges)


def _bipartite_components(edges: set[tuple[str, str]]) -> dict[str, str]:
    profiles = sorted({p for p, _ in edges})
    phones = sorted({t for _, t in edges})
    nodes = [f"p{p}" for p in profiles] + [f"t{t}" for t in phones]
    index = {node: i for i, node in enumerate(nodes)}
    named = components(nodes, [(index[f"p{p}"], index[f"t{t}"]) for p, t in edges])
    by_component: dict[str, str] = {}
    for p in profiles:  # name each cluster by its smallest profile token
        component = named[f"p{p}"]
        by_component.setdefault(component, p)
    return {p: by_component[named[f"p{p}"]] for p in profiles}


def person_groups(rows: Iterable[SignalRowLike], adverts: AdvertClusters) -> dict[str, str]:
    """Per profile token: its person group — profiles that carry one advert (a cross-post) are one person."""
    profiles_of_advert: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        if row.profile_token:
            profiles_of_advert[adverts.advert_of.get(row.ad_token, row.ad_token)].add(row.profile_token)
    profiles = sorted({p for group in profiles_of_advert.values() for p in group})
    index = {p: i for i, p in enumerate(profiles)}
    edges = []
    for group in profiles_of_advert.values():
        members = sorted(group)
        edges += [(index[members[0]], index[other]) for other in members[1:]]
    return components(profiles, edges)


def template_clusters(rows: Iterable[SignalRowLike], adverts: AdvertClusters) -> dict[str, str]:
    """Per ad token in a text-template cluster of at least two adverts: the cluster's id.

    Adverts are linked when any of their masked-wording sketches are at least TEMPLATE_MIN_SIMILARITY
    alike; clusters are the connected components (named by their smallest advert id).
    """
    rows = list(rows)
    sketches_of: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        if row.template_sketch and _shingle_count(row.template_sketch) >= MIN_SHINGLES:
            sketches_of[adverts.advert_of.get(row.ad_token, row.ad_token)].add(row.template_sketch)
    advert_ids = sorted(sketches_of)
    index = {a: i for i, a in enumerate(advert_ids)}
    sketches = sorted({s for group in sketches_of.values() for s in group})
    holders: dict[str, list[str]] = defaultdict(list)
    for advert, group in sketches_of.items():
        for s in group:
            holders[s].append(advert)
    edges = [(index[h[0]], index[other]) for h in holders.values() for other in h[1:]]
    for i, j in similar_pairs(sketches, TEMPLATE_MIN_SIMILARITY):
        edges.append((index[holders[sketches[i]][0]], index[holders[sketches[j]][0]]))
    named = components(advert_ids, edges)
    size: dict[str, int] = defaultdict(int)
    for component in named.values():
        size[component] += 1
    result = {}
    for row in rows:
        advert = adverts.advert_of.get(row.ad_token, row.ad_token)
        component = named.get(advert)
        if component is not None and size[component] >= 2:
            result[row.ad_token] = component
    return result


def _shingle_count(sketch: str) -> int:
    try:
        return decode_sketch(sketch)[0]
    except SketchError:
        return 0


def network_clusters(rows: Iterable[SignalRowLike], adverts: AdvertClusters | None = None,
                     templates: dict[str, str] | None = None) -> dict[str, str]:
    """Per profile token in a network (see the module docstring): the network's id.

    A network is a shared-phone cluster of at least MIN_NETWORK_PERSONS person groups, or one whose
    adverts use a template several person groups use, plus phone-less profiles whose adverts share a
    template with it (the network seen most at the same times and län, when several use the template).
    """
    rows = list(rows)
    adverts = adverts if adverts is not None else advert_clusters(rows)
    templates = templates if templates is not None else template_clusters(rows, adverts)
    phones = phone_clusters(rows)
    persons = person_groups(rows, adverts)
    templates_of_profile: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        if row.profile_token and row.ad_token in templates:
            templates_of_profile[row.profile_token].add(templates[row.ad_token])
    members: dict[str, set[str]] = defaultdict(set)
    for profile, cluster in phones.items():
        members[cluster].add(profile)
    # Templates written for several persons (a person group is one person).
    persons_of_template: dict[str, set[str]] = defaultdict(set)
    for profile, own in templates_of_profile.items():
        for template in own:
            persons_of_template[template].add(persons.get(profile, profile))
    shared_templates = {t for t, groups in persons_of_template.items() if len(groups) >= 2}
    networks: dict[str, str] = {}
    for cluster, profiles in members.items():
        groups = {persons.get(p, p) for p in profiles}
        uses_shared_template = any(templates_of_profile.get(p, set()) & shared_templates for p in profiles)
        if len(groups) >= MIN_NETWORK_PERSONS or uses_shared_template:
            for profile in profiles:
                networks[profile] = cluster
    # Phone-less profiles join the network their template points to; when it points to several (two
    # networks using one template), the one seen most at the same times in the same län (the first two
    # digits of a kommun code), then at the same times anywhere — if that settles it.
    seen_at: dict[str, set[tuple[datetime, str]]] = defaultdict(set)
    for row in rows:
        if row.profile_token:
            seen_at[row.profile_token].add((row.observed_at, (row.kommun_code or "")[:2]))
    networks_of_template: dict[str, set[str]] = defaultdict(set)
    seen_in_network: dict[str, set[tuple[datetime, str]]] = defaultdict(set)
    for profile, network in networks.items():
        seen_in_network[network] |= seen_at.get(profile, set())
        for template in templates_of_profile.get(profile, ()):
            networks_of_template[template].add(network)
    for profile, own in templates_of_profile.items():
        if profile in phones:
            continue
        touched = sorted({n for template in own for n in networks_of_template.get(template, ())})
        if len(touched) > 1:
            mine = seen_at.get(profile, set())
            my_times = {t for t, _ in mine}

            def closeness(network: str) -> tuple[int, int]:
                theirs = seen_in_network[network]
                return len(mine & theirs), len(my_times & {t for t, _ in theirs})

            best = max(closeness(n) for n in touched)
            touched = [n for n in touched if closeness(n) == best] if best > (0, 0) else []
        if len(touched) == 1:
            networks[profile] = touched[0]
    return networks


# --- the whole analysis of a window ---------------------------------------------------------------

@dataclass(frozen=True)
class Signals:
    """Dedup, organisation and feature analysis of one window of observations (exact, unprotected)."""

    rows: tuple
    adverts: AdvertClusters
    phone_cluster_of: dict[str, str]
    template_of: dict[str, str]
    network_of: dict[str, str]
    person_of: dict[str, str] = field(default_factory=dict)

    @cached_property
    def network_adverts(self) -> frozenset[str]:
        return frozenset(self.adverts.advert_of.get(r.ad_token, r.ad_token) for r in self.rows
                         if r.profile_token in self.network_of)

    @cached_property
    def template_adverts(self) -> frozenset[str]:
        return frozenset(self.adverts.advert_of.get(t, t) for t in self.template_of)


def analyse(rows: Iterable[SignalRowLike]) -> Signals:
    """Every cluster of one window, computed once."""
    rows = tuple(rows)
    adverts = advert_clusters(rows)
    templates = template_clusters(rows, adverts)
    return Signals(rows, adverts, phone_clusters(rows), templates, network_clusters(rows, adverts, templates),
                   person_groups(rows, adverts))


def signal_table(signals: Signals, geography: Geography, level: str, period: str) -> CountTable:
    """Signal counts per region and period, every region listed (zeros too); unprotected.

    Adverts are deduplicated adverts seen in the cell: all of them (`active_adverts`), those of
    profiles in networks, those in text-template clusters, those stating touring, and those with each
    ad feature. `mobile_profiles`/`mobile_phones`: tokens seen in the cell that were seen in two or
    more kommuner during the period.
    """
    from analysis.mobility import mobile_tokens

    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; use one of {', '.join(LEVELS)}")
    in_network = signals.network_adverts
    in_template = signals.template_adverts
    mobile = mobile_tokens(signals.rows, period)
    units: dict[str, dict[tuple[str, str], set[str]]] = {m: defaultdict(set) for m in SIGNAL_TABLE_MEASURES}
    labels: dict[datetime, str] = {}
    for row in signals.rows:
        label = labels.get(row.observed_at)
        if label is None:
            label = labels[row.observed_at] = period_label(local_date(row.observed_at), period)
        cell = (label, region_key(geography, level, row.kommun_code))
        advert = signals.adverts.advert_of.get(row.ad_token, row.ad_token)
        units["active_adverts"][cell].add(advert)
        if advert in in_network:
            units["network_adverts"][cell].add(advert)
        if advert in in_template:
            units["template_adverts"][cell].add(advert)
        if row.stated_touring:
            units["touring_adverts"][cell].add(advert)
        for feature, measure in FEATURE_MEASURES.items():
            if getattr(row, feature):
                units[measure][cell].add(advert)
        if row.profile_token and row.profile_token in mobile["profile"].get(label, ()):
            units["mobile_profiles"][cell].add(row.profile_token)
        if row.phone_token and row.phone_token in mobile["phone"].get(label, ()):
            units["mobile_phones"][cell].add(row.phone_token)
    return distinct_table(level, period, SIGNAL_TABLE_MEASURES, units, geography)


def cluster_size_table(signals: Signals, period: str) -> CountTable:
    """Shared-phone clusters by size (profiles seen in the period) per period, for the whole country."""
    seen: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    labels: dict[datetime, str] = {}
    for row in signals.rows:
        cluster = signals.phone_cluster_of.get(row.profile_token or "")
        if cluster is None:
            continue
        label = labels.get(row.observed_at)
        if label is None:
            label = labels[row.observed_at] = period_label(local_date(row.observed_at), period)
        seen[label][cluster].add(row.profile_token)
    rows = []
    for label in sorted(seen):
        by_measure: dict[str, list[str]] = {m: [] for m in CLUSTER_SIZE_MEASURES}
        for cluster, profiles in seen[label].items():
            for measure, (low, high) in zip(CLUSTER_SIZE_MEASURES, _SIZE_BOUNDS):
                if len(profiles) >= low and (high is None or len(profiles) <= high):
                    by_measure[measure].append(cluster)
        rows.append(CountRow(label, "SE", "Riket", {m: len(u) for m, u in by_measure.items()},
                             {m: cell_key(u) for m, u in by_measure.items()}))
    return CountTable("riket", period, CLUSTER_SIZE_MEASURES, tuple(rows))


# --- the store edge -----------------------------------------------------------------------------

def load_signal_rows(store, since: date | None = None, until: date | None = None) -> list[SignalRow]:
    """Observations of usable runs in a window of Swedish days, with their sketches and features."""
    start, end = day_bounds(since, until)
    return list(iter_signal_rows(store, since=start, until=end))


def load_signals(store, since: date | None = None, until: date | None = None) -> Signals:
    return analyse(load_signal_rows(store, since, until))


def protect_signals(signals: Signals, geography: Geography, period: str,
                    settings=None) -> dict[tuple[str, str], disclosure.PublishedTable]:
    """Every level and related period of the signal tables, protected together (signal threshold)."""
    options = disclosure.settings_options(settings) if settings is not None else {}
    keys = [(level, kind) for kind in disclosure.RELATED_PERIODS[period] for level in LEVELS]
    tables = [signal_table(signals, geography, level, kind) for level, kind in keys]
    return dict(zip(keys, disclosure.protect_family(tables, geography, **options)))


def protect_cluster_sizes(signals: Signals, geography: Geography, period: str,
                          settings=None) -> disclosure.PublishedTable:
    """The cluster-size table of a period kind, protected with its related periods (signal threshold)."""
    options = disclosure.settings_options(settings) if settings is not None else {}
    kinds = disclosure.RELATED_PERIODS[period]
    tables = [cluster_size_table(signals, kind) for kind in kinds]
    return dict(zip(kinds, disclosure.protect_family(tables, geography, **options)))[period]
