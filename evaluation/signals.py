"""Scoring the analysis (issue 6) on a back-filled series: deduplication, networks, templates, touring,
flows, planted trends and whether planted site incidents were reported as market change.

Like evaluation.scorecard, the truth is tokenised with the crawl's own key, so every stored sighting is
matched to its listing; only complete crawls are compared. Only error rates, shares and estimates
leave this module, never a count.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from itertools import combinations
from typing import Any

from analysis.counts import UNRESOLVED
from analysis.dedup import AdvertClusters, advert_clusters, advert_count_table
from analysis.mobility import od_flows, touring_profiles
from analysis.quality import DATA_ARTEFACT, MARKET_CHANGE, detect_market_changes
from analysis.signals import network_clusters, template_clusters
from config.geo import Geography
from config.settings import Settings
from evaluation.compare import tokeniser_for
from evaluation.series import SeriesPlan
from evaluation.trends import regional_trends, score_trend_estimates
from sandbox.weeks import week_of
from store.runs import get_run
from store.signals import iter_signal_rows

FLOW_LEVEL = "polisregion"
DEDUP_PERIODS = ("week", "month")


@dataclass(frozen=True)
class _TruthRow:
    """A true listing sighting, with the truth labels the analysis should recover."""

    site: str
    ad_token: str
    profile_token: str | None
    phone_token: str | None
    kommun_code: str | None
    observed_at: datetime
    advert_id: str
    network_id: str | None
    template_id: str | None
    touring: bool


def _compared_runs(plan: SeriesPlan, run_ids, store) -> list[tuple[datetime, Any]]:
    compared = []
    for occasion, runs in zip(plan.occasions, run_ids):
        for entry in runs:
            run = get_run(store, entry["run_id"]) if entry.get("run_id") is not None else None
            if run is not None and (run.crawl_status or run.status) == "complete":
                compared.append((occasion, run))
    return compared


def _truth_rows(plan: SeriesPlan, compared, settings: Settings) -> list[_TruthRow]:
    simulation = plan.simulation()
    tokenisers: dict = {}
    rows = []
    for occasion, run in compared:
        tok = tokeniser_for(settings, run.key_period, tokenisers)
        for listing in simulation.market_at(occasion).listings_on(run.site):
            ad = listing.ad
            rows.append(_TruthRow(
                listing.site, tok.site_id("site_ad_id", listing.site, listing.site_ad_id),
                tok.site_id("site_profile_id", listing.site, ad.site_profile_id), tok.phone(listing.phone_e164),
                ad.kommun_code, run.observed_at, ad.advert_id, ad.network_id, ad.template_id, ad.touring,
            ))
    return rows


def _pairs(groups: dict[str, str], universe: set[str]) -> set[tuple[str, str]]:
    members: dict[str, list[str]] = defaultdict(list)
    for item, group in groups.items():
        if item in universe and group is not None:
            members[group].append(item)
    return {tuple(sorted(pair)) for items in members.values() for pair in combinations(sorted(items), 2)}


def _precision_recall_f1(predicted: set, true: set) -> tuple[float | None, float | None, float | None]:
    if not predicted and not true:
        return None, None, None
    hits = len(predicted & true)
    precision = hits / len(predicted) if predicted else None
    recall = hits / len(true) if true else None
    if not precision or not recall:
        return precision, recall, 0.0 if precision is not None and recall is not None else None
    return precision, recall, 2 * precision * recall / (precision + recall)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def score_signals(plan: SeriesPlan, run_ids, store, settings: Settings, geography: Geography) -> dict[str, Any]:
    compared = _compared_runs(plan, run_ids, store)
    if not compared:
        return {}
    moments = {(run.site, run.observed_at) for _, run in compared}
    stored = [row for row in iter_signal_rows(store, statuses=("complete", "partial", "suspect"))
              if (row.site, row.observed_at) in moments]
    truth = _truth_rows(plan, compared, settings)
    truth_by_token = {row.ad_token: row for row in truth}

    # Deduplication: adverts counted after reposts and cross-posts are merged.
    adverts = advert_clusters(stored)
    true_adverts = AdvertClusters({row.ad_token: row.advert_id for row in truth}, 0, 0)
    dedup: dict[str, Any] = {}
    for level, key in (("riket", "riket_rel_error"), ("polisregion", "polisregion_max_rel_error")):
        worst = 0.0
        for period in DEDUP_PERIODS:
            reported = advert_count_table(stored, adverts, geography, level, period)
            expected = advert_count_table(truth, true_adverts, geography, level, period)
            got = {(r.period, r.region_code): r.values["active_adverts"] for r in reported.rows}
            for row in expected.rows:
                if row.region_code == UNRESOLVED:
                    continue
                want = row.values["active_adverts"]
                value = got.get((row.period, row.region_code), 0)
                error = abs(value - want) / want if want else float(value > 0)
                worst = max(worst, error)
        dedup[key] = round(worst, 4)
    dedup["merged_wrongly_share"] = _round(_wrong_merges(adverts, truth_by_token))

    # Organisation: shared-phone networks (pairs of profiles) and text templates (pairs of adverts).
    templates = template_clusters(stored, adverts)
    networks = network_clusters(stored, adverts, templates)
    profiles = {row.profile_token for row in stored if row.profile_token}
    true_network = {row.profile_token: row.network_id for row in truth if row.profile_token and row.network_id}
    _, _, networks_f1 = _precision_recall_f1(_pairs(networks, profiles), _pairs(true_network, profiles))
    ads = {row.ad_token for row in stored}
    true_template = {row.ad_token: row.template_id for row in truth if row.template_id}
    templates_precision, templates_recall, _ = _precision_recall_f1(_pairs(templates, ads), _pairs(true_template, ads))

    # Mobility: touring profiles, and origin–destination flows between police regions.
    true_touring = {row.profile_token for row in truth if row.touring and row.profile_token in profiles}
    detected = touring_profiles(stored)
    touring_precision, touring_recall, _ = _precision_recall_f1(detected, true_touring)
    flows_error = _flows_error(stored, truth, geography)

    incidents = _incidents_as_market_change(plan, store, geography)
    return {
        "compared": "adverts",
        "active_adverts": dedup,
        "networks_f1": _round(networks_f1),
        "templates_precision": _round(templates_precision),
        "templates_recall": _round(templates_recall),
        "touring_recall": _round(touring_recall),
        "touring_precision": _round(touring_precision),
        "flows_max_rel_error": flows_error,
        "planted_trends_crawled": _planted_trends(plan, store, geography),  # too short to tell, mostly
        "incidents_as_market_change": incidents,
    }


def _wrong_merges(adverts: AdvertClusters, truth_by_token: dict[str, _TruthRow]) -> float | None:
    """Share of merged ad tokens whose advert holds more than one true advert."""
    merged = wrong = 0
    for members in adverts.members().values():
        true_ids = {truth_by_token[t].advert_id for t in members if t in truth_by_token}
        if len(members) > 1:
            merged += len(members)
            wrong += len(members) if len(true_ids) > 1 else 0
    return wrong / merged if merged else None


def _flows_error(stored, truth, geography: Geography) -> float | None:
    """Per period, the L1 distance between the reported and true flow matrices over the true total; the worst."""
    worst = None
    for period in ("month",):
        reported = od_flows(stored, geography, FLOW_LEVEL, period)
        expected = od_flows(truth, geography, FLOW_LEVEL, period)
        for label in {p for p, _, _ in expected.flows}:
            cells = {(o, d) for p, o, d in expected.flows if p == label} | \
                    {(o, d) for p, o, d in reported.flows if p == label}
            total = expected.total(label)
            if not total:
                continue
            distance = sum(abs(reported.value(label, o, d) - expected.value(label, o, d)) for o, d in cells)
            worst = max(worst or 0.0, distance / total)
    return _round(worst)


def _planted_trends(plan: SeriesPlan, store, geography: Geography) -> list[dict[str, Any]]:
    return score_trend_estimates(store, geography, regional_trends(plan.simulation()))


def _incidents_as_market_change(plan: SeriesPlan, store, geography: Geography) -> dict[str, Any]:
    """Was any planted incident's week reported as a market change, and was each labelled a data artefact?"""
    report = detect_market_changes(store, geography, "week")
    market_weeks = {week_of_label(e.period) for e in report.events if e.label == MARKET_CHANGE}
    artefact_weeks = {week_of_label(f.period) for f in report.flags if f.breaks} | \
                     {week_of_label(e.period) for e in report.events if e.label == DATA_ARTEFACT}
    reported = flagged = 0
    for incident in plan.incidents:
        weeks = [w for w in plan.weeks if incident.active_in(w)]
        if not weeks:
            continue
        touched = set(weeks) | {weeks[-1] + 1} if incident.weeks is not None else set(weeks)
        reported += bool(touched & market_weeks)
        flagged += all(w in artefact_weeks for w in weeks)
    return {"reported_as_market_change": reported, "flagged_as_data_artefact": flagged}


def week_of_label(label: str) -> int:
    """The simulation week of an ISO week label such as 2026-W30."""
    return week_of(datetime.strptime(label + "-3", "%G-W%V-%u").date())
