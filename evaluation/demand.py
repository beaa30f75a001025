"""Scoring the demand side of a back-filled series against the simulation's truth (issue 9).

- demand_ads: the buyers' ads counted per region and period against the buyers' ads the sites listed
  (complete crawls only, as for active_ads).
- offer_request_accuracy: of the crawled ads (offers and requests) on sites that carry buyers' ads,
  the share stored with the right class.
- reviews / unique_reviewers: review events by their own date and the reviewed profile's place,
  against every review visible at a crawled occasion of a run that stored data.
- demand_trend: the planted demand trend's sign, against the trend estimated from the stored
  national weekly counts (buyers' ads over weeks whose demand sites all crawled completely;
  reviews over the weeks the series saw whole).

Nothing here reaches an output table: only error rates and shares leave this module.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import timezone
from typing import Any

from sqlmodel import select

from analysis.demand import weekly_trend
from config.geo import Geography
from config.settings import Settings
from crawler.demand import review_token, reviewer_token
from evaluation.compare import LIMITS, Sighting, compare_counts, tokeniser_for
from evaluation.series import SeriesPlan
from sandbox.demand import REVIEW_VISIBLE_DAYS, Demand
from sandbox.weeks import week_of
from store import demand as demand_store
from store.models import Observation
from store.runs import get_run

OFFER_REQUEST_MIN_ACCURACY = 0.97
REVIEWS_RIKET_LIMIT = 0.02
USABLE = frozenset({"complete", "partial", "suspect"})


def _stored_offer_tokens(store, run_id: int) -> set[str]:
    with store.session() as session:
        return set(session.exec(select(Observation.ad_token).where(Observation.run_id == run_id)).all())


def score_demand(plan: SeriesPlan, run_ids: list[list[dict[str, Any]]], store, settings: Settings,
                 geography: Geography) -> dict[str, Any]:
    simulation = plan.simulation()
    demand = Demand(simulation)
    tokenisers: dict = {}
    truth_requests: list[Sighting] = []
    stored_requests: list[Sighting] = []
    classified = correct = 0
    truth_reviews: dict[tuple[str, str], Sighting] = {}
    review_sites: set[str] = set()
    stored_weekly: dict[int, int] = {}
    clean_weeks: set[int] = set()

    for occasion, runs in zip(plan.occasions, run_ids):
        market = simulation.market_at(occasion)
        week = week_of(occasion)
        closed = simulation.closed_sites(week)
        demand_sites = {lst.site for lst in market.requests}
        clean = True
        weekly = 0
        for entry in runs:
            run = get_run(store, entry["run_id"]) if entry.get("run_id") is not None else None
            site = entry["site"]
            crawl_status = (run.crawl_status or run.status) if run else "failed"
            if site in demand_sites and crawl_status != "complete" and site not in closed:
                clean = False
            if run is None:
                continue
            tokeniser = tokeniser_for(settings, run.key_period, tokenisers)
            stored = [Sighting(r.ad_token, None, None, r.kommun_code, run.observed_at)
                      for r in demand_store.iter_request_rows(store, run_id=run.id)]
            weekly += len(stored)
            if run.status in USABLE:
                for review in market.reviews_on(site):
                    review_sites.add(site)
                    token = review_token(tokeniser, site, review.review_id)
                    truth_reviews.setdefault((site, token), Sighting(
                        token, reviewer_token(tokeniser, site, review.reviewer_handle), None, review.kommun_code,
                        review.written_at))
            if crawl_status != "complete":
                continue
            truth = {tokeniser.site_id("site_ad_id", site, lst.site_ad_id): lst for lst in market.requests_on(site)}
            truth_requests += [Sighting(token, None, None, lst.ad.kommun_code, run.observed_at)
                               for token, lst in truth.items()]
            stored_requests += stored
            if site in demand_sites:  # the classifier is judged where buyers' ads appear
                offers = {tokeniser.site_id("site_ad_id", site, lst.site_ad_id) for lst in market.listings_on(site)}
                as_offer = _stored_offer_tokens(store, run.id)
                as_request = {s.ad_token for s in stored}
                for token in offers | set(truth):
                    if token in as_offer or token in as_request:
                        classified += 1
                        correct += (token in as_request) == (token in truth)
        stored_weekly[week] = weekly
        if clean:
            clean_weeks.add(week)

    stored_reviews = [
        Sighting(r.review_token, r.reviewer_token, None, r.kommun_code, r.reviewed_at)
        for r in demand_store.iter_review_rows(store) if r.site in review_sites
    ]
    reviews_truth = list(truth_reviews.values())
    trend = _trend(plan, demand, stored_weekly, clean_weeks, stored_reviews)
    return {
        "demand_ads": compare_counts(truth_requests, stored_requests, geography, "active_ads"),
        "offer_request_accuracy": round(correct / classified, 4) if classified else None,
        "reviews": compare_counts(reviews_truth, stored_reviews, geography, "active_ads"),
        "unique_reviewers": compare_counts(reviews_truth, stored_reviews, geography, "unique_profiles"),
        "demand_trend": trend,
    }


def _trend(plan: SeriesPlan, demand: Demand, stored_weekly: dict[int, int], clean_weeks: set[int],
           stored_reviews: list[Sighting]) -> dict[str, Any]:
    planted = demand.trend.yearly_change
    ads = weekly_trend(sorted((w, n) for w, n in stored_weekly.items() if w in clean_weeks))
    weeks = plan.weeks
    by_week: dict[int, int] = defaultdict(int)
    for review in stored_reviews:
        by_week[week_of(review.observed_at.replace(tzinfo=timezone.utc))] += 1
    whole = range(weeks[0] - (REVIEW_VISIBLE_DAYS // 7 - 1), weeks[-1]) if weeks else range(0)
    reviews = weekly_trend([(w, by_week.get(w, 0)) for w in whole])

    def sign(value: float | None) -> int | None:
        return None if value is None else (value > 0) - (value < 0)

    planted_sign = sign(planted)
    return {
        "planted_yearly_change": planted,
        "demand_ads_yearly_change": None if ads is None else round(ads, 3),
        "reviews_yearly_change": None if reviews is None else round(reviews, 3),
        "weeks_used": len([w for w in stored_weekly if w in clean_weeks]),
        "detected": sign(ads) == planted_sign,
        "reviews_detected": sign(reviews) == planted_sign,
    }


def demand_failures(card: dict[str, Any]) -> list[str]:
    """Why the demand part of a scorecard misses issue 9's acceptance limits."""
    failures = []
    ads = card["demand_ads"]
    for key, limit_name, where in (("riket_rel_error", "riket", "nationally"),
                                   ("polisregion_max_rel_error", "polisregion", "in a police region")):
        if ads[key] > LIMITS[limit_name]:
            failures.append(f"buyers' ads miss truth by {ads[key]:.1%} {where} (limit {LIMITS[limit_name]:.0%})")
    accuracy = card["offer_request_accuracy"]
    if accuracy is None or accuracy < OFFER_REQUEST_MIN_ACCURACY:
        failures.append(f"offer/request accuracy {accuracy} is below {OFFER_REQUEST_MIN_ACCURACY}")
    if card["reviews"]["riket_rel_error"] > REVIEWS_RIKET_LIMIT:
        failures.append(f"reviews miss truth by {card['reviews']['riket_rel_error']:.1%} nationally "
                        f"(limit {REVIEWS_RIKET_LIMIT:.0%})")
    if not card["demand_trend"]["detected"]:
        failures.append("the planted demand trend was not detected with the right sign")
    return failures
