"""Study-period keys: one random master key per period in a 0600 file, a registry, rotation and crypto-shredding.

The key directory holds `periods.json` (ids, dates and states; no key material) and one
`period-<id>.key` file per period that still has its key. Tokens made with one period's key
never match tokens of another period, and once a period's key file is destroyed its tokens
cannot be linked to anything new.
"""
from __future__ import annotations

import json
import os
import secrets
import stat
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

KEY_BYTES = 32
REGISTRY = "periods.json"
PERIOD_POLICIES = ("year", "quarter", "month", "manual")
STOCKHOLM = ZoneInfo("Europe/Stockholm")


class KeyFileError(Exception):
    """The key directory or a key file is missing, unreadable, malformed or too open."""


class SecretKey:
    """Key bytes that refuse to show themselves in repr, str, logs or pickles."""

    __slots__ = ("_material",)

    def __init__(self, material: bytes) -> None:
        if len(material) < KEY_BYTES:
            raise KeyFileError(f"key material must be at least {KEY_BYTES} bytes")
        self._material = material

    def reveal(self) -> bytes:
        return self._material

    def __repr__(self) -> str:
        return "SecretKey(<redacted>)"

    __str__ = __repr__

    def __reduce__(self):  # never pickled into a child process or a cache
        raise TypeError("SecretKey cannot be pickled")


@dataclass(frozen=True)
class StudyPeriod:
    """One study period: its key made every token stored while it was active."""

    id: str
    label: str  # the calendar period it belongs to ("2026", "2026-Q4", "2026-11"), or the id when manual
    created_at: str
    status: str  # active | ended | destroyed
    ended_at: str | None = None
    destroyed_at: str | None = None


def calendar_label(moment: datetime, policy: str) -> str | None:
    """The calendar period a moment falls in under a policy (None for manual rotation)."""
    day: date = moment.astimezone(STOCKHOLM).date() if moment.tzinfo else moment.date()
    if policy == "year":
        return str(day.year)
    if policy == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if policy == "month":
        return f"{day.year}-{day.month:02d}"
    if policy == "manual":
        return None
    raise KeyFileError(f"unknown key period policy {policy!r}; use one of {', '.join(PERIOD_POLICIES)}")


def _write_new_key(path: Path) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(KEY_BYTES) + "\n")


