"""The notifications' outbox: what ``enqueue`` derives from the record, and the claims that deliver it once.

Events are not raised by the code that changes a filing: ``enqueue`` reads them from the portal's audit log
since a stored watermark (every state change has its audit row, in the change's own transaction) and from the
filing calendar (due in N days, overdue), in one step that any node may run at any time. Each event has a
stable key (``audit:<id>``, ``due:<period>:<insurer>:<due>:<N>``, ``overdue:<period>:<insurer>:<due>``) and
UNIQUE (event_key, recipient_id) makes it at most one row per recipient however often and wherever it runs.

A row is delivered by whoever claims it: ``claim`` moves pending rows to ``sending`` under a claim token in one
transaction (PostgreSQL ``FOR UPDATE SKIP LOCKED``; SQLite's single writer with a conditional UPDATE), so two
senders never hold the same row; ``sent`` is set after the SMTP server accepted the message. A claim never
confirmed (the sender died) becomes ``unknown`` after the lease and is not sent again: at most once.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, or_, select, update

from . import tables as t
from .board import expected, status_rows
from .db import advisory_lock, writing
from .season import calendar_periods

KINDS = (
    "revision_received",
    "revision_signed",
    "filing_returned",
    "filing_accepted",
    "dispensation_decided",
    "due_soon",
    "overdue",
)
STATES = ("pending", "sending", "sent", "failed", "unknown", "no_address")

# Which audit actions are events, of which kind, for whom ("filers": the insurer's filer accounts; "both": those
# and every supervisor). A new action that should notify is one line here.
AUDIT_EVENTS: dict[str, tuple[str, str]] = {
    "revision.upload": ("revision_received", "filers"),
    "revision.sign": ("revision_signed", "both"),
    "filing.return": ("filing_returned", "filers"),
    "filing.accept": ("filing_accepted", "filers"),
    "dispensation.approve": ("dispensation_decided", "filers"),
    "dispensation.refuse": ("dispensation_decided", "filers"),
}
# An audit row is committed when its transaction ends, which may be after a later row's: each step reads again the
# rows of the last hour (at most this many ids back), and the unique key drops what was already enqueued.
LOOKBACK = timedelta(hours=1)
LOOKBACK_ROWS = 10_000
OVERDUE_DAYS = 30  # an unsigned filing is reported overdue when its due date passed within this many days (ours)
LEASE = timedelta(minutes=15)  # a claim not confirmed within this is given up as unknown (never sent again)


@dataclass(frozen=True)
class Claimed:
    """A row claimed for delivery, with its recipient."""

    id: int
    claim: str
    event_key: str
    kind: str
    insurer: str | None
    period: str | None
    detail: dict[str, Any]
    event_at: datetime
    attempts: int
    recipient: str
    email: str | None
    lang: str | None


# --- enqueue ------------------------------------------------------------------------------------------------


def _marks(conn: Connection) -> tuple[int, int]:
    m = t.notify_marks.c
    values = {r.name: r.value for r in conn.execute(select(m.name, m.value))}
    return int(values.get("audit_floor", 0)), int(values.get("audit", 0))


def _set_mark(conn: Connection, value: int) -> None:
    m = t.notify_marks.c
    done = conn.execute(update(t.notify_marks).where(m.name == "audit", m.value < value).values(value=value))
    if done.rowcount == 0 and conn.execute(select(m.name).where(m.name == "audit")).first() is None:
        conn.execute(insert(t.notify_marks).values(name="audit", value=value))


def _recipients(
    conn: Connection, insurer: str | None, audience: str, at: datetime | None
) -> list[tuple[int, str | None]]:
    """(account id, e-mail) of the insurer's enabled filers (and of every supervisor for "both"); only those that
    existed at ``at`` when given (an event is not sent to an account made after it)."""
    u = t.portal_users.c
    who = u.insurer_code == insurer if insurer else u.id.is_(None)
    if audience == "both":
        who = or_(who, u.role == "supervisor")
    query = select(u.id, u.email).where(who, u.disabled_at.is_(None))
    if at is not None:
        query = query.where(u.created_at <= at)
    rows = conn.execute(query.order_by(u.id)).all()
    return [(int(r.id), r.email) for r in rows]


def _add(
    conn: Connection,
    key: str,
    kind: str,
    insurer: str | None,
    period: str | None,
    detail: dict[str, Any],
    event_at: datetime,
    recipients: Iterable[tuple[int, str | None]],
    now: datetime,
) -> int:
    """The event for each recipient, unless it is there already; how many rows were new."""
    rows = [
        {
            "event_key": key,
            "recipient_id": user_id,
            "kind": kind,
            "insurer_code": insurer,
            "period": period,
            "detail": json.dumps(detail, ensure_ascii=False, default=str, sort_keys=True),
            "event_at": event_at,
            "created_at": now,
            "state": "pending" if email else "no_address",
            "attempts": 0,
            "next_attempt_at": now,
        }
        for user_id, email in recipients
    ]
    if not rows:
        return 0
    from sqlalchemy.dialects import postgresql, sqlite

    o = t.notify_outbox.c
    keys = ["event_key", "recipient_id"]
    statement: Any = (
        postgresql.insert(t.notify_outbox).on_conflict_do_nothing(index_elements=keys)
        if conn.dialect.name == "postgresql"
        else sqlite.insert(t.notify_outbox).on_conflict_do_nothing(index_elements=keys)
    )
    return len(conn.execute(statement.returning(o.id), rows).all())


def _audit_detail(conn: Connection, action: str, detail: dict[str, Any]) -> dict[str, Any]:
    kept = ("sequence", "valid", "blocking", "note", "rule", "expires", "request")
    out: dict[str, Any] = {k: detail[k] for k in kept if k in detail}
    if action.startswith("dispensation."):
        q, r = t.portal_dispensation_requests.c, t.portal_revisions.c
        out["approved"] = action == "dispensation.approve"
        row = conn.execute(
            select(q.note, q.subject, r.sequence)
            .join(t.portal_revisions, r.id == q.revision_id)
            .where(q.id == detail.get("request"))
        ).first()
        if row is not None:
            out.update(note=row.note or "", subject=row.subject, sequence=row.sequence)
    return out


def _audit_events(conn: Connection, now: datetime) -> int:
    a = t.portal_audit_log.c
    floor, mark = _marks(conn)
    rows = conn.execute(
        select(a.id, a.at, a.action, a.insurer_code, a.period, a.detail)
        .where(
            a.id > max(floor, mark - LOOKBACK_ROWS),
            or_(a.id > mark, a.at >= now - LOOKBACK),
            a.action.in_(AUDIT_EVENTS),
        )
        .order_by(a.id)
    ).all()
    o = t.notify_outbox.c
    again = [f"audit:{row.id}" for row in rows if row.id <= mark]  # read again by the lookback
    done = set(conn.execute(select(o.event_key).where(o.event_key.in_(again)).distinct()).scalars()) if again else set()
    added = 0
    for row in rows:
        if f"audit:{row.id}" in done:
            continue
        kind, audience = AUDIT_EVENTS[row.action]
        detail = _audit_detail(conn, row.action, json.loads(row.detail))
        recipients = _recipients(conn, row.insurer_code, audience, row.at)
        added += _add(conn, f"audit:{row.id}", kind, row.insurer_code, row.period, detail, row.at, recipients, now)
    end = conn.execute(select(func.max(a.id))).scalar()
    if end is not None:
        _set_mark(conn, int(end))
    return added


def _due_events(conn: Connection, today: date, due_days: Sequence[int], now: datetime) -> int:
    """Due in N days (the smallest N of ``due_days`` the days left reach) and overdue, for every expected insurer
    of a calendar period that has not signed it."""
    added = 0
    horizon = max(due_days, default=0)
    for entry in calendar_periods(conn):
        dates = [*entry.due.values(), *(x.due for x in entry.extensions)]
        if not dates or min(dates) > today + timedelta(days=horizon) or max(dates) < today - timedelta(OVERDUE_DAYS):
            continue
        wanted = {x.code: x for x in expected(conn, entry.period) or []}
        dues = {code: x.due for code, x in wanted.items()}
        rows = status_rows(conn, entry.period, sorted(wanted), dues.__getitem__, today)
        for row in rows:
            if row["signed_at"] is not None:
                continue
            code, due = row["insurer"], wanted[row["insurer"]].due
            left = (due - today).days
            detail: dict[str, Any] = {"due": due.isoformat(), "days_left": left}
            if left >= 0:
                reached = [n for n in due_days if left <= n]
                if not reached:
                    continue
                key, kind = f"due:{entry.period}:{code}:{due.isoformat()}:{min(reached)}", "due_soon"
            elif -left <= OVERDUE_DAYS:
                key, kind = f"overdue:{entry.period}:{code}:{due.isoformat()}", "overdue"
            else:
                continue
            recipients = _recipients(conn, code, "filers", None)
            added += _add(conn, key, kind, code, entry.period, detail, now, recipients, now)
    return added


def enqueue(engine: Engine, today: date, due_days: Sequence[int], now: datetime) -> int:
    """Bring the outbox up to date (audit events since the watermark, the calendar's reminders) in one
    transaction; how many rows were added. Nodes that run it at once take turns (and the unique key holds)."""
    with writing(engine).begin() as conn:
        advisory_lock(conn, "notify-enqueue")
        return _audit_events(conn, now) + _due_events(conn, today, due_days, now)


# --- delivery -------------------------------------------------------------------------------------------------


def claim(engine: Engine, node: str, limit: int, now: datetime) -> tuple[list[Claimed], int]:
    """Claim up to ``limit`` pending rows due by ``now`` for ``node``; also give up claims older than the lease
    (``unknown``: never sent again). The claimed rows, and how many were given up."""
    o, u = t.notify_outbox.c, t.portal_users.c
    token = f"{node[:80]}/{uuid.uuid4().hex[:12]}"
    with writing(engine).begin() as conn:
        stale = conn.execute(
            update(t.notify_outbox)
            .where(o.state == "sending", o.claimed_at < now - LEASE)
            .values(state="unknown", last_error="claimed and never confirmed by its sender; not sent again")
        ).rowcount
        due = select(o.id).where(o.state == "pending", o.next_attempt_at <= now).order_by(o.id).limit(limit)
        if conn.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        ids = list(conn.execute(due).scalars())
        if ids:
            conn.execute(
                update(t.notify_outbox)
                .where(o.id.in_(ids), o.state == "pending")
                .values(state="sending", claim=token, claimed_at=now, attempts=o.attempts + 1)
            )
        rows = conn.execute(
            select(t.notify_outbox, u.name, u.email.label("address"), u.lang)
            .join(t.portal_users, u.id == o.recipient_id)
            .where(o.claim == token, o.state == "sending")
            .order_by(o.id)
        ).all()
    claimed = [
        Claimed(
            int(r.id),
            token,
            r.event_key,
            r.kind,
            r.insurer_code,
            r.period,
            json.loads(r.detail),
            r.event_at,
            int(r.attempts),
            r.name,
            r.address,
            r.lang,
        )
        for r in rows
    ]
    return claimed, int(stale or 0)


def _finish(engine: Engine, item: Claimed, **values: Any) -> bool:
    o = t.notify_outbox.c
    with writing(engine).begin() as conn:
        done = conn.execute(
            update(t.notify_outbox).where(o.id == item.id, o.claim == item.claim, o.state == "sending").values(**values)
        )
    return bool(done.rowcount)


def mark_sent(engine: Engine, item: Claimed, now: datetime) -> bool:
    """The SMTP server accepted it: ``sent`` (only while the claim is still ``item``'s)."""
    return _finish(engine, item, state="sent", sent_at=now, last_error=None)


def mark_retry(engine: Engine, item: Claimed, error: str, now: datetime, max_attempts: int) -> str:
    """A delivery that failed for now: pending again after a backoff (1, 2, 4 ... minutes, at most 6 hours), or
    ``failed`` after ``max_attempts``. The state it is left in."""
    if item.attempts >= max_attempts:
        _finish(engine, item, state="failed", last_error=error[:2000])
        return "failed"
    wait = timedelta(minutes=min(2 ** (item.attempts - 1), 360))
    _finish(engine, item, state="pending", next_attempt_at=now + wait, last_error=error[:2000], claim=None)
    return "pending"


def mark_failed(engine: Engine, item: Claimed, error: str, state: str = "failed") -> None:
    """Refused for good by the SMTP server (a 5xx), or no address any more (``no_address``)."""
    _finish(engine, item, state=state, last_error=error[:2000])


def outbox_counts(engine: Engine) -> dict[str, int]:
    """How many rows are in each state (every state, zero included)."""
    o = t.notify_outbox.c
    with engine.connect() as conn:
        found = {r[0]: r[1] for r in conn.execute(select(o.state, func.count()).group_by(o.state))}
    return {state: int(found.get(state, 0)) for state in STATES}


def undelivered(engine: Engine, limit: int = 50) -> list[dict[str, Any]]:
    """The rows that need an operator's eye: failed, unknown, or pending after a failed attempt."""
    o, u = t.notify_outbox.c, t.portal_users.c
    query = (
        select(o.id, o.event_key, o.kind, o.state, o.attempts, o.next_attempt_at, o.last_error, u.name)
        .join(t.portal_users, u.id == o.recipient_id)
        .where(or_(o.state.in_(("failed", "unknown")), (o.state == "pending") & (o.attempts > 0)))
        .order_by(o.id)
        .limit(limit)
    )
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


# --- the inbox ------------------------------------------------------------------------------------------------


def inbox(engine: Engine, user_id: int, insurer: str | None, unread_only: bool, limit: int) -> list[dict[str, Any]]:
    """The account's notifications, newest first; a filer's (``insurer`` given) only those of its insurer."""
    o = t.notify_outbox.c
    query = select(t.notify_outbox).where(o.recipient_id == user_id)
    if insurer is not None:
        query = query.where(o.insurer_code == insurer)
    if unread_only:
        query = query.where(o.read_at.is_(None))
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(o.event_at.desc(), o.id.desc()).limit(limit)).all()
    return [
        {
            "id": r.id,
            "event_key": r.event_key,
            "kind": r.kind,
            "insurer": r.insurer_code,
            "period": r.period,
            "detail": json.loads(r.detail),
            "at": r.event_at,
            "read": r.read_at is not None,
            "read_at": r.read_at,
            "email": r.state,
        }
        for r in rows
    ]


def mark_read(engine: Engine, user_id: int, insurer: str | None, notification: int | None, now: datetime) -> int:
    """Mark one of the account's notifications (or, ``None``, all of them) read; how many changed. Another
    account's id changes nothing."""
    o = t.notify_outbox.c
    query = update(t.notify_outbox).where(o.recipient_id == user_id, o.read_at.is_(None))
    if insurer is not None:
        query = query.where(o.insurer_code == insurer)
    if notification is not None:
        query = query.where(o.id == notification)
    with writing(engine).begin() as conn:
        return int(conn.execute(query.values(read_at=now)).rowcount or 0)


def notification_exists(engine: Engine, user_id: int, insurer: str | None, notification: int) -> bool:
    o = t.notify_outbox.c
    query = select(o.id).where(o.id == notification, o.recipient_id == user_id)
    if insurer is not None:
        query = query.where(o.insurer_code == insurer)
    with engine.connect() as conn:
        return conn.execute(query).first() is not None
