"""documents apart from submissions; the inclusive portfolio's sums; one product per pointer; dedicated sale windows and findings indexed

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25

The raw document moves to its own table (on SQLite, the columns stored after a megabyte-long text were
read through its overflow pages). Item 18's portfolio sums are stored per submission at ingest; this
migration computes them for the submissions already stored, the way ingest does.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _portfolio() -> list[sa.Column[Any]]:
    """Item 18's portfolio sums (new Column objects each time: a column belongs to one table)."""
    return [
        sa.Column("inclusive_lines", sa.String(length=500), nullable=True),
        sa.Column("inclusive_groups", sa.String(length=1000), nullable=True),
        sa.Column("inclusive_insured_persons", sa.BigInteger(), nullable=True),
        sa.Column("inclusive_premium_cny", sa.Numeric(), nullable=True),
        sa.Column("inclusive_claims_paid_cny", sa.Numeric(), nullable=True),
        sa.Column("inclusive_claims_settled", sa.BigInteger(), nullable=True),
        sa.Column("inclusive_settlement_days_x_claims", sa.Numeric(), nullable=True),
        sa.Column("premium_cny", sa.Numeric(), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_documents_submission_id_submissions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("submission_id", name=op.f("pk_documents")),
    )
    op.execute("INSERT INTO documents (submission_id, raw) SELECT id, raw FROM submissions")
    # Plain ALTER TABLE, never a batch copy: on SQLite (>= 3.35 drops columns in place), copying and dropping
    # `submissions` would cascade-delete every row that refers to it.
    op.drop_column("submissions", "raw")
    for column in _portfolio():
        op.add_column("submissions", column)
    op.create_index(op.f("ix_products_submission_id_pointer"), "products", ["submission_id", "pointer"], unique=True)
    op.create_index(
        "ix_products_dedicated_sale_window",
        "products",
        ["submission_id", "sale_start", "sale_end"],
        unique=False,
        sqlite_where=sa.text("dedicated_inclusive IS 1"),
        postgresql_where=sa.text("dedicated_inclusive IS true"),
    )
    op.drop_index(op.f("ix_findings_run_id_status"), table_name="findings")
    op.drop_index(op.f("ix_findings_run_id_submission_id"), table_name="findings")
    op.create_index(
        op.f("ix_findings_run_id_submission_id_rule_id_status"),
        "findings",
        ["run_id", "submission_id", "rule_id", "status"],
        unique=False,
    )
    _backfill_portfolio(op.get_bind())


def _dec(value: Any) -> Decimal:
    if value is None:
        return Decimal(0)
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _backfill_portfolio(conn: sa.Connection) -> None:
    """The sums ingest stores (store/ingest.py ``_portfolio``), computed from the stored products."""
    subs = conn.execute(sa.text("SELECT id FROM submissions WHERE kind = 'submission'")).scalars().all()
    products = sa.text(
        "SELECT line, dedicated_inclusive, target_groups, insured_persons, premium_cny, "
        "claims_paid_cny, claims_settled, avg_settlement_days FROM products "
        "WHERE submission_id = :sid ORDER BY id"
    )
    update = sa.text(
        "UPDATE submissions SET inclusive_lines = :lines, inclusive_groups = :groups, "
        "inclusive_insured_persons = :insured, inclusive_premium_cny = :inclusive_premium, "
        "inclusive_claims_paid_cny = :claims_paid, inclusive_claims_settled = :settled, "
        "inclusive_settlement_days_x_claims = :days_x_claims, premium_cny = :premium "
        "WHERE id = :sid"
    )
    number = float if conn.dialect.name == "sqlite" else Decimal  # what the column types would bind
    for sid in subs:
        lines: set[str] = set()
        groups: set[str] = set()
        insured = settled = 0
        premium = inclusive_premium = claims_paid = days_x_claims = Decimal(0)
        for row in conn.execute(products, {"sid": sid}):
            premium += _dec(row.premium_cny)
            named = [g for g in row.target_groups.split(",") if g]
            if not (row.dedicated_inclusive or named):
                continue
            lines.add(row.line)
            groups.update(named)
            insured += row.insured_persons or 0
            inclusive_premium += _dec(row.premium_cny)
            claims_paid += _dec(row.claims_paid_cny)
            if row.avg_settlement_days is not None and row.claims_settled is not None:
                settled += row.claims_settled
                days_x_claims += _dec(row.avg_settlement_days) * row.claims_settled
        conn.execute(
            update,
            {
                "sid": sid,
                "lines": "," + ",".join(sorted(lines)) + "," if lines else "",
                "groups": "," + ",".join(sorted(groups)) + "," if groups else "",
                "insured": insured,
                "inclusive_premium": number(inclusive_premium),
                "claims_paid": number(claims_paid),
                "settled": settled,
                "days_x_claims": number(days_x_claims),
                "premium": number(premium),
            },
        )


def downgrade() -> None:
    op.drop_index(op.f("ix_findings_run_id_submission_id_rule_id_status"), table_name="findings")
    op.create_index(op.f("ix_findings_run_id_submission_id"), "findings", ["run_id", "submission_id"], unique=False)
    op.create_index(op.f("ix_findings_run_id_status"), "findings", ["run_id", "status"], unique=False)
    op.drop_index("ix_products_dedicated_sale_window", table_name="products")
    op.drop_index(op.f("ix_products_submission_id_pointer"), table_name="products")
    for column in reversed(_portfolio()):
        op.drop_column("submissions", column.name)
    # Added back nullable (ALTER TABLE cannot add a NOT NULL column without a default), then filled.
    op.add_column("submissions", sa.Column("raw", sa.Text(), nullable=True))
    op.execute("UPDATE submissions SET raw = (SELECT d.raw FROM documents d WHERE d.submission_id = submissions.id)")
    op.drop_table("documents")