def read_key_file(path: Path) -> SecretKey:
    """Read one key file, refusing files other users can read."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise KeyFileError(f"key file {path} does not exist") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(f"key file {path} is readable by other users; run: chmod 600 {path}")
    text = path.read_text(encoding="ascii").strip()
    try:
        material = bytes.fromhex(text)
    except ValueError:
        raise KeyFileError(f"key file {path} is not a hex-encoded key") from None
    return SecretKey(material)


def _now_text(now: datetime) -> str:
    return now.astimezone(timezone.utc).isoformat(timespec="seconds")


class KeyRing:
    """The study periods in one key directory."""

    def __init__(self, directory: Path, policy: str = "year") -> None:
        calendar_label(datetime.now(timezone.utc), policy)  # validates the policy
        self.directory = directory
        self.policy = policy

    def __repr__(self) -> str:
        return f"KeyRing({self.directory}, policy={self.policy})"

    # --- registry ----------------------------------------------------------------

    @property
    def registry_path(self) -> Path:
        return self.directory / REGISTRY

    def key_path(self, period_id: str) -> Path:
        return self.directory / f"period-{period_id}.key"

    def periods(self) -> list[StudyPeriod]:
        try:
            data = json.loads(self.registry_path.read_text(encoding="utf-8"))
            return [StudyPeriod(**entry) for entry in data["periods"]]
        except FileNotFoundError:
            return []
        except (ValueError, KeyError, TypeError) as exc:
            raise KeyFileError(f"{self.registry_path} is damaged ({type(exc).__name__}); restore it from backup") from None

    def _save(self, periods: list[StudyPeriod]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = self.registry_path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"policy": self.policy, "periods": [asdict(p) for p in periods]}, indent=2) + "\n",
                             encoding="utf-8")
        temporary.replace(self.registry_path)

    def active(self) -> StudyPeriod | None:
        return next((p for p in self.periods() if p.status == "active"), None)

    # --- changes -----------------------------------------------------------------

    def _new_id(self, label: str | None, existing: list[StudyPeriod]) -> str:
        taken = {p.id for p in existing}
        base = label or f"P{len(existing) + 1}"
        candidate, n = base, 1
        while candidate in taken:
            n += 1
            candidate = f"{base}.{n}"
        return candidate

    def init(self, now: datetime) -> StudyPeriod:
        """Create the first study period and its key."""
        if self.periods():
            raise KeyFileError(f"{self.directory} already has study periods; use `lagesbild keys rotate`")
        return self._start(now, [])

    def rotate(self, now: datetime) -> StudyPeriod:
        """End the active period and start a new one with a new key."""
        periods = self.periods()
        if not periods:
            raise KeyFileError(f"no study periods in {self.directory}; run `lagesbild keys init` first")
        ended = [replace(p, status="ended", ended_at=_now_text(now)) if p.status == "active" else p for p in periods]
        return self._start(now, ended)

    def _start(self, now: datetime, periods: list[StudyPeriod]) -> StudyPeriod:
        label = calendar_label(now, self.policy)
        period_id = self._new_id(label, periods)
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        _write_new_key(self.key_path(period_id))
        period = StudyPeriod(period_id, label or period_id, _now_text(now), "active")
        self._save([*periods, period])
        return period

    def destroy(self, period_id: str, now: datetime) -> StudyPeriod:
        """Crypto-shred a period: overwrite and delete its key file. Its stored tokens stay, unlinkable."""
        periods = self.periods()
        period = next((p for p in periods if p.id == period_id), None)
        if period is None:
            known = ", ".join(p.id for p in periods) or "none"
            raise KeyFileError(f"no study period {period_id!r} (known: {known})")
        if period.status == "active":
            raise KeyFileError(f"study period {period_id} is active; run `lagesbild keys rotate` first")
        if period.status == "destroyed":
            raise KeyFileError(f"study period {period_id} was already destroyed at {period.destroyed_at}")
        path = self.key_path(period_id)
        if path.exists():
            size = path.stat().st_size
            with path.open("r+b") as handle:  # overwrite before unlinking, for what that is worth on the medium
                handle.write(secrets.token_bytes(size))
                handle.flush()
                os.fsync(handle.fileno())
            path.unlink()
        destroyed = replace(period, status="destroyed", destroyed_at=_now_text(now))
        self._save([destroyed if p.id == period_id else p for p in periods])
        return destroyed

    # --- use ---------------------------------------------------------------------

    def key_for_crawl(self, now: datetime, *, create_if_missing: bool = False) -> tuple[StudyPeriod, SecretKey]:
        """The active period's key, starting the next period when the calendar period has turned.

        A missing key directory is an error (never a silent new key) unless `create_if_missing`
        (the demo); a registered period whose key file has gone missing is always an error.
        """
        active = self.active()
        if active is None:
            if self.periods():
                raise KeyFileError(f"no active study period in {self.directory}; run `lagesbild keys rotate`")
            if not create_if_missing:
                raise KeyFileError(
                    f"no study-period key in {self.directory}; run `lagesbild keys init` once "
                    "(or point LAGESBILD_KEY_DIR at the mounted key directory)")
            active = self.init(now)
        label = calendar_label(now, self.policy)
        if label is not None and label != active.label:
            active = self.rotate(now)  # the study period has ended: tokens must stop linking across it
        path = self.key_path(active.id)
        if not path.exists():
            raise KeyFileError(f"key file for study period {active.id} is missing: {path}")
        return active, read_key_file(path)
