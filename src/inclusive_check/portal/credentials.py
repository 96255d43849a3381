"""Credentials with a lifecycle: API tokens with a name, an expiry and a last-used time, revoked at will; users
disabled and enabled, passwords set. Disabling a user ends its sessions and revokes its tokens in the same
transaction; every change is audited. The CLI (`inclusive-check tokens|users ...`) and the supervisor's API and
page call these functions (docs/portal.md).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert, select, update

from ..store import tables as t
from ..store.db import writing
from .audit import audit, now
from .config import PortalConfig
from .errors import NotFound, Unprocessable
from .models import User
from .security import hash_secret, hasher, user_of

LAST_USED_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often per token (not per request)


@dataclass(frozen=True)
class TokenInfo:
    id: int
    user: str
    name: str | None
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    def state(self, at: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= at:
            return "expired"
        return "active"

    def as_dict(self, at: datetime) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return None if value is None else value.isoformat(timespec="seconds")

        return {
            "id": self.id,
            "user": self.user,
            "name": self.name,
            "state": self.state(at),
            "created_at": iso(self.created_at),
            "expires_at": iso(self.expires_at),
            "last_used_at": iso(self.last_used_at),
            "revoked_at": iso(self.revoked_at),
        }


def create_token(
    engine: Engine,
    user_name: str,
    config: PortalConfig | None = None,
    *,
    name: str | None = None,
    days: int | None = None,
    actor: str = "cli",
    address: str = "local",
) -> str:
    """A new API token for user ``user_name``: shown once, stored as its SHA-256, expiring after ``days``
    (default the configuration's token_days, at most its token_max_days)."""
    config = config or PortalConfig()
    days = config.token_days if days is None else days
    if not 1 <= days <= config.token_max_days:
        raise Unprocessable(f"a token lasts 1 to {config.token_max_days} days (token_max_days), not {days}")
    if name is not None and (len(name) > 100 or not name.isprintable()):
        raise Unprocessable("a token's name is at most 100 printable characters")
    token = "icp_" + secrets.token_urlsafe(32)
    u = t.portal_users.c
    with writing(engine).begin() as conn:
        row = conn.execute(select(u.id, u.disabled_at).where(u.name == user_name)).first()
        if row is None:
            raise NotFound(f"no user named {user_name!r}")
        if row.disabled_at is not None:
            raise Unprocessable(f"user {user_name!r} is disabled; enable it first")
        expires = now() + timedelta(days=days)
        conn.execute(
            insert(t.portal_tokens).values(
                user_id=row.id, token_hash=hash_secret(token), created_at=now(), name=name, expires_at=expires
            )
        )
        audit(conn, actor, address, "token.create", user=user_name, name=name, expires=expires)
    return token


def token_user(engine: Engine, token: str) -> User | None:
    """The user of a live token (not revoked, not expired, user not disabled), its last use recorded."""
    u, k = t.portal_users.c, t.portal_tokens.c
    at = now()
    with engine.connect() as conn:
        row = conn.execute(
            select(u.id, u.name, u.role, u.insurer_code, k.id.label("token_id"), k.last_used_at)
            .join(t.portal_tokens, k.user_id == u.id)
            .where(
                k.token_hash == hash_secret(token),
                k.revoked_at.is_(None),
                k.expires_at > at,
                u.disabled_at.is_(None),
            )
        ).first()
    if row is None:
        return None
    if row.last_used_at is None or at - row.last_used_at >= LAST_USED_EVERY:
        with writing(engine).begin() as conn:
            conn.execute(update(t.portal_tokens).where(k.id == row.token_id).values(last_used_at=at))
    return user_of(row)


def list_tokens(engine: Engine, user_name: str | None = None) -> list[TokenInfo]:
    u, k = t.portal_users.c, t.portal_tokens.c
    query = select(k.id, u.name.label("user"), k.name, k.created_at, k.expires_at, k.last_used_at, k.revoked_at).join(
        t.portal_users, k.user_id == u.id
    )
    if user_name is not None:
        query = query.where(u.name == user_name)
    with engine.connect() as conn:
        return [TokenInfo(*row) for row in conn.execute(query.order_by(k.id))]


def revoke_token(engine: Engine, token_id: int, actor: str = "cli", address: str = "local") -> TokenInfo:
    """Revoke token ``token_id`` at once (revoking a revoked token changes nothing and is not audited again)."""
    k = t.portal_tokens.c
    with writing(engine).begin() as conn:
        changed = conn.execute(
            update(t.portal_tokens).where(k.id == token_id, k.revoked_at.is_(None)).values(revoked_at=now())
        ).rowcount
        found = [x for x in _tokens_in(conn, token_id)]
        if not found:
            raise NotFound(f"no token {token_id}")
        if changed:
            audit(conn, actor, address, "token.revoke", user=found[0].user, token=token_id, name=found[0].name)
    return found[0]


def _tokens_in(conn: Any, token_id: int) -> list[TokenInfo]:
    u, k = t.portal_users.c, t.portal_tokens.c
    query = select(k.id, u.name, k.name, k.created_at, k.expires_at, k.last_used_at, k.revoked_at).join(
        t.portal_users, k.user_id == u.id
    )
    return [TokenInfo(*row) for row in conn.execute(query.where(k.id == token_id))]


@dataclass(frozen=True)
class UserInfo:
    name: str
    role: str
    insurer: str | None
    created_at: datetime
    disabled_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "role": self.role,
            "insurer": self.insurer,
            "created_at": self.created_at.isoformat(timespec="seconds"),
            "disabled_at": None if self.disabled_at is None else self.disabled_at.isoformat(timespec="seconds"),
        }


