"""The filer's answers to a revision's findings: a response (a principle failure or a warning) or a request to
dispense a principle failure."""

from __future__ import annotations

from sqlalchemy import Engine, insert, select

from ..store import tables as t
from ..store.db import writing
from .audit import audit, now
from .errors import Conflict, Unprocessable
from .models import User
from .revisions import document_of, finding_in, needs_response, open_revision, principle_fail, text_field


def respond(
    engine: Engine, user: User, address: str, insurer: str, period: str, sequence: int, fingerprint: str, text: str
) -> None:
    p = t.portal_responses.c
    with writing(engine).begin() as conn:
        row = open_revision(conn, user, insurer, period, sequence)  # who may act comes first: 404 before 422
        text = text_field(text, "response")
        f = finding_in(document_of(conn, row.run_id), fingerprint)
        if not needs_response(f):
            raise Unprocessable(f"finding {fingerprint} ({f.rule_id}, {f.status}) takes no response")
        conn.execute(t.portal_responses.delete().where(p.revision_id == row.id, p.fingerprint == fingerprint))
        conn.execute(
            insert(t.portal_responses).values(
                revision_id=row.id, fingerprint=fingerprint, text=text, author=user.name, at=now()
            )
        )
        audit(
            conn,
            user.name,
            address,
            "finding.respond",
            insurer,
            period,
            sequence=sequence,
            fingerprint=fingerprint,
            rule=f.rule_id,
        )


def request_dispensation(
    engine: Engine, user: User, address: str, insurer: str, period: str, sequence: int, fingerprint: str, reason: str
) -> int:
    q = t.portal_dispensation_requests.c
    with writing(engine).begin() as conn:
        row = open_revision(conn, user, insurer, period, sequence)
        reason = text_field(reason, "reason")
        f = finding_in(document_of(conn, row.run_id), fingerprint)
        if not principle_fail(f):
            raise Unprocessable(
                f"finding {fingerprint} ({f.rule_id}) is not a principle failure; only those may be dispensed"
            )
        if conn.execute(select(q.id).where(q.revision_id == row.id, q.fingerprint == fingerprint)).first():
            raise Conflict(f"a dispensation for finding {fingerprint} was already requested")
        request_id = int(
            conn.execute(
                insert(t.portal_dispensation_requests)
                .values(
                    revision_id=row.id,
                    fingerprint=fingerprint,
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
            insurer,
            period,
            sequence=sequence,
            request=request_id,
            rule=f.rule_id,
            subject=f.subject,
        )
    return request_id
