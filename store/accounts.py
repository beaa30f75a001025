"""Repository functions for staff accounts (dashboard and API logins) and the audit log of what left lagesbild.

Password hashes are made by the caller (web.auth, argon2id); this module only stores and reads them.
The audit log records who took which published table out (export, download, report) and when; its
detail names formats, levels, periods and regions, never a count.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from store.errors import StoreError
from store.models import (
    AUDIT_ACTION_LEN,
    AUDIT_CHANNEL_LEN,
    AUDIT_DETAIL_LEN,
    PASSWORD_HASH_LEN,
    ROLE_LEN,
    USERNAME_LEN,
    AppUser,
    AuditEvent,
    to_naive_utc,
    utcnow,
)
from store.session import StoreOrSession, check_text, session_scope


class UserExists(StoreError):
    """A user with that name is already registered."""


@dataclass(frozen=True)
class UserRecord:
    id: int
    username: str
    role: str
    password_hash: str
    created_at: datetime
    last_login_at: datetime | None


@dataclass(frozen=True)
class AuditRecord:
    id: int
    at: datetime
    username: str
    role: str
    channel: str
    action: str
    detail: str


def _user(row: AppUser) -> UserRecord:
    assert row.id is not None
    return UserRecord(row.id, row.username, row.role, row.password_hash, row.created_at, row.last_login_at)


def add_user(target: StoreOrSession, username: str, password_hash: str, role: str) -> UserRecord:
    """Register a user; a name already taken raises UserExists."""
    check_text("user name", username, USERNAME_LEN, required=True)
    check_text("password hash", password_hash, PASSWORD_HASH_LEN, required=True)
    check_text("role", role, ROLE_LEN, required=True)
    with session_scope(target) as session:
        if session.exec(select(AppUser).where(AppUser.username == username)).scalar_one_or_none():
            raise UserExists(f"user {username!r} already exists")
        row = AppUser(username=username, password_hash=password_hash, role=role, created_at=utcnow())
        session.add(row)
        session.flush()
        return _user(row)


def get_user(target: StoreOrSession, username: str) -> UserRecord | None:
    with session_scope(target) as session:
        row = session.exec(select(AppUser).where(AppUser.username == username)).scalar_one_or_none()
        return None if row is None else _user(row)


def list_users(target: StoreOrSession) -> list[UserRecord]:
    with session_scope(target) as session:
        return [_user(row) for row in session.exec(select(AppUser).order_by(AppUser.username)).scalars()]


def remove_user(target: StoreOrSession, username: str) -> bool:
    """Delete a user; False when there was none. Audit events keep the name they were recorded with."""
    with session_scope(target) as session:
        result = session.exec(delete(AppUser).where(AppUser.username == username))
        return bool(result.rowcount)


def set_password_hash(target: StoreOrSession, username: str, password_hash: str) -> None:
    """Replace a user's hash (argon2 parameters were upgraded, or a new password)."""
    check_text("password hash", password_hash, PASSWORD_HASH_LEN, required=True)
    with session_scope(target) as session:
        row = session.exec(select(AppUser).where(AppUser.username == username)).scalar_one_or_none()
        if row is not None:
            row.password_hash = password_hash
            session.add(row)


def record_login(target: StoreOrSession, username: str, at: datetime | None = None) -> None:
    with session_scope(target) as session:
        row = session.exec(select(AppUser).where(AppUser.username == username)).scalar_one_or_none()
        if row is not None:
            row.last_login_at = to_naive_utc(at) if at else utcnow()
            session.add(row)


def add_audit_event(target: StoreOrSession, username: str, role: str, channel: str, action: str,
                    detail: str, at: datetime | None = None) -> int:
    """Append one audit event; the detail is cut to the column size."""
    check_text("user name", username, USERNAME_LEN, required=True)
    check_text("role", role, ROLE_LEN, required=True)
    check_text("channel", channel, AUDIT_CHANNEL_LEN, required=True)
    check_text("action", action, AUDIT_ACTION_LEN, required=True)
    row = AuditEvent(at=to_naive_utc(at) if at else utcnow(), username=username, role=role, channel=channel,
                     action=action, detail=detail[:AUDIT_DETAIL_LEN])
    with session_scope(target) as session:
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id


def list_audit_events(target: StoreOrSession, last: int | None = 100) -> list[AuditRecord]:
    """The newest audit events first."""
    statement = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if last is not None:
        statement = statement.limit(last)
    with session_scope(target) as session:
        return [AuditRecord(r.id, r.at, r.username, r.role, r.channel, r.action, r.detail)
                for r in session.exec(statement).scalars()]
