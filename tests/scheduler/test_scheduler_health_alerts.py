"""Health checks against the site's recent median, and alerts by e-mail and webhook to local sinks."""
from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

import pytest

from analysis.queries import load_coverage
from config.settings import Settings
from scheduler import alerts, health
from store import Store
from store.run_health import record_health
from store.runs import RunSummary, finish_run, get_run, start_run

T0 = datetime(2026, 11, 1, 3, 0)
RATES = {"phone": 0.96, "location": 1.0, "category": 1.0}


def run(id: int = 10, **fields) -> RunSummary:
    values = dict(site="alpha", id=id, site_id=1, status="complete", started_at=T0, finished_at=T0,
                  observed_at=T0, pages=100, items=80, errors=0, parse_failures=0, listing_pages=10,
                  finish_reason="finished", config_version="c", parser_version="p", note=None,
                  detail_pages=80, fill_rates=dict(RATES))
    values.update(fields)
    return RunSummary(**values)


HISTORY = [run(id=i, items=80 + i, pages=100 + i) for i in range(1, 6)]
SETTINGS = Settings(health_min_history=3)


def checks(current: RunSummary, history=HISTORY, settings=SETTINGS) -> list[str]:
    return [c["check"] + (f":{c['field']}" if "field" in c else "") for c in health.evaluate(current, history, settings)]


def test_a_run_like_its_history_is_healthy():
    assert checks(run(items=78, pages=97)) == []


def test_items_or_pages_below_a_fraction_of_the_median():
    assert checks(run(items=30)) == ["items"]
    assert checks(run(pages=40, items=80)) == ["pages"]
    assert checks(run(items=42)) == []  # above half the median of 83
    assert checks(run(items=42), settings=Settings(health_min_ratio=0.6)) == ["items"]


def test_a_collapsing_fill_rate_is_a_layout_change():
    found = health.evaluate(run(fill_rates={**RATES, "location": 0.0}), HISTORY, SETTINGS)
    assert found == [{"check": "fill_rate", "field": "location", "value": 0.0, "baseline": 1.0, "threshold": 0.5}]
    assert checks(run(fill_rates={**RATES, "phone": 0.5})) == []  # 0.5 ≥ half of 0.96
    assert checks(run(fill_rates={**RATES, "phone": 0.3})) == ["fill_rate:phone"]
    sparse = [replace(r, fill_rates={**RATES, "posted": 0.1}) for r in HISTORY]
    assert checks(run(fill_rates={**RATES, "posted": 0.0}), sparse) == []  # rarely filled anyway
    tiny = run(items=3, detail_pages=3, fill_rates={**RATES, "location": 0.0})
    assert "fill_rate:location" not in checks(tiny, settings=Settings(health_min_ratio=0.0))


def test_error_rate_and_finish_reason():
    assert checks(run(errors=6, parse_failures=5)) == ["error_rate"]  # 11 per 100 pages
    assert checks(run(errors=5, parse_failures=5)) == []
    assert checks(run(finish_reason="shutdown")) == ["finish_reason"]
    assert checks(run(finish_reason=None, pages=0, items=0, errors=1, listing_pages=0)) == [
        "finish_reason", "error_rate", "items", "pages"]


def test_no_comparison_without_enough_history():
    assert checks(run(items=1, pages=2, fill_rates={"location": 0.0}), HISTORY[:2]) == []
    assert checks(run(items=1), HISTORY[:2], Settings(health_min_history=2)) == ["items"]


def test_coverage_and_rates():
    assert health.coverage(run(items=83), HISTORY) == pytest.approx(1.0)
    assert health.coverage(run(), []) is None
    assert health.parse_failure_rate(run(detail_pages=50, parse_failures=5)) == pytest.approx(0.1)
    assert health.parse_failure_rate(run(detail_pages=0)) is None


def test_every_check_is_described_in_english_and_swedish():
    found = health.evaluate(run(items=1, pages=2, errors=50, finish_reason="closespider_timeout",
                                fill_rates={**RATES, "location": 0.0}), HISTORY, SETTINGS)
    assert {c["check"] for c in found} == {"finish_reason", "error_rate", "items", "pages", "fill_rate"}
    for check in found:
        english, swedish = health.describe(check), health.describe(check, "sv")
        assert english != swedish and "{" not in english + swedish


