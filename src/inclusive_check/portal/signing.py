"""Signing a revision (the receipt), the supervisor's review of a signed filing (accept or return), and the
comparison of two revisions."""

from __future__ import annotations

from sqlalchemy import Engine, insert, select

from ..contract.outputs import DiffResult
from ..results import diff_runs
from ..store import tables as t
from ..store.db import advisory_lock, writing
from .audit import audit, now
from .errors import Conflict, NotFound, Unprocessable
from .models import Receipt, ReviewOut, User
from .revisions import (
    check_period,
    document_of,
    latest_sequence,
    needs_response,
    open_revision,
    receipt_of,
    reviews_of,
    revision_row,
    text_field,
    visible,
)


def sign(engine: Engine, user: User, address: str, insurer: str, period: str, sequence: int, attest: bool) -> Receipt:
    """Sign the latest revision: refused past a blocking error or with a finding left unanswered."""
    with writing(engine).begin() as conn:
        row = open_revision(conn, user, insurer, period, sequence)
        if not attest:
            raise Unprocessable("signing needs the attestation that the data behind the findings was verified")
        if row.blocking:
            raise Conflict(
                f"revision {sequence} has blocking errors (a mandatory rule or the solvency gate); "
                "fix them and upload a new revision"
            )
        document = document_of(conn, row.run_id)
        p, q = t.portal_responses.c, t.portal_dispensation_requests.c
        handled = set(conn.execute(select(p.fingerprint).where(p.revision_id == row.id)).scalars()) | set(
            conn.execute(select(q.fingerprint).where(q.revision_id == row.id)).scalars()
        )
        left = [
            f for f in (document.findings if document else []) if needs_response(f) and f.fingerprint not in handled
        ]
        if left:
            raise Conflict(
                f"{len(left)} finding(s) need a response or a dispensation request before signing: "
                + ", ".join(f"{f.rule_id} {f.subject}" for f in left[:5])
            )
        at = now()
        conn.execute(
            insert(t.portal_receipts).values(
                revision_id=row.id,
                insurer_code=insurer,
                period=period,
                sequence=sequence,
                sha256=row.sha256,
                signer=user.name,
                signed_at=at,
            )
        )
        audit(conn, user.name, address, "revision.sign", insurer, period, sequence=sequence, sha256=row.sha256)
        receipt = receipt_of(conn, row.id)
    assert receipt is not None
    return receipt


def diff(engine: Engine, user: User, insurer: str, period: str, before: int, after: int) -> DiffResult:
    visible(user, insurer, period)
    with engine.connect() as conn:
        runs = [revision_row(conn, insurer, period, n).run_id for n in (before, after)]
    if None in runs:
        raise Conflict("an invalid revision has no findings to compare")
    return diff_runs(engine, runs[0], runs[1], insurer=insurer)


def review(engine: Engine, user: User, address: str, insurer: str, period: str, action: str, note: str) -> ReviewOut:
    """Accept or return (with a note) the latest revision of a filing, which must be signed."""
    if not user.supervisor:
        raise NotFound(f"no filing for {insurer} {period}")
    check_period(period)
    if action not in ("accepted", "returned"):
        raise Unprocessable("action must be accepted or returned")
    note = note.strip()
    if action == "returned":
        note = text_field(note, "note")
    with writing(engine).begin() as conn:
        advisory_lock(conn, "portal-filing", insurer, period)
        latest = latest_sequence(conn, insurer, period)
        if latest == 0:
            raise NotFound(f"no filing for {insurer} {period}")
        row = revision_row(conn, insurer, period, latest)
        if receipt_of(conn, row.id) is None:
            raise Conflict(f"revision {latest} is not signed; only a signed filing is accepted or returned")
        done = reviews_of(conn, row.id)
        if done:
            raise Conflict(f"revision {latest} was already {done[-1].action}")
        conn.execute(
            insert(t.portal_reviews).values(revision_id=row.id, action=action, note=note, reviewer=user.name, at=now())
        )
        audit(conn, user.name, address, f"filing.{action[:-2]}", insurer, period, sequence=latest, note=note)
    return ReviewOut(sequence=latest, action=action, note=note)
