"""products' risk areas (item 8, schema 1.1) and the (submission, code) index for named comparables

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("products") as batch:
        batch.add_column(sa.Column("risk_areas", sa.String(length=500), server_default="", nullable=False))
    op.create_index(op.f("ix_products_submission_id_code"), "products", ["submission_id", "code"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_products_submission_id_code"), table_name="products")
    with op.batch_alter_table("products") as batch:
        batch.drop_column("risk_areas")