def stored_history(store: Store, items: int = 80) -> None:
    for _ in range(3):
        run_id = start_run(store, "alpha", "Alpha", "c", "p")
        finish_run(store, run_id, "complete", pages=100, items=items, errors=0, parse_failures=0, listing_pages=10,
                   finish_reason="finished", detail_pages=items, fill_rates=RATES)
        record_health(store, run_id, [])


def test_review_marks_a_stored_run_suspect(store: Store):
    stored_history(store)
    run_id = start_run(store, "alpha", "Alpha", "c", "p")
    finish_run(store, run_id, "complete", pages=100, items=78, errors=0, parse_failures=0, listing_pages=10,
               finish_reason="finished", detail_pages=78, fill_rates={**RATES, "location": 0.0})
    review = health.review_run(store, SETTINGS, run_id)
    assert review.status == "suspect" and review.baseline_runs == 3 and review.needs_alert
    assert get_run(store, run_id).crawl_status == "complete"
    # The next healthy run compares with the earlier good runs, not with the suspect one.
    next_id = start_run(store, "alpha", "Alpha", "c", "p")
    finish_run(store, next_id, "complete", pages=100, items=80, errors=0, parse_failures=0, listing_pages=10,
               finish_reason="finished", detail_pages=80, fill_rates=RATES)
    assert health.review_run(store, SETTINGS, next_id).status == "complete"
    [coverage] = load_coverage(store)  # the suspect run is counted, and every table says so
    assert (coverage.complete, coverage.suspect) == (4, 1)
    assert "1 misstänkt (räknad, kontrollera)" in coverage.honest_note


# --- alerts ------------------------------------------------------------------------


def test_a_suspect_run_is_mailed_and_posted(smtp_sink, webhook_sink, caplog):
    settings = Settings(smtp_host="127.0.0.1", smtp_port=smtp_sink.server_address[1], smtp_from="lagesbild@test",
                        smtp_to="analys@test, drift@test", alert_webhook_url=webhook_sink.url)
    suspect = run(status="suspect", crawl_status="complete", fill_rates={**RATES, "location": 0.0})
    found = health.evaluate(suspect, HISTORY, SETTINGS)
    alert = alerts.alert_for_review(health.Review(suspect, tuple(found), 5))
    caplog.set_level(logging.WARNING, logger="scheduler.alerts")
    assert alerts.deliver(settings, alert) == ["email", "webhook"]
    assert smtp_sink.received.wait(5)
    [message] = smtp_sink.messages
    assert message["Subject"] == "lagesbild: körning 10 av alpha är misstänkt"
    assert smtp_sink.envelopes[0][1] == ["<analys@test>", "<drift@test>"]
    assert "fältet location fanns på 0% av sidorna" in message.get_content()
    [post] = webhook_sink.posts
    body = post["body"]
    assert post["content_type"] == "application/json"
    assert (body["event"], body["site"], body["run_id"], body["status"]) == ("run_suspect", "alpha", 10, "suspect")
    assert body["checks"] == found
    assert "körning 10 av alpha" in caplog.text  # always logged too


def test_healthy_runs_raise_no_alert_and_failed_ones_do():
    assert alerts.alert_for_review(health.Review(run(), (), 5)) is None
    failed = alerts.alert_for_review(health.Review(run(status="failed", items=0, note="no listing page"), (), 5))
    assert failed.event == "run_failed" and "misslyckad" in failed.summary
    assert "notering: no listing page" in failed.details


def test_undeliverable_alerts_are_logged_not_raised(webhook_sink, caplog):
    webhook_sink.status = 500
    settings = Settings(smtp_host="127.0.0.1", smtp_port=1, smtp_to="drift@test", alert_webhook_url=webhook_sink.url)
    caplog.set_level(logging.ERROR, logger="scheduler.alerts")
    assert alerts.deliver(settings, alerts.Alert("job_failed", "lagesbild: test")) == []
    assert len(webhook_sink.posts) == 1
    assert "could not e-mail" in caplog.text and "could not post" in caplog.text


def test_no_channels_configured_only_logs(caplog):
    caplog.set_level(logging.WARNING, logger="scheduler.alerts")
    assert alerts.deliver(Settings(), alerts.Alert("job_failed", "lagesbild: bara logg")) == []
    assert "bara logg" in caplog.text
