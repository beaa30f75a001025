"""Observations keep wording sketches and ad-feature booleans, and read back for the signals (both backends)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from parsers.records import ObservedAd
from parsers.sketches import keyed_sketch, text_shingles
from store import Store, StoreError
from store.observations import add_observations
from store.runs import finish_run, start_run
from store.signals import SignalRow, iter_signal_rows

UTC = timezone.utc
SEEN = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)
SKETCH = keyed_sketch(b"k" * 32, text_shingles("Titel", "En text med några ord i sig."))


def tok(number: int) -> str:
    return f"{number:064x}"


def ad(number: int, **extra) -> ObservedAd:
    return ObservedAd(site="alpha", ad_token=tok(number), profile_token=tok(100 + number), phone_token=None,
                      kommun_code="0180", unresolved_reason=None, category="Kvinna", observed_at=SEEN,
                      posted_at=None, **extra)


def test_signal_columns_round_trip(store: Store) -> None:
    run_id = start_run(store, "alpha", "Alpha", "cfg", "parser", observed_at=SEEN)
    add_observations(store, run_id, [
        ad(1, text_sketch=SKETCH, template_sketch=SKETCH, obscured_phone=True, stated_ethnicity=False,
           youth_language=False, trust_language=True, stated_touring=True, tour_kommun_code="1480"),
        ad(2),  # an ad without wording: everything unknown
    ])
    finish_run(store, run_id, "complete", pages=1, items=2, errors=0, parse_failures=0, listing_pages=1,
               finish_reason="finished")
    rows = {row.ad_token: row for row in iter_signal_rows(store)}
    first, second = rows[tok(1)], rows[tok(2)]
    assert isinstance(first, SignalRow) and first.site == "alpha" and first.observed_at == SEEN.replace(tzinfo=None)
    assert (first.text_sketch, first.template_sketch, first.tour_kommun_code) == (SKETCH, SKETCH, "1480")
    assert (first.obscured_phone, first.stated_ethnicity, first.youth_language, first.trust_language,
            first.stated_touring) == (True, False, False, True, True)
    assert second.text_sketch is None and second.obscured_phone is None and second.stated_touring is None


def test_only_usable_runs_are_read(store: Store) -> None:
    for status, number in (("complete", 1), ("partial", 2), ("suspect", 3), ("failed", 4)):
        run_id = start_run(store, "alpha", "Alpha", "cfg", "parser", observed_at=SEEN)
        add_observations(store, run_id, [ad(number)])
        finish_run(store, run_id, "complete" if status == "suspect" else status, pages=1, items=1, errors=0,
                   parse_failures=0, listing_pages=1, finish_reason="finished")
        if status == "suspect":
            from store.run_health import record_health

            record_health(store, run_id, [{"check": "ads", "detail": "few"}])
    assert {row.ad_token for row in iter_signal_rows(store)} == {tok(1), tok(2), tok(3)}


@pytest.mark.parametrize("extra", [
    {"text_sketch": "x" * 89},
    {"tour_kommun_code": "01800"},
    {"stated_touring": "yes"},
])
def test_bad_signal_values_are_refused(store: Store, extra: dict) -> None:
    run_id = start_run(store, "alpha", "Alpha", "cfg", "parser", observed_at=SEEN)
    with pytest.raises(StoreError):
        add_observations(store, run_id, [ad(1, **extra)])
