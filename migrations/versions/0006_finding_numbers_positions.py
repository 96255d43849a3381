"""findings store numbers and their product; products store their position in the filed list

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30

``findings`` gains ``product_id`` (the product a finding is about; ON DELETE CASCADE like every other key of
a finding: a product goes only with its submission, whose findings go too), the exact numbers ``value``,
``threshold`` and ``reference`` and their ``unit`` (which ``margin`` shares). ``products`` gains ``position``,
its index in the filed list, and the (submission, dedicated) index gains it, so that "the first product that
..." is read in filed order from the index.

Existing rows: ``position`` and ``product_id`` are backfilled from the pointers ('/products/3' is position 3;
a filing's '/product' is 0; a finding is about the product its subject points into). Stored findings keep
their texts as they were; their numbers stay NULL. Plain SQL only: a migration never imports package code.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("products") as batch:
        batch.add_column(sa.Column("position", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE products SET position = CASE WHEN pointer LIKE '/products/%' "
        "THEN CAST(substr(pointer, 11) AS INTEGER) ELSE 0 END"
    )
    with op.batch_alter_table("products") as batch:
        batch.alter_column("position", existing_type=sa.Integer(), nullable=False)
        batch.drop_index("ix_products_submission_id_dedicated_inclusive")
        batch.create_index(
            "ix_products_submission_id_dedicated_inclusive_position",
            ["submission_id", "dedicated_inclusive", "position"],
            unique=False,
        )
    with op.batch_alter_table("findings") as batch:
        batch.add_column(sa.Column("product_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("value", sa.Numeric(), nullable=True))
        batch.add_column(sa.Column("threshold", sa.Numeric(), nullable=True))
        batch.add_column(sa.Column("reference", sa.Numeric(), nullable=True))
        batch.add_column(sa.Column("unit", sa.String(length=10), server_default="", nullable=False))
        batch.create_foreign_key(
            "fk_findings_product_id_products", "products", ["product_id"], ["id"], ondelete="CASCADE"
        )
    op.execute(
        "UPDATE findings SET product_id = (SELECT p.id FROM products p WHERE p.submission_id = "
        "findings.submission_id AND (findings.subject = p.pointer OR findings.subject LIKE p.pointer || '/%')) "
        "WHERE subject LIKE '/product%'"
    )


def downgrade() -> None:
    with op.batch_alter_table("findings") as batch:
        batch.drop_constraint("fk_findings_product_id_products", type_="foreignkey")
        batch.drop_column("unit")
        batch.drop_column("reference")
        batch.drop_column("threshold")
        batch.drop_column("value")
        batch.drop_column("product_id")
    with op.batch_alter_table("products") as batch:
        batch.drop_index("ix_products_submission_id_dedicated_inclusive_position")
        batch.create_index(
            "ix_products_submission_id_dedicated_inclusive", ["submission_id", "dedicated_inclusive"], unique=False
        )
        batch.drop_column("position")
