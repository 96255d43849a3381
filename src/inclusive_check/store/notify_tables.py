"""The notifications' tables (migration 0019): the outbox, one row per event and recipient, and the marks the
events are derived from (the audit log's watermark). Defined on the store's one ``MetaData``; ``tables``
re-exports them. What fills and empties them is ``store.notify`` and ``portal.notify_mail``."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, String, Table, Text, UniqueConstraint

from .columns import _fk, metadata

# An event for one recipient: at most one row per (event_key, recipient_id), whoever enqueues it and how often.
# ``state`` is the e-mail's: pending (to send at next_attempt_at), sending (claimed by ``claim``), sent, failed
# (given up or refused for good), unknown (claimed and never confirmed: not sent again), no_address (the
# account had no e-mail address: the inbox only). ``read_at`` is the inbox's.
notify_outbox = Table(
    "notify_outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("event_key", String(200), nullable=False),
    Column("recipient_id", _fk("portal_users.id"), index=True, nullable=False),
    Column("kind", String(30), nullable=False),
    Column("insurer_code", String(40)),
    Column("period", String(10)),
    Column("detail", Text, nullable=False),  # JSON: what the message says (sequence, rule, due date, note ...)
    Column("event_at", DateTime, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("state", String(12), index=True, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime, nullable=False),
    Column("claim", String(100)),
    Column("claimed_at", DateTime),
    Column("sent_at", DateTime),
    Column("last_error", Text),
    Column("read_at", DateTime),
    UniqueConstraint("event_key", "recipient_id"),
)

# Named integers: ``audit`` (the last audit row turned into events) and ``audit_floor`` (where the outbox began:
# rows before it are history, never sent).
notify_marks = Table(
    "notify_marks",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("value", Integer, nullable=False),
)
