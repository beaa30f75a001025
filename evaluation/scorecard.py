"""Scoring a back-filled series against the simulated market's truth (`lagesbild evaluate`).

The truth is tokenised with the same study-period key the crawl used, so every stored
observation can be matched to the listing it came from. Counts are compared only where the
crawl was complete: a failed or partial run is judged in the incident section (was it
flagged?), never as an accuracy error. Nothing here reaches an output table; the scorecard
holds error rates and shares only.
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlmodel import select

from config.geo import Geography
from config.settings import Settings
from evaluation.compare import (
    COUNTED_MEASURES,
    KOMMUN_MIN_ADS,
    LIMITS,
    Sighting,
    compare_counts,
    tokeniser_for,
)
from evaluation.demand import demand_failures, score_demand
from evaluation.prices import score_prices
from evaluation.series import SeriesPlan
from evaluation.signals import score_signals
from evaluation.trends import LongSeries, score_long_series, trend_failures
from sandbox.weeks import week_of
from store.models import Observation
from store.runs import get_run

FLAGGED_STATUSES = frozenset({"failed", "partial", "suspect"})


def _stored_sightings(store, run_id: int, observed_at: datetime) -> list[Sighting]:
    statement = select(Observation.ad_token, Observation.profile_token, Observation.phone_token,
                       Observation.kommun_code).where(Observation.run_id == run_id)
    with store.session() as session:
        return [Sighting(a, p, t, k, observed_at) for a, p, t, k in session.exec(statement)]


def score_series(plan: SeriesPlan, run_ids: list[list[dict[str, Any]]], store, settings: Settings,
                 geography: Geography, long_series: LongSeries | None = LongSeries()) -> dict[str, Any]:
    """The scorecard of one back-filled series (see the module docstring); the planted trends on
    `long_series` as well (None: not scored)."""
    simulation = plan.simulation()
    tokenisers: dict = {}
    truth_rows: list[Sighting] = []
    stored_rows: list[Sighting] = []
    runs_by_status: Counter = Counter()
    flagged_runs: set[tuple[str, int]] = set()
    place = Counter()
    phantom = missed = 0
    listings = adverts = 0

    for occasion, runs in zip(plan.occasions, run_ids):
        market = simulation.market_at(occasion)
        week = week_of(occasion)
        for entry in runs:
            run = get_run(store, entry["run_id"]) if entry.get("run_id") is not None else None
            status = run.status if run else "failed"
            runs_by_status[status] += 1
            if status in FLAGGED_STATUSES:
                flagged_runs.add((entry["site"], week))
            # A suspect run is still counted by the pipeline; compare it when the crawl itself was complete.
            crawl_status = (run.crawl_status or run.status) if run else "failed"
            if run is None or crawl_status != "complete":
                continue
            tokeniser = tokeniser_for(settings, run.key_period, tokenisers)
            truth = {}
            for listing in market.listings_on(entry["site"]):
                token = tokeniser.site_id("site_ad_id", listing.site, listing.site_ad_id)
                truth[token] = Sighting(
                    token,
                    tokeniser.site_id("site_profile_id", listing.site, listing.ad.site_profile_id),
                    tokeniser.phone(listing.phone_e164),
                    listing.ad.kommun_code,
                    run.observed_at,
                )
            listings += len(truth)
            adverts += len({lst.ad.advert_id for lst in market.listings_on(entry["site"])})
            stored = _stored_sightings(store, run.id, run.observed_at)
            seen = set()
            for sighting in stored:
                seen.add(sighting.ad_token)
                expected = truth.get(sighting.ad_token)
                if expected is None:
                    phantom += 1
                elif sighting.kommun_code == expected.kommun_code:
                    place["correct"] += 1
                elif sighting.kommun_code is None:
                    place["unresolved"] += 1
                else:
                    place["wrong"] += 1
            missed += len(set(truth) - seen)
            truth_rows.extend(truth.values())
            stored_rows.extend(stored)

    measures = {measure: compare_counts(truth_rows, stored_rows, geography, measure) for measure in COUNTED_MEASURES}
    placed = sum(place.values())
    incidents = _incident_score(plan, flagged_runs)
    scorecard: dict[str, Any] = {
        "series": {
            "seed": plan.seed, "scale": plan.scale, "weeks": len(plan.occasions),
            "first_week": plan.occasions[0].date().isoformat() if plan.occasions else None,
            "last_week": plan.occasions[-1].date().isoformat() if plan.occasions else None,
            "runs": dict(runs_by_status),
        },
        "compared": "listings",  # active_ads compares listings; active_adverts the deduplicated adverts
        **measures,
        "new_ads": None,
        "listings": {"truth_listing_sightings": listings, "truth_advert_sightings": adverts},
        "double_counted": phantom,
        "missed": missed,
        "place_accuracy": round(place["correct"] / placed, 4) if placed else None,
        "place_unresolved": round(place["unresolved"] / placed, 4) if placed else None,
        "place_wrong": round(place["wrong"] / placed, 4) if placed else None,
        "site_incidents": incidents,
        "networks_f1": None,
        "templates_precision": None,
        "touring_recall": None,
    }
    signals = score_signals(plan, run_ids, store, settings, geography)  # the analysis (issue 6)
    if signals:
        incidents = signals.pop("incidents_as_market_change")
        scorecard["site_incidents"]["reported_as_market_change"] = incidents["reported_as_market_change"]
        scorecard["site_incidents"]["flagged_as_data_artefact"] = incidents["flagged_as_data_artefact"]
        signals.pop("compared")
        scorecard.update(signals)  # active_adverts: the deduplicated comparison, beside active_ads (listings)
    scorecard.update(score_demand(plan, run_ids, store, settings, geography))
    scorecard.update(score_prices(plan, run_ids, store, settings, geography))
    if long_series is not None:  # planted trends need a longer, larger series than a back-fill (issue 6)
        long_card = score_long_series(geography, settings.resolved_home, long_series)
        scorecard["planted_trends_series"] = long_card["series"]
        scorecard["planted_trends"] = long_card["trends"]
    scorecard["failures"] = acceptance_failures(scorecard)
    scorecard["passed"] = not scorecard["failures"]
    return scorecard


def _incident_score(plan: SeriesPlan, flagged_runs: set[tuple[str, int]]) -> dict[str, Any]:
    """Each planted incident is flagged when every crawl it touched was marked failed, partial or suspect."""
    details = []
    for incident in plan.incidents:
        weeks = [w for w in plan.weeks if incident.active_in(w)]
        if not weeks:
            continue
        flagged = all((incident.site, w) in flagged_runs for w in weeks)
        details.append({**incident.to_dict(), "crawled_weeks": len(weeks), "flagged": flagged})
    planted_runs = {(i.site, w) for i in plan.incidents for w in plan.weeks if i.active_in(w)}
    return {
        "planted": len(details),
        "flagged": sum(d["flagged"] for d in details),
        "false_alarms": len(flagged_runs - planted_runs),  # runs flagged without a planted incident
        "reported_as_market_change": None,  # measured once the analysis detects market change
        "details": details,
    }


def acceptance_failures(scorecard: dict[str, Any]) -> list[str]:
    """Why a scorecard misses issue 3's acceptance limits (empty when it passes)."""
    failures = []
    active = scorecard["active_ads"]
    checks = (("riket_rel_error", "riket", "nationally"),
              ("polisregion_max_rel_error", "polisregion", "in a police region"),
              ("kommun_ge20_max_rel_error", "kommun_ge20", f"in a kommun with at least {KOMMUN_MIN_ADS} ads"))
    for key, limit_name, where in checks:
        if active[key] > LIMITS[limit_name]:
            failures.append(f"active ads miss truth by {active[key]:.1%} {where} (limit {LIMITS[limit_name]:.0%})")
    if scorecard["double_counted"]:
        failures.append(f"{scorecard['double_counted']} ads were counted that the sites do not list")
    if scorecard["series"]["runs"].get("complete", 0) == 0:
        failures.append("no crawl in the series was complete, so nothing could be compared")
    if scorecard.get("planted_trends"):  # issue 6: on the long series; the crawled one is too short to tell
        failures += trend_failures(scorecard["planted_trends"], "on the long series")
    if "demand_ads" in scorecard:  # issue 9's limits
        failures += demand_failures(scorecard)
    return failures
