"""Decisions apply at once: approving a dispensation request judges the filing's latest revision again, in the
approval's transaction, with the dispensation it became (the engine's incremental run: only that document is
judged). The revision then points at the new run: its finding shows as waived by the dispensation (approver,
reference, expiry), its score and blocking state follow, and the filer sees it without uploading again.

A signed revision is a record (the database refuses to change it, migration 0013): it keeps the findings it was
signed with, and the approved dispensation applies to the filing's next revision."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import Connection, select, update

from ..engine import Selection, record_run
from ..results import run_results
from ..ruleset import Ruleset
from ..store import tables as t
from ..store.dispensations import current_dispensations
from . import service


def rejudge_latest(conn: Connection, ruleset: Ruleset, as_of: date | None, insurer: str, period: str) -> int | None:
    """Judge the latest revision of the filing again (in ``conn``'s transaction); its new run id, or None when the
    latest revision is invalid (nothing to judge) or signed (a record, not changed)."""
    r = t.portal_revisions.c
    row = conn.execute(
        select(r.id, r.submission_id)
        .where(r.insurer_code == insurer, r.period == period)
        .order_by(r.sequence.desc())
        .limit(1)
    ).first()
    if row is None or row.submission_id is None:
        return None
    signed = conn.execute(
        select(t.portal_receipts.c.id).where(t.portal_receipts.c.revision_id == row.id).limit(1)
    ).first()
    if signed is not None:  # the record stands as signed; the dispensation applies from the next revision
        return None
    run_id = record_run(
        conn,
        ruleset,
        Selection(submission_ids=(row.submission_id,)),
        as_of or date.today(),
        current_dispensations(conn),
        incremental=True,
    )
    doc = run_results(conn, run_id, include_passes=False).submissions[0]
    blocking = bool(doc.score and doc.score.blocking) or any(service.blocking_finding(f) for f in doc.findings)
    conn.execute(
        update(t.portal_revisions)
        .where(r.id == row.id)
        .values(run_id=run_id, blocking=blocking, compliance=doc.score.compliance if doc.score else None)
    )
    return run_id


def rejudger(ruleset: Ruleset, as_of: date | None) -> Callable[[Connection, str, str], object]:
    """What ``service.decide`` calls after an approval: ``rejudge_latest`` with the portal's ruleset and date."""

    def rejudge(conn: Connection, insurer: str, period: str) -> object:
        return rejudge_latest(conn, ruleset, as_of, insurer, period)

    return rejudge
