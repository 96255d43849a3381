"""The stored dispensations, with history: what `dispensations import` writes and a later `run` reads."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, insert, select, update

from ..contract.dispensations import Dispensation
from ..rule_ids import canonical
from . import tables as t
from .db import advisory_locks, writing


def import_dispensations(engine: Engine, items: Iterable[Dispensation], source: str) -> dict[str, int]:
    """Store dispensations with history: a changed one becomes a new version; the same one again is a no-op."""
    with writing(engine).begin() as conn:
        return store_dispensations(conn, items, source)


def store_dispensations(conn: Connection, items: Iterable[Dispensation], source: str) -> dict[str, int]:
    """``import_dispensations`` in the caller's transaction (the portal approves a request and stores it in one)."""
    d_t = t.dispensations.c
    counts = {"new": 0, "changed": 0, "unchanged": 0}
    now = datetime.now(UTC).replace(tzinfo=None)
    # Importers take turns (SQLite: BEGIN IMMEDIATE; PostgreSQL: a lock per id, taken in key order so that two
    # imports of overlapping files never deadlock): each reads the latest version only after the previous
    # importer committed, so no version is lost or numbered twice.
    ordered = sorted(items, key=lambda d: d.id)
    advisory_locks(conn, [("dispensation", d.id) for d in ordered])
    latest: dict[str, tuple[int, str]] = {}  # each id's latest stored version and digest, read 500 ids at a time
    for start in range(0, len(ordered), 500):
        chunk = [d.id for d in ordered[start : start + 500]]
        query = select(d_t.dispensation_id, d_t.version, d_t.digest).where(d_t.dispensation_id.in_(chunk))
        for row in conn.execute(query.order_by(d_t.version)):
            latest[row.dispensation_id] = (row.version, row.digest)
    rows, superseded = [], []
    for d in ordered:
        version, digest = latest.get(d.id, (0, None))
        if digest == d.digest():
            counts["unchanged"] += 1
            continue
        if version:
            superseded.append(d.id)
        rows.append(
            dict(
                dispensation_id=d.id,
                version=version + 1,
                is_current=True,
                digest=d.digest(),
                rule_id=d.rule,
                insurer_code=d.insurer,
                subject=d.subject,
                period=d.period,
                reason=d.reason,
                approved_by=d.approved_by,
                reference=d.reference,
                expires=d.expires,
                source=source,
                imported_at=now,
            )
        )
        counts["changed" if version else "new"] += 1
    for start in range(0, len(superseded), 500):
        chunk = superseded[start : start + 500]
        conn.execute(update(t.dispensations).where(d_t.dispensation_id.in_(chunk)).values(is_current=False))
    if rows:
        conn.execute(insert(t.dispensations), rows)  # one executemany
    return counts


def stored_dispensations(engine: Engine) -> tuple[Dispensation, ...]:
    """The current version of every imported dispensation, in import order (none: an empty tuple)."""
    with engine.connect() as conn:
        return current_dispensations(conn)


def current_dispensations(conn: Connection) -> tuple[Dispensation, ...]:
    """``stored_dispensations`` read in the caller's transaction."""
    d_t = t.dispensations.c
    rows = conn.execute(select(t.dispensations).where(d_t.is_current.is_(True)).order_by(d_t.id)).all()
    return tuple(
        Dispensation(
            id=r.dispensation_id,
            rule=canonical(r.rule_id),
            insurer=r.insurer_code,
            reason=r.reason,
            approved_by=r.approved_by,
            reference=r.reference,
            expires=r.expires,
            subject=r.subject,
            period=r.period,
        )
        for r in rows
    )


def applied_dispensations(conn: Connection, run_id: int | None) -> dict[str, dict[str, str]]:
    """The dispensations a run applied, by id, as recorded (approver, reference, expiry...); none for no run."""
    if run_id is None:
        return {}
    c = t.run_dispensations.c
    rows = conn.execute(select(c.dispensation_id, c.record).where(c.run_id == run_id, c.status == "applied"))
    return {r.dispensation_id: json.loads(r.record) for r in rows}
