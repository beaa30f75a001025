"""config.clock: the product's "now", frozen by LAGESBILD_NOW (tests) or the system clock (time-machine)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from config import clock
from config.errors import ConfigError
from support import TEST_NOW


def test_the_suite_runs_at_its_frozen_moment():
    assert clock.now() == datetime.fromisoformat(TEST_NOW)
    assert clock.now().tzinfo == timezone.utc


@pytest.mark.parametrize("text, expected", [
    ("2026-12-31", datetime(2026, 12, 31, tzinfo=timezone.utc)),  # a date is its midnight, UTC
    ("2026-12-28T10:30", datetime(2026, 12, 28, 10, 30, tzinfo=timezone.utc)),  # no offset: UTC
    ("2027-01-01T00:30:00+01:00", datetime(2026, 12, 31, 23, 30, tzinfo=timezone.utc)),
    ("2026-11-18T12:00:00Z", datetime(2026, 11, 18, 12, tzinfo=timezone.utc)),
    (" 2026-W53-1 ", datetime(2026, 12, 28, tzinfo=timezone.utc)),  # an ISO week date
])
def test_lagesbild_now_fixes_the_moment(monkeypatch, text, expected):
    monkeypatch.setenv(clock.ENV_VAR, text)
    assert clock.now() == expected == clock.frozen()
    assert clock.now().utcoffset() == timedelta(0)


@pytest.mark.parametrize("text", ["igår", "2026-13-01", "18/11/2026"])
def test_a_bad_value_is_a_config_error_naming_the_variable(monkeypatch, text):
    monkeypatch.setenv(clock.ENV_VAR, text)
    with pytest.raises(ConfigError, match="LAGESBILD_NOW") as error:
        clock.now()
    assert repr(text) in str(error.value)


def test_without_the_variable_it_is_the_system_clock(monkeypatch):
    monkeypatch.delenv(clock.ENV_VAR)
    with time_machine.travel(datetime(2026, 12, 31, 23, 59, tzinfo=timezone.utc), tick=False):
        assert clock.now() == datetime(2026, 12, 31, 23, 59, tzinfo=timezone.utc)
        assert clock.frozen() is None
    monkeypatch.setenv(clock.ENV_VAR, "")  # empty counts as unset
    assert abs(clock.now() - datetime.now(timezone.utc)) < timedelta(seconds=5)
