"""The filer's answers to a revision's findings: a response (a principle failure or a warning) or a request to
dispense a principle failure."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from ..store import tables as t
from ..store.db import writing
from .audit import audit, now
from .errors import Conflict, Unprocessable
from .models import User
from .revisions import document_of, finding_in, needs_response, open_revision, principle_fail, text_field


def respond(
    engine: Engine, user: User, address: str, insurer: str, period: str, sequence: int, fingerprint: str, text: str
) -> None:
    with writing(engine).begin() as conn:
        row = open_revision(conn, user, insurer, period, sequence)  # who may act comes first: 404 before 422
        text = text_field(text, "response")
        f = finding_in(document_of(conn, row.run_id), fingerprint)
        if not needs_response(f):
            raise Unprocessable(f"finding {fingerprint} ({f.rule_id}, {f.status}) takes no response")
        record_response(conn, user, address, row, f, text)


def record_response(conn: Connection, user: User, address: str, row: Any, f: Any, text: str) -> None:
    """The filer's response to finding ``f`` of revision ``row`` (replacing any, a carried-over one included)."""
    p = t.portal_responses.c
    conn.execute(t.portal_responses.delete().where(p.revision_id == row.id, p.fingerprint == f.fingerprint))
    conn.execute(
        insert(t.portal_responses).values(
            revision_id=row.id, fingerprint=f.fingerprint, text=text, author=user.name, at=now()
        )
    )
    audit(
        conn,
        user.name,
        address,
        "finding.respond",
        row.insurer_code,
        row.period,
        sequence=row.sequence,
        fingerprint=f.fingerprint,
        rule=f.rule_id,
    )


def requested(conn: Connection, revision_id: int, fingerprint: str) -> bool:
    q = t.portal_dispensation_requests.c
    found = conn.execute(select(q.id).where(q.revision_id == revision_id, q.fingerprint == fingerprint)).first()
    return found is not None


def request_dispensation(
    engine: Engine, user: User, address: str, insurer: str, period: str, sequence: int, fingerprint: str, reason: str
) -> int:
    with writing(engine).begin() as conn:
        row = open_revision(conn, user, insurer, period, sequence)
        reason = text_field(reason, "reason")
        f = finding_in(document_of(conn, row.run_id), fingerprint)
        if not principle_fail(f):
            raise Unprocessable(
                f"finding {fingerprint} ({f.rule_id}) is not a principle failure; only those may be dispensed"
            )
        if requested(conn, row.id, fingerprint):
            raise Conflict(f"a dispensation for finding {fingerprint} was already requested")
        return record_request(conn, user, address, row, f, reason)


def record_request(conn: Connection, user: User, address: str, row: Any, f: Any, reason: str) -> int:
    """A pending request to dispense principle failure ``f`` of revision ``row``; its id."""
    q = t.portal_dispensation_requests.c
    request_id = int(
        conn.execute(
            insert(t.portal_dispensation_requests)
            .values(
                revision_id=row.id,
                fingerprint=f.fingerprint,
                rule_id=f.rule_id,
                subject=f.subject,
                reason=reason,
                requested_by=user.name,
                requested_at=now(),
                state="pending",
            )
            .returning(q.id)
        ).scalar_one()
    )
    audit(
        conn,
        user.name,
        address,
        "dispensation.request",
        row.insurer_code,
        row.period,
        sequence=row.sequence,
        request=request_id,
        rule=f.rule_id,
        subject=f.subject,
    )
    return request_id
