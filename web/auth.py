"""Roles, password hashes (argon2id), the session secret and the audit log of what leaves lagesbild.

Roles:
* analyst — everything, including per-site crawl runs and the audit log;
* coordinator — every aggregated table and chart for all regions, downloads and the API; no run details;
* export — the API and downloads only (for municipal systems and scripts).

Demo mode (`lagesbild serve --demo`) binds 127.0.0.1 only and treats a request from the loopback
address that has no session as the analyst "demo"; any other request still needs a login.
"""
from __future__ import annotations

import ipaddress
import os
import secrets
import stat
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from store import accounts

ANALYST, COORDINATOR, EXPORT = "analyst", "coordinator", "export"
ROLES = (ANALYST, COORDINATOR, EXPORT)
ROLE_LABELS = {ANALYST: "analytiker", COORDINATOR: "samordnare", EXPORT: "export"}
# What each role may open.
PAGES, RUNS, API, DOWNLOADS = "pages", "runs", "api", "downloads"
ACCESS = {
    ANALYST: {PAGES, RUNS, API, DOWNLOADS},
    COORDINATOR: {PAGES, API, DOWNLOADS},
    EXPORT: {API, DOWNLOADS},
}
DEMO_USER = "demo"
SESSION_SECRET_FILE = "web-session.key"
MIN_PASSWORD_LENGTH = 10
USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-")

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verifying against this keeps a login for an unknown user as slow as for a known one.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AuthError(Exception):
    """A bad user name, password or role given on the command line; or an unusable secret file."""


@dataclass(frozen=True)
class Principal:
    """Who is asking: a user name and a role."""

    username: str
    role: str

    def may(self, area: str) -> bool:
        return area in ACCESS.get(self.role, set())

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)


def check_username(username: str) -> str:
    name = username.strip().lower()
    if not 2 <= len(name) <= 64 or not set(name) <= USERNAME_CHARS:
        raise AuthError("a user name is 2–64 characters: a–z, 0–9, '.', '_' or '-'")
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise AuthError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    return role


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def add_user(store, username: str, password: str, role: str) -> accounts.UserRecord:
    return accounts.add_user(store, check_username(username), hash_password(password), check_role(role))


class LoginThrottle:
    """At most `attempts` failed logins per user name in `window_s` seconds (in this process)."""

    def __init__(self, attempts: int = 10, window_s: float = 300.0) -> None:
        self.attempts, self.window_s = attempts, window_s
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, username: str) -> bool:
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._failures.get(username, []) if now - t < self.window_s]
            self._failures[username] = recent
            return len(recent) >= self.attempts

    def failed(self, username: str) -> None:
        with self._lock:
            self._failures.setdefault(username, []).append(time.monotonic())

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(username, None)


def authenticate(store, username: str, password: str) -> Principal | None:
    """The user's principal if the password matches, else None (as slow for unknown users)."""
    try:
        name = check_username(username)
    except AuthError:
        name = None
    user = accounts.get_user(store, name) if name else None
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        accounts.set_password_hash(store, user.username, _hasher.hash(password))
    accounts.record_login(store, user.username)
    return Principal(user.username, user.role)


def current_principal(store, username: str | None) -> Principal | None:
    """The principal of a session's user name, read afresh (a removed user loses access at once)."""
    if not username:
        return None
    user = accounts.get_user(store, username)
    return None if user is None else Principal(user.username, user.role)


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def session_secret(home: Path) -> str:
    """The cookie-signing secret: a random file in the data folder, created 0600, never logged."""
    path = Path(home) / SESSION_SECRET_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise AuthError(f"{path} can be read by other users; run: chmod 600 {path}") from None
        secret = path.read_text(encoding="ascii").strip()
        if len(secret) < 32:
            raise AuthError(f"{path} is too short to be a session secret; delete it to make a new one")
        return secret
    secret = secrets.token_urlsafe(48)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(secret + "\n")
    return secret


def operator() -> Principal:
    """Who runs a command-line export or report: the operating-system user, for the audit log."""
    import getpass

    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no user name in the environment or the password database
        name = f"uid-{os.getuid()}" if hasattr(os, "getuid") else "okänd"
    return Principal(name[:64], "cli")


def log_event(store, principal: Principal, channel: str, action: str, detail: str) -> None:
    """Who took what out, when: one audit event (the detail names formats and regions, never counts)."""
    accounts.add_audit_event(store, principal.username, principal.role, channel, action, detail)
