"""credentials and record: token name, expiry, last use and revocation; disabled users; the record protected

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-06

API tokens get a name, an expiry (tokens made before this revision expire 90 days after it), a last-used time
and a revocation time; a user can be disabled. The database itself protects the record (docs/portal.md):
- PostgreSQL: triggers refuse UPDATE, DELETE and TRUNCATE of portal_audit_log (0011 refused UPDATE and DELETE),
  UPDATE, DELETE and TRUNCATE of portal_receipts, and UPDATE or DELETE of a signed revision (one with a receipt)
  and TRUNCATE of portal_revisions;
- SQLite (no TRUNCATE statement; a DELETE without WHERE fires row triggers): the same row triggers.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None

_RECEIPTS = "portal_receipts is append-only: a receipt is never changed or removed"
_SIGNED = "a signed revision (one with a receipt) is never changed or removed"
_AUDIT = "portal_audit_log is append-only"


def upgrade() -> None:
    with op.batch_alter_table("portal_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("last_used_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("revoked_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("portal_users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("disabled_at", sa.DateTime(), nullable=True))
    tokens = sa.table("portal_tokens", sa.column("expires_at", sa.DateTime()))
    from datetime import UTC, datetime, timedelta

    later = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=90)
    op.execute(tokens.update().where(tokens.c.expires_at.is_(None)).values(expires_at=later))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION portal_refuse() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'insufficient_privilege'; END $$"
        )
        op.execute(
            "CREATE FUNCTION portal_refuse_signed() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN IF EXISTS (SELECT 1 FROM portal_receipts WHERE revision_id = OLD.id) THEN "
            f"RAISE EXCEPTION '{_SIGNED}' USING ERRCODE = 'insufficient_privilege'; END IF; "
            "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END $$"
        )
        op.execute(
            "CREATE TRIGGER portal_audit_log_no_truncate BEFORE TRUNCATE ON portal_audit_log "
            f"FOR EACH STATEMENT EXECUTE FUNCTION portal_refuse('{_AUDIT}')"
        )
        op.execute(
            "CREATE TRIGGER portal_receipts_append_only BEFORE UPDATE OR DELETE ON portal_receipts "
            f"FOR EACH ROW EXECUTE FUNCTION portal_refuse('{_RECEIPTS}')"
        )
        op.execute(
            "CREATE TRIGGER portal_receipts_no_truncate BEFORE TRUNCATE ON portal_receipts "
            f"FOR EACH STATEMENT EXECUTE FUNCTION portal_refuse('{_RECEIPTS}')"
        )
        op.execute(
            "CREATE TRIGGER portal_revisions_signed BEFORE UPDATE OR DELETE ON portal_revisions "
            "FOR EACH ROW EXECUTE FUNCTION portal_refuse_signed()"
        )
        op.execute(
            "CREATE TRIGGER portal_revisions_no_truncate BEFORE TRUNCATE ON portal_revisions "
            f"FOR EACH STATEMENT EXECUTE FUNCTION portal_refuse('{_SIGNED}')"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER portal_receipts_no_{event.lower()} BEFORE {event} ON portal_receipts "
                f"BEGIN SELECT RAISE(ABORT, '{_RECEIPTS}'); END"
            )
            op.execute(
                f"CREATE TRIGGER portal_revisions_signed_no_{event.lower()} BEFORE {event} ON portal_revisions "
                "WHEN EXISTS (SELECT 1 FROM portal_receipts WHERE revision_id = OLD.id) "
                f"BEGIN SELECT RAISE(ABORT, '{_SIGNED}'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for trigger, table in (
            ("portal_audit_log_no_truncate", "portal_audit_log"),
            ("portal_receipts_append_only", "portal_receipts"),
            ("portal_receipts_no_truncate", "portal_receipts"),
            ("portal_revisions_signed", "portal_revisions"),
            ("portal_revisions_no_truncate", "portal_revisions"),
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS portal_refuse_signed()")
        op.execute("DROP FUNCTION IF EXISTS portal_refuse()")
    else:
        for event in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS portal_receipts_no_{event}")
            op.execute(f"DROP TRIGGER IF EXISTS portal_revisions_signed_no_{event}")
    with op.batch_alter_table("portal_users", schema=None) as batch_op:
        batch_op.drop_column("disabled_at")
    with op.batch_alter_table("portal_tokens", schema=None) as batch_op:
        batch_op.drop_column("revoked_at")
        batch_op.drop_column("last_used_at")
        batch_op.drop_column("expires_at")
        batch_op.drop_column("name")
