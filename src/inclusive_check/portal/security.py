"""Who is calling: accounts' password hashing (Argon2id), sessions (a cookie whose SHA-256 is stored), the login
rate limits (failures per account and per address within a window) and the pages' CSRF check (double submit)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, func, insert, select

from ..store import tables as t
from ..store.db import writing
from .audit import audit, now
from .config import PortalConfig
from .errors import BadLogin, Conflict, RateLimited, Unprocessable
from .models import User

ROLES = ("filer", "supervisor")


def hash_secret(secret: str) -> str:
    """What the store keeps of a session or API token: its SHA-256 (the token itself is shown once)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()  # Argon2id, RFC 9106's second recommended parameters


def user_of(row: Any) -> User:
    return User(int(row.id), row.name, row.role, row.insurer_code)


def csrf_ok(given: object, cookie: str | None) -> bool:
    """A page form's ``csrf`` field equals the ``ic_csrf`` cookie (SameSite=Strict), compared in constant time."""
    return isinstance(given, str) and bool(cookie) and hmac.compare_digest(given, cookie or "")


def create_user(engine: Engine, name: str, role: str, insurer: str | None, password: str) -> int:
    if role not in ROLES:
        raise Unprocessable(f"role must be one of {', '.join(ROLES)}")
    if (role == "filer") != bool(insurer):
        raise Unprocessable("a filer needs --insurer CODE; a supervisor takes none")
    if not name or len(name) > 100 or not name.isprintable():
        raise Unprocessable("the name must be 1-100 printable characters")
    if len(password) < 8:
        raise Unprocessable("the password must have at least 8 characters")
    u = t.portal_users.c
    with writing(engine).begin() as conn:
        if conn.execute(select(u.id).where(u.name == name)).first() is not None:
            raise Conflict(f"a user named {name!r} exists")
        user_id = int(
            conn.execute(
                insert(t.portal_users)
                .values(
                    name=name, role=role, insurer_code=insurer, password_hash=hasher().hash(password), created_at=now()
                )
                .returning(u.id)
            ).scalar_one()
        )
        audit(conn, "cli", "local", "user.create", insurer, user=name, role=role)
    return user_id


def session_user(engine: Engine, token: str) -> User | None:
    u, s = t.portal_users.c, t.portal_sessions.c
    with engine.connect() as conn:
        row = conn.execute(
            select(u.id, u.name, u.role, u.insurer_code)
            .join(t.portal_sessions, s.user_id == u.id)
            .where(s.token_hash == hash_secret(token), s.expires_at > now(), u.disabled_at.is_(None))
        ).first()
    return None if row is None else user_of(row)


def login(engine: Engine, config: PortalConfig, name: str, password: str, address: str) -> tuple[str, User]:
    """A new session for ``name``; failed attempts are counted per account and address and, past the limits
    within the window, refused without checking the password (RateLimited)."""
    from argon2.exceptions import VerificationError

    u, f = t.portal_users.c, t.portal_login_failures.c
    since = now() - timedelta(minutes=config.login_window_minutes)
    with engine.connect() as conn:
        by_account = conn.execute(select(func.count()).where(f.account == name[:100], f.at > since)).scalar_one()
        by_address = conn.execute(select(func.count()).where(f.address == address[:64], f.at > since)).scalar_one()
        row = conn.execute(select(t.portal_users).where(u.name == name, u.disabled_at.is_(None))).first()
    if by_account >= config.login_failures_per_account or by_address >= config.login_failures_per_address:
        raise RateLimited(config.login_window_minutes * 60)
    ok = False
    try:
        # an unknown account costs a verification too, so that timing does not tell which names exist
        ok = hasher().verify(row.password_hash if row else _dummy_hash(), password)
    except VerificationError:
        ok = False
    with writing(engine).begin() as conn:
        if not ok or row is None:
            conn.execute(insert(t.portal_login_failures).values(account=name[:100], address=address[:64], at=now()))
            audit(conn, name[:100] or "-", address, "login.failed")
            failed = True
        else:
            token = secrets.token_urlsafe(32)
            conn.execute(
                insert(t.portal_sessions).values(
                    user_id=row.id,
                    token_hash=hash_secret(token),
                    created_at=now(),
                    expires_at=now() + timedelta(hours=config.session_hours),
                )
            )
            audit(conn, row.name, address, "login", row.insurer_code)
            failed = False
    if failed or row is None:
        raise BadLogin("unknown account or wrong password")
    return token, user_of(row)


_dummy: list[str] = []


def _dummy_hash() -> str:
    """A hash to verify against for an unknown account, made on first use (hashing costs ~50 ms)."""
    if not _dummy:
        _dummy.append(hasher().hash(secrets.token_hex(16)))
    return _dummy[0]


def logout(engine: Engine, token: str, user: User, address: str) -> None:
    s = t.portal_sessions.c
    with writing(engine).begin() as conn:
        conn.execute(t.portal_sessions.delete().where(s.token_hash == hash_secret(token)))
        audit(conn, user.name, address, "logout", user.insurer)
