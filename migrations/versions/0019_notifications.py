"""notifications: the outbox (one row per event and recipient), its watermark, and accounts' e-mail and language

Revision ID: 0019
Revises: 0017
Create Date: 2026-12-06

`inclusive-check notify send` and the portal's scheduled sender (docs/portal.md, "Notifications"): events are
derived from the audit log since a stored watermark and from the filing calendar's due dates; UNIQUE
(event_key, recipient_id) makes each event at most one row per recipient. The watermark starts at the audit
log's current end, so that the history before this revision sends nothing.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("portal_users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("lang", sa.String(length=2), nullable=True))
    op.create_table(
        "notify_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_key", sa.String(length=200), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("insurer_code", sa.String(length=40), nullable=True),
        sa.Column("period", sa.String(length=10), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("event_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("claim", sa.String(length=100), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("read_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["portal_users.id"],
            name=op.f("fk_notify_outbox_recipient_id_portal_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_outbox")),
        sa.UniqueConstraint("event_key", "recipient_id", name=op.f("uq_notify_outbox_event_key_recipient_id")),
    )
    op.create_index(op.f("ix_notify_outbox_recipient_id"), "notify_outbox", ["recipient_id"], unique=False)
    op.create_index(op.f("ix_notify_outbox_state"), "notify_outbox", ["state"], unique=False)
    op.create_table(
        "notify_marks",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_notify_marks")),
    )
    marks = sa.table("notify_marks", sa.column("name", sa.String()), sa.column("value", sa.Integer()))
    end = op.get_bind().execute(sa.text("SELECT coalesce(max(id), 0) FROM portal_audit_log")).scalar_one()
    op.bulk_insert(marks, [{"name": "audit", "value": int(end)}, {"name": "audit_floor", "value": int(end)}])


def downgrade() -> None:
    op.drop_table("notify_marks")
    op.drop_index(op.f("ix_notify_outbox_state"), table_name="notify_outbox")
    op.drop_index(op.f("ix_notify_outbox_recipient_id"), table_name="notify_outbox")
    op.drop_table("notify_outbox")
    with op.batch_alter_table("portal_users", schema=None) as batch_op:
        batch_op.drop_column("lang")
        batch_op.drop_column("email")
