"""Dispensation requests as the supervisor sees and decides them. An approval becomes a dispensation (stored with
the imported ones) and re-judges the filing in the same transaction (portal/decisions.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import Connection, Engine, select

from ..contract.dispensations import Dispensation
from ..store import tables as t
from ..store.db import advisory_lock, writing
from ..store.dispensations import store_dispensations
from .audit import audit, now
from .errors import Conflict, NotFound, Unprocessable
from .models import TEXT_LIMIT, DispensationRequest, User
from .revisions import request_out


def dispensation_requests(engine: Engine, user: User, state: str | None) -> list[DispensationRequest]:
    if not user.supervisor:
        raise NotFound("no dispensation requests")
    q, r = t.portal_dispensation_requests.c, t.portal_revisions.c
    query = select(t.portal_dispensation_requests, r.insurer_code, r.period, r.sequence).join(
        t.portal_revisions, r.id == q.revision_id
    )
    if state is not None:
        query = query.where(q.state == state)
    with engine.connect() as conn:
        return [request_out(x, x.insurer_code, x.period, x.sequence) for x in conn.execute(query.order_by(q.id))]


def decide(
    engine: Engine,
    user: User,
    address: str,
    request_id: int,
    approve: bool,
    expires: date | None,
    note: str,
    rejudge: Callable[[Connection, str, str], object] | None = None,
) -> DispensationRequest:
    """Approve (a dispensation with the supervisor as approver and ``expires``, stored with the imported ones,
    then ``rejudge`` of the filing in the same transaction: portal/decisions.py) or refuse a pending request."""
    if not user.supervisor:
        raise NotFound(f"no dispensation request {request_id}")
    with writing(engine).begin() as conn:
        out, filing = _decide(conn, user, address, request_id, approve, expires, note)
        if filing is not None and rejudge is not None:
            rejudge(conn, *filing)
        return out


def decide_many(
    engine: Engine,
    user: User,
    address: str,
    request_ids: list[int],
    approve: bool,
    expires: date | None,
    note: str,
    rejudge: Callable[[Connection, str, str], object] | None = None,
) -> list[DispensationRequest]:
    """Decide several pending requests alike (one reason for all) in one transaction: all are decided or, when
    one cannot be (unknown, already decided, no expiry), none; each filing approved in is judged again once."""
    if not user.supervisor:
        raise NotFound("no dispensation requests")
    if not request_ids:
        raise Unprocessable("choose at least one request")
    if not approve and not note.strip():
        raise Unprocessable("refusing several requests needs the reason the filers will read")
    with writing(engine).begin() as conn:
        done, filings = [], []
        for request_id in sorted(set(request_ids)):
            out, filing = _decide(conn, user, address, request_id, approve, expires, note)
            done.append(out)
            if filing is not None and filing not in filings:
                filings.append(filing)
        for filing in filings:
            if rejudge is not None:
                rejudge(conn, *filing)
        return done


def _decide(
    conn: Connection, user: User, address: str, request_id: int, approve: bool, expires: date | None, note: str
) -> tuple[DispensationRequest, tuple[str, str] | None]:
    """Decide one request in ``conn``'s transaction; the request, and the filing to judge again (approved)."""
    q, r = t.portal_dispensation_requests.c, t.portal_revisions.c
    note = note.strip()[:TEXT_LIMIT]
    advisory_lock(conn, "portal-request", str(request_id))
    x = conn.execute(
        select(t.portal_dispensation_requests, r.insurer_code, r.period, r.sequence)
        .join(t.portal_revisions, r.id == q.revision_id)
        .where(q.id == request_id)
    ).first()
    if x is None:
        raise NotFound(f"no dispensation request {request_id}")
    if x.state != "pending":
        raise Conflict(f"request {request_id} was already {x.state}")
    dispensation_id = None
    if approve:
        if expires is None or expires < now().date():
            raise Unprocessable("an approval needs an expiry date, today or later")
        dispensation_id = f"portal-{request_id}"
        d = Dispensation(
            id=dispensation_id,
            rule=x.rule_id,
            insurer=x.insurer_code,
            reason=x.reason,
            approved_by=user.name,
            reference=f"portal request {request_id}" + (f": {note}" if note else ""),
            expires=expires,
            subject=x.subject or None,
            period=x.period,
        )
        store_dispensations(conn, [d], f"portal request {request_id}")
    state = "approved" if approve else "refused"
    conn.execute(
        t.portal_dispensation_requests.update()
        .where(q.id == request_id)
        .values(
            state=state,
            decided_by=user.name,
            decided_at=now(),
            note=note,
            expires=expires if approve else None,
            dispensation_id=dispensation_id,
        )
    )
    audit(
        conn,
        user.name,
        address,
        f"dispensation.{state[:-1]}",
        x.insurer_code,
        x.period,
        request=request_id,
        rule=x.rule_id,
        expires=expires if approve else None,
    )
    row = conn.execute(select(t.portal_dispensation_requests).where(q.id == request_id)).one()
    filing = (x.insurer_code, x.period) if approve else None
    return request_out(row, x.insurer_code, x.period, x.sequence), filing
