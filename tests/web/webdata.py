"""The synthetic market of the output tests (tests/web): ads, touring profiles, runs and users."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from config.geo import load_geography
from parsers.records import ObservedAd
from store.observations import add_observations
from store.runs import finish_run, start_run
from web import auth

GEO = load_geography()
TODAY = date(2026, 11, 23)
FIRST_WEEK = datetime(2026, 8, 5, 3, 0, tzinfo=timezone.utc)  # Wednesdays, 13 weeks: August–October
WEEKS = 13
# Ads per site and week by kommun: big cities, small towns (suppressed) and unplaced ads.
ADS = {"1480": 30, "0180": 40, "1280": 20, "1281": 6, "1282": 2, "2480": 3, "1490": 8, "1261": 1, None: 4}
STEADY = "1261"  # Kävlinge: one ad per site that never changes, so it is small in every period
SITES = ("alpha", "beta")
TOUR = ("0180", "1480", "1280")  # touring profiles: Stockholm → Göteborg → Malmö, one week per stop
TOURING = 12  # per site
PARTIAL_WEEK, FAILED_WEEK = 4, 10  # beta's runs in 2026-09 and 2026-10
# The demand side (issue 9), on site alpha: buyers' ads per week by kommun (each up two weeks) and reviews.
REQUESTS = {"1480": 10, "0180": 14, "1280": 6, "1282": 2, None: 1}
REVIEW_PLACES = ("0180", "0180", "1480", "1480", "1280", "2480")
REVIEWS_PER_WEEK = 18
REVIEWERS = 15
PASSWORDS = {"anna": "analytiker-lösen-1", "kim": "samordnare-lösen-1", "kommun": "export-lösen-123"}
ROLES = {"anna": auth.ANALYST, "kim": auth.COORDINATOR, "kommun": auth.EXPORT}


def week_ads(site: str, week: int, moment: datetime) -> list[ObservedAd]:
    ads = []
    for kommun, n in ADS.items():
        for i in range(n):
            generation = 0 if kommun == STEADY else (week + i) // 3  # most ads live about three weeks
            token = f"{site}-{kommun}-{i}-{generation}"
            ads.append(ObservedAd(
                site=site, ad_token=f"ad-{token}", profile_token=f"pr-{site}-{kommun}-{i // 2}-{generation}",
                phone_token=f"ph-{kommun}-{i // 3}-{generation}", kommun_code=kommun,
                unresolved_reason=None if kommun else "nationwide", category="Kvinna",
                observed_at=moment, posted_at=None))
    for j in range(TOURING):
        ads.append(ObservedAd(
            site=site, ad_token=f"ad-tour-{site}-{j}-{week}", profile_token=f"pr-tour-{site}-{j}",
            phone_token=f"ph-tour-{j}", kommun_code=TOUR[(week + j) % len(TOUR)], unresolved_reason=None,
            category="Kvinna", observed_at=moment, posted_at=None))
    return ads


def week_demand(week: int, moment: datetime) -> tuple[list, list]:
    """Buyers' ads and reviews alpha shows in a week (reviews written in the six days before the crawl)."""
    from parsers.demand import ObservedRequest, ObservedReview

    requests = [ObservedRequest("alpha", f"rq-{kommun}-{i}-{(week + i) // 2}", kommun, None if kommun else "none",
                                moment, None)
                for kommun, n in REQUESTS.items() for i in range(n)]
    reviews = []
    for i in range(REVIEWS_PER_WEEK):
        number = week * REVIEWS_PER_WEEK + i
        reviews.append(ObservedReview("alpha", f"rv-{number}", f"rr-{(number * 7) % REVIEWERS}", None,
                                      REVIEW_PLACES[i % len(REVIEW_PLACES)], None,
                                      moment - timedelta(hours=6 + 8 * i), moment))
    return requests, reviews


def fill_market(store) -> None:
    from store import demand as demand_store

    for week in range(WEEKS):
        moment = FIRST_WEEK + timedelta(weeks=week)
        for site in SITES:
            run_id = start_run(store, site, site.title(), "cfg1", "p1", observed_at=moment)
            if site == "beta" and week == FAILED_WEEK:
                finish_run(store, run_id, "failed", pages=1, items=0, errors=1, parse_failures=0,
                                      listing_pages=1, finish_reason="finished", note="no ads")
                continue
            ads = week_ads(site, week, moment)
            add_observations(store, run_id, ads)
            if site == "alpha":
                requests, reviews = week_demand(week, moment)
                demand_store.add_request_observations(store, run_id, requests)
                demand_store.add_review_events(store, run_id, reviews)
            status = "partial" if site == "beta" and week == PARTIAL_WEEK else "complete"
            finish_run(store, run_id, status, pages=10, items=len(ads), errors=int(status == "partial"),
                                  parse_failures=0, listing_pages=2, finish_reason="finished")


def login(client, name: str) -> None:
    response = client.post("/logga-in", data={"username": name, "password": PASSWORDS[name], "next": "/"})
    assert response.status_code == 303, response.text
