"""portal: product filings' revisions; a response carried over from an earlier revision says so

Revision ID: 0020
Revises: 0017
Create Date: 2026-12-06

A product filing's revisions are numbered per insurer, product code and filing date: their ``period`` is the
filing's key (``P`` and nine hex digits of the SHA-256 of ``CODE@DATE``), ``product_code`` and ``filing_date``
name it (NULL for a submission's revisions). New columns only: the table and its triggers (0013) stay as they are.

A new revision takes over the filer's responses to the findings it shares (same fingerprint) with the revision
before it; ``carried_from`` holds that revision's sequence number (NULL: written on this revision).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("portal_responses", sa.Column("carried_from", sa.Integer(), nullable=True))
    op.add_column("portal_revisions", sa.Column("product_code", sa.String(length=40), nullable=True))
    op.add_column("portal_revisions", sa.Column("filing_date", sa.Date(), nullable=True))


def downgrade() -> None:
    # plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+ too): no rebuild, so the triggers of 0013 stay
    op.drop_column("portal_revisions", "filing_date")
    op.drop_column("portal_revisions", "product_code")
    op.drop_column("portal_responses", "carried_from")
