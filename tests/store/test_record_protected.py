"""Issue 25: the database itself protects the record (migration 0013). On both backends triggers refuse UPDATE
and DELETE of the audit log, of receipts and of a signed revision; on PostgreSQL TRUNCATE of each as well."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import delete, insert, text, update
from sqlalchemy.exc import DBAPIError

from inclusive_check.store import tables as t

AT = datetime(2026, 1, 5, 9, 0)


def _revision(conn: Any, sequence: int) -> int:
    values = dict(insurer_code="ZS", period="2025", sequence=sequence, sha256="0" * 64, size=1, problems="[]")
    values.update(blocking=False, uploaded_by="zs", uploaded_at=AT)
    return int(conn.execute(insert(t.portal_revisions).values(**values).returning(t.portal_revisions.c.id)).scalar())


@pytest.fixture
def record(store: Any) -> dict[str, Any]:
    with store.begin() as conn:
        conn.execute(insert(t.portal_audit_log).values(at=AT, actor="zs", address="-", action="login", detail="{}"))
        signed, unsigned = _revision(conn, 1), _revision(conn, 2)
        conn.execute(
            insert(t.portal_receipts).values(
                revision_id=signed,
                insurer_code="ZS",
                period="2025",
                sequence=1,
                sha256="0" * 64,
                signer="zs",
                signed_at=AT,
            )
        )
    return {"engine": store, "signed": signed, "unsigned": unsigned}


def _refused(engine: Any, statement: Any, said: str) -> None:
    with pytest.raises(DBAPIError) as caught, engine.begin() as conn:
        conn.execute(statement)
    assert said in str(caught.value)


def test_the_audit_log_cannot_be_changed_or_removed(record: dict[str, Any]) -> None:
    engine, log = record["engine"], t.portal_audit_log
    _refused(engine, update(log).values(actor="someone else"), "append-only")
    _refused(engine, delete(log), "append-only")
    if engine.dialect.name == "postgresql":
        _refused(engine, text("TRUNCATE portal_audit_log"), "append-only")


def test_a_receipt_cannot_be_changed_or_removed(record: dict[str, Any]) -> None:
    engine, receipts = record["engine"], t.portal_receipts
    _refused(engine, update(receipts).values(signer="someone else"), "receipt is never changed")
    _refused(engine, delete(receipts), "receipt is never changed")
    if engine.dialect.name == "postgresql":
        _refused(engine, text("TRUNCATE portal_receipts CASCADE"), "receipt is never changed")


def test_a_signed_revision_cannot_be_changed_or_removed_an_unsigned_one_can(record: dict[str, Any]) -> None:
    engine, r = record["engine"], t.portal_revisions
    _refused(engine, update(r).where(r.c.id == record["signed"]).values(sha256="f" * 64), "signed revision")
    _refused(engine, delete(r).where(r.c.id == record["signed"]), "signed revision")
    if engine.dialect.name == "postgresql":
        _refused(engine, text("TRUNCATE portal_revisions CASCADE"), "signed revision")
    with engine.begin() as conn:
        assert conn.execute(update(r).where(r.c.id == record["unsigned"]).values(size=2)).rowcount == 1
