"""scores.compliance may be NULL: a document where no weighted rule applied is not scored

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26

Until 0004 a document where nothing applied was stored with compliance 100. From 0005 its compliance
is NULL and the breakdown says why. Downgrading writes 100 back into those rows (the old meaning), so
that the NOT NULL constraint can return.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Batch mode: SQLite cannot alter a column's nullability in place, so the table is copied. Nothing refers
    # to `scores`, so the copy cascades to no other table.
    with op.batch_alter_table("scores") as batch:
        batch.alter_column("compliance", existing_type=sa.Numeric(precision=6, scale=2), nullable=True)


def downgrade() -> None:
    op.execute("UPDATE scores SET compliance = 100 WHERE compliance IS NULL")
    with op.batch_alter_table("scores") as batch:
        batch.alter_column("compliance", existing_type=sa.Numeric(precision=6, scale=2), nullable=False)
