"""products.source_offset: where each product stands in its document's stored text

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30

The character offset of a product's object in its document's stored text (JSON documents; NULL for YAML and
for products stored before this revision). Results locate a finding's line and column from it, walking only
the products they name instead of the whole document (see contract.locate.map_pointers).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("products", sa.Column("source_offset", sa.Integer(), nullable=True))


def downgrade() -> None:
    # Plain ALTER TABLE, never a batch copy: on SQLite a copied `products` table would cascade to the findings.
    op.drop_column("products", "source_offset")