def list_users(engine: Engine) -> list[UserInfo]:
    u = t.portal_users.c
    with engine.connect() as conn:
        rows = conn.execute(select(u.name, u.role, u.insurer_code, u.created_at, u.disabled_at).order_by(u.name))
        return [UserInfo(*row) for row in rows]


def set_disabled(engine: Engine, name: str, disabled: bool, actor: str = "cli", address: str = "local") -> bool:
    """Disable (or enable) user ``name``; disabling deletes its sessions and revokes its tokens in the same
    transaction, so that nothing it held works a moment later. True when the state changed."""
    u, k, s = t.portal_users.c, t.portal_tokens.c, t.portal_sessions.c
    at = now()
    with writing(engine).begin() as conn:
        row = conn.execute(select(u.id, u.disabled_at, u.insurer_code).where(u.name == name)).first()
        if row is None:
            raise NotFound(f"no user named {name!r}")
        if (row.disabled_at is not None) == disabled:
            return False
        conn.execute(update(t.portal_users).where(u.id == row.id).values(disabled_at=at if disabled else None))
        if not disabled:
            audit(conn, actor, address, "user.enable", row.insurer_code, user=name)
            return True
        sessions = conn.execute(t.portal_sessions.delete().where(s.user_id == row.id)).rowcount
        tokens = conn.execute(
            update(t.portal_tokens).where(k.user_id == row.id, k.revoked_at.is_(None)).values(revoked_at=at)
        ).rowcount
        audit(conn, actor, address, "user.disable", row.insurer_code, user=name, sessions=sessions, tokens=tokens)
    return True


def set_password(engine: Engine, name: str, password: str, actor: str = "cli", address: str = "local") -> None:
    """A new password for ``name``; its sessions end (whoever knew the old one is logged out), tokens stay."""
    if len(password) < 8:
        raise Unprocessable("the password must have at least 8 characters")
    if len(password) > 1000:
        raise Unprocessable("the password must have at most 1000 characters")
    u, s = t.portal_users.c, t.portal_sessions.c
    with writing(engine).begin() as conn:
        row = conn.execute(select(u.id, u.insurer_code).where(u.name == name)).first()
        if row is None:
            raise NotFound(f"no user named {name!r}")
        conn.execute(update(t.portal_users).where(u.id == row.id).values(password_hash=hasher().hash(password)))
        sessions = conn.execute(t.portal_sessions.delete().where(s.user_id == row.id)).rowcount
        audit(conn, actor, address, "user.password", row.insurer_code, user=name, sessions=sessions)
