"""The portal's audit log: one row per state change, written in the change's transaction; read by supervisors."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from ..store import tables as t
from .errors import NotFound
from .models import AuditEntry, User


def now() -> datetime:
    """The store's time: UTC without a zone."""
    return datetime.now(UTC).replace(tzinfo=None)


def audit(
    conn: Connection,
    actor: str,
    address: str,
    action: str,
    insurer: str | None = None,
    period: str | None = None,
    **detail: Any,
) -> None:
    conn.execute(
        insert(t.portal_audit_log).values(
            at=now(),
            actor=actor,
            address=address[:64],
            action=action,
            insurer_code=insurer,
            period=period,
            detail=json.dumps(detail, ensure_ascii=False, default=str),
        )
    )


def audit_log(engine: Engine, user: User, limit: int = 500) -> list[AuditEntry]:
    if not user.supervisor:
        raise NotFound("no audit log")
    a = t.portal_audit_log.c
    with engine.connect() as conn:
        rows = conn.execute(select(t.portal_audit_log).order_by(a.id.desc()).limit(limit)).all()
    return [
        AuditEntry(
            id=x.id,
            at=x.at,
            actor=x.actor,
            address=x.address,
            action=x.action,
            insurer=x.insurer_code,
            period=x.period,
            detail=json.loads(x.detail),
        )
        for x in rows
    ]
