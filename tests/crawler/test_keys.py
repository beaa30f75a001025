"""Study-period keys: 0600 files, a registry without key material, rotation, and crypto-shredding."""
from __future__ import annotations

import os
import stat
from datetime import datetime, timezone

import pytest

from crawler.anonymiser import Tokeniser
from crawler.keys import KeyFileError, KeyRing, calendar_label, read_key_file

NOV_2026 = datetime(2026, 11, 22, 12, tzinfo=timezone.utc)
JAN_2027 = datetime(2027, 1, 2, 12, tzinfo=timezone.utc)


def test_init_creates_a_0600_key_and_a_registry_without_key_material(tmp_path):
    ring = KeyRing(tmp_path / "keys")
    period = ring.init(NOV_2026)
    assert period.id == "2026" and period.status == "active"
    key_file = ring.key_path("2026")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700
    assert key_file.read_text().strip() not in ring.registry_path.read_text()
    with pytest.raises(KeyFileError, match="already has study periods"):
        ring.init(NOV_2026)


def test_no_key_is_an_error_not_a_silent_new_key(tmp_path):
    ring = KeyRing(tmp_path / "keys")
    with pytest.raises(KeyFileError, match="keys init"):
        ring.key_for_crawl(NOV_2026)
    assert not (tmp_path / "keys").exists()
    period, _ = ring.key_for_crawl(NOV_2026, create_if_missing=True)  # the demo
    assert period.id == "2026"


def test_a_missing_key_file_of_a_registered_period_is_an_error(tmp_path):
    ring = KeyRing(tmp_path)
    ring.init(NOV_2026)
    ring.key_path("2026").unlink()
    with pytest.raises(KeyFileError, match="missing"):
        ring.key_for_crawl(NOV_2026, create_if_missing=True)


def test_the_same_period_gives_the_same_key(tmp_path):
    ring = KeyRing(tmp_path)
    ring.init(NOV_2026)
    assert ring.key_for_crawl(NOV_2026)[1].reveal() == ring.key_for_crawl(NOV_2026)[1].reveal()


def test_a_new_calendar_period_starts_a_new_key(tmp_path):
    ring = KeyRing(tmp_path, policy="year")
    ring.init(NOV_2026)
    old = ring.key_for_crawl(NOV_2026)[1]
    period, new = ring.key_for_crawl(JAN_2027)
    assert period.id == "2027" and new.reveal() != old.reveal()
    assert [p.status for p in ring.periods()] == ["ended", "active"]


def test_rotation_within_a_period_gets_a_suffixed_id(tmp_path):
    ring = KeyRing(tmp_path)
    ring.init(NOV_2026)
    assert ring.rotate(NOV_2026).id == "2026.2"
    manual = KeyRing(tmp_path / "m", policy="manual")
    assert manual.init(NOV_2026).id == "P1" and manual.rotate(JAN_2027).id == "P2"
    assert manual.key_for_crawl(datetime(2030, 1, 1, tzinfo=timezone.utc))[0].id == "P2"


def test_destroy_shreds_the_key_and_keeps_the_record(tmp_path):
    ring = KeyRing(tmp_path)
    ring.init(NOV_2026)
    with pytest.raises(KeyFileError, match="rotate"):
        ring.destroy("2026", NOV_2026)
    ring.rotate(JAN_2027)
    destroyed = ring.destroy("2026", JAN_2027)
    assert destroyed.status == "destroyed" and not ring.key_path("2026").exists()
    with pytest.raises(KeyFileError, match="already destroyed"):
        ring.destroy("2026", JAN_2027)
    with pytest.raises(KeyFileError, match="no study period"):
        ring.destroy("1999", JAN_2027)


def test_tokens_of_two_periods_never_match(tmp_path):
    ring = KeyRing(tmp_path)
    ring.init(NOV_2026)
    first = Tokeniser(ring.key_for_crawl(NOV_2026)[1])
    second = Tokeniser(ring.key_for_crawl(JAN_2027)[1])
    assert first.phone("+46701740605") != second.phone("+46701740605")


def test_open_key_files_and_damaged_registries_are_refused(tmp_path):
    ring = KeyRing(tmp_path)
    ring.init(NOV_2026)
    os.chmod(ring.key_path("2026"), 0o644)
    with pytest.raises(KeyFileError, match="chmod 600"):
        read_key_file(ring.key_path("2026"))
    ring.registry_path.write_text("{not json")
    with pytest.raises(KeyFileError, match="damaged"):
        ring.periods()


@pytest.mark.parametrize("policy, label", [("year", "2026"), ("quarter", "2026-Q4"), ("month", "2026-11"), ("manual", None)])
def test_calendar_labels(policy, label):
    assert calendar_label(NOV_2026, policy) == label
    with pytest.raises(KeyFileError):
        calendar_label(NOV_2026, "fortnight")
