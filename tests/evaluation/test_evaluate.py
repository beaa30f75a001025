"""`lagesbild evaluate`: a small back-fill of the simulated market, scored against its truth."""
from __future__ import annotations

import json
import shutil
import sqlite3

import pytest

from support import run_cli


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    """One 6-week evaluation at small scale (with the four planted incidents)."""
    home = tmp_path_factory.mktemp("evaluate-home")
    result = run_cli("evaluate", "--weeks", "6", "--scale", "0.5", "--json", home=home, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return home, json.loads(result.stdout)


def test_active_ads_meet_the_acceptance_limits(evaluated):
    _, card = evaluated
    active = card["active_ads"]
    assert card["passed"] and card["failures"] == []
    assert active["riket_rel_error"] <= 0.01
    assert active["polisregion_max_rel_error"] <= 0.03
    assert active["kommun_ge20_max_rel_error"] <= 0.05
    assert card["double_counted"] == 0
    assert card["missed"] == 0
    assert card["listings"]["truth_listing_sightings"] > 200


def test_places_profiles_and_phones_are_scored(evaluated):
    _, card = evaluated
    assert card["place_accuracy"] >= 0.97 and card["place_wrong"] <= 0.01
    for measure in ("unique_profiles", "unique_phones"):
        assert card[measure]["riket_rel_error"] <= 0.01
        worst = card[measure]["worst_cell"]
        assert worst["level"] in ("riket", "polisregion", "lan", "kommun") and "truth" not in worst


def test_every_planted_incident_is_flagged_and_nothing_else_is_claimed(evaluated):
    _, card = evaluated
    incidents = card["site_incidents"]
    assert incidents["planted"] == 4 and incidents["flagged"] == 4
    assert incidents["reported_as_market_change"] == 0 and incidents["flagged_as_data_artefact"] == 4


def test_the_analysis_recovers_adverts_templates_touring_and_flows(evaluated):
    _, card = evaluated
    assert card["active_adverts"]["riket_rel_error"] <= 0.01  # reposts and cross-posts merged
    assert card["templates_precision"] >= 0.9
    assert card["touring_recall"] >= 0.9
    assert card["flows_max_rel_error"] is not None and card["flows_max_rel_error"] <= 0.05
    assert card["networks_f1"] is not None and card["networks_f1"] >= 0.8  # short series: see the README
    [crawled] = [t for t in card["planted_trends_crawled"] if t["region"] == "Syd"]
    assert crawled["true_change"] == 0.3 and "ci_low" in crawled  # estimated, not asserted: too few weeks
    assert card["series"]["runs"]["complete"] >= 12
    assert card["series"]["runs"]["failed"] >= 2  # the outage and the closed site


def test_planted_trends_are_detected_on_the_long_series(evaluated):
    home, card = evaluated
    assert card["planted_trends_series"]["weeks"] == 104 and card["planted_trends_series"]["scale"] == 20
    trends = {t["region"]: t for t in card["planted_trends"]}
    syd, vasterbotten = trends["Syd"], trends["24"]
    assert syd["true_change"] == 0.3 and syd["detected"] and syd["ci_low"] > 0
    assert syd["ci_low"] <= 0.3 <= syd["ci_high"] and syd["covered"]
    assert vasterbotten["true_change"] == -0.3 and vasterbotten["detected"] and vasterbotten["ci_high"] < 0
    assert not any("planted trend" in failure for failure in card["failures"])
    assert not list(home.glob("**/trend-series-*"))  # the scratch store is gone


def test_evaluation_never_touches_the_users_data(evaluated):
    home, _ = evaluated
    assert not (home / "lagesbild.db").exists()
    assert (home / "evaluation" / "lagesbild.db").exists()
    assert json.loads((home / "evaluation" / "scorecard.json").read_text())["passed"]


def _copy_as_home(evaluated, tmp_path):
    home, _ = evaluated
    copy = tmp_path / "home"
    shutil.copytree(home / "evaluation", copy)
    return copy


def test_reading_a_stored_series_gives_the_same_score(evaluated, tmp_path):
    copy = _copy_as_home(evaluated, tmp_path)
    result = run_cli("evaluate", "--demo", "--json", "--trend-weeks", "0", home=copy)
    assert result.returncode == 0, result.stderr
    again = json.loads(result.stdout)
    assert again["active_ads"] == evaluated[1]["active_ads"]


def test_lost_and_phantom_ads_fail_the_evaluation(evaluated, tmp_path):
    copy = _copy_as_home(evaluated, tmp_path)
    with sqlite3.connect(copy / "lagesbild.db") as db:
        run_id = db.execute(
            "SELECT r.id FROM crawl_run r JOIN site s ON s.id = r.site_id "
            "WHERE s.name = 'nattsida' AND r.status = 'complete' ORDER BY r.id LIMIT 1").fetchone()[0]
        rows = db.execute("SELECT id FROM observation WHERE run_id = ? ORDER BY id", (run_id,)).fetchall()
        lost = rows[: len(rows) // 3]
        db.executemany("DELETE FROM observation WHERE id = ?", lost)
        db.execute(
            "INSERT INTO observation (run_id, site_id, ad_token, category, observed_at) "
            "SELECT run_id, site_id, 'phantom-token', category, observed_at FROM observation WHERE run_id = ? LIMIT 1",
            (run_id,))
    result = run_cli("evaluate", "--demo", "--json", "--trend-weeks", "0", home=copy)
    assert result.returncode == 1
    card = json.loads(result.stdout)
    assert card["missed"] == len(lost)
    assert card["double_counted"] == 1
    assert card["active_ads"]["riket_rel_error"] > 0.01
    assert any("nationally" in failure for failure in card["failures"])


def test_evaluate_demo_without_a_series_is_a_one_line_error(tmp_path):
    result = run_cli("evaluate", "--demo", home=tmp_path)
    assert result.returncode == 1
    assert "no back-filled series" in result.stderr and "Traceback" not in result.stderr


# --- the demand side (issue 9) ---------------------------------------------------------------------


def test_demand_side_meets_the_acceptance_limits(evaluated):
    _, card = evaluated
    demand = card["demand_ads"]
    assert set(demand) == set(card["active_ads"])  # the same shape as active_ads
    assert demand["riket_rel_error"] <= 0.01 and demand["polisregion_max_rel_error"] <= 0.03
    assert demand["kommun_ge20_max_rel_error"] <= 0.05 and "truth" not in (demand["worst_cell"] or {})
    assert card["offer_request_accuracy"] >= 0.97
    assert card["reviews"]["riket_rel_error"] <= 0.02
    assert card["unique_reviewers"]["riket_rel_error"] <= 0.02
    trend = card["demand_trend"]
    assert trend["planted_yearly_change"] > 0 and trend["detected"] and trend["demand_ads_yearly_change"] > 0
    assert trend["weeks_used"] >= 3


def test_the_pii_scan_finds_no_reviewer_handle_or_review_text(evaluated, tmp_path):
    from evaluation.series import read_manifest
    from evaluation.piiscan import needles_from_truth, scan
    from store.db import open_store

    home, _ = evaluated
    plan, _ = read_manifest(home / "evaluation")
    simulation = plan.simulation()
    truths = [simulation.market_at(moment).truth_dict() for moment in plan.occasions]
    needles = set().union(*(needles_from_truth(t) for t in truths))
    handles = {r["reviewer_handle"] for t in truths for r in t["reviews"]}
    texts = {r["text"] for t in truths for r in t["reviews"]} | {r["text"] for t in truths for r in t["requests"]}
    assert handles and texts and handles | texts <= needles
    store = open_store(f"sqlite:///{home / 'evaluation' / 'lagesbild.db'}")
    try:
        assert scan(home / "evaluation", store.engine, needles) == []
    finally:
        store.close()
    truth_file = tmp_path / "truth.json"
    truth_file.write_text(json.dumps(truths[-1], ensure_ascii=False), encoding="utf-8")
    result = run_cli("audit-pii", "--truth", str(truth_file), home=home / "evaluation")
    assert result.returncode == 0 and "No plaintext found" in result.stdout, result.stdout + result.stderr


def test_lost_buyers_ads_and_reviews_fail_the_evaluation(evaluated, tmp_path):
    copy = _copy_as_home(evaluated, tmp_path)
    with sqlite3.connect(copy / "lagesbild.db") as db:
        db.execute("DELETE FROM review_event WHERE id % 10 = 0")
        db.execute("DELETE FROM request_observation WHERE id % 5 = 0")
    result = run_cli("evaluate", "--demo", "--json", "--trend-weeks", "0", home=copy)
    assert result.returncode == 1
    card = json.loads(result.stdout)
    assert card["reviews"]["riket_rel_error"] > 0.02 and card["demand_ads"]["riket_rel_error"] > 0.01
    assert any("reviews miss truth" in f for f in card["failures"])
    assert any("buyers' ads miss truth" in f for f in card["failures"])


def test_counts_and_exports_show_the_protected_demand_measures(evaluated, tmp_path):
    import csv

    copy = _copy_as_home(evaluated, tmp_path)
    result = run_cli("counts", "--level", "riket", "--period", "week", home=copy)
    assert result.returncode == 0, result.stderr
    assert "Efterfrågeannonser" in result.stdout and "Unika recensenter" in result.stdout
    words = " ".join(result.stdout.split())  # titles may wrap
    assert "Efterfrågeannonser per aktiv annons" in words and "Kvot" in words
    out = tmp_path / "demand.csv"
    result = run_cli("export", "--demand", "--level", "kommun", "--period", "month", "-o", str(out), home=copy)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert {row["matt"] for row in rows} == {"efterfrageannonser", "recensioner", "unika_recensenter"}
    shown = [row for row in rows if row["varde"] not in ("..", "")]
    assert shown and all(int(row["varde"]) == 0 or int(row["varde"]) >= 5 for row in shown)
    assert all(int(r["varde"]) == 0 or int(r["varde"]) >= 10 for r in shown if r["matt"] == "unika_recensenter")


def test_price_per_hour_median_matches_the_pages(evaluated):
    _, card = evaluated
    by_month = card["price_median_rel_error_by_month"]
    assert by_month and all(error is not None for error in by_month.values())  # published every month
    assert card["price_median_rel_error"] == max(by_month.values()) <= 0.02  # within rounding to 50 kr
