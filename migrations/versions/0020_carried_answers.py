"""portal: a response carried over from an earlier revision says so

Revision ID: 0020
Revises: 0017
Create Date: 2026-12-06

A new revision takes over the filer's responses to the findings it shares (same fingerprint) with the revision
before it; ``carried_from`` holds that revision's sequence number (NULL: written on this revision).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("portal_responses") as batch:
        batch.add_column(sa.Column("carried_from", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("portal_responses") as batch:
        batch.drop_column("carried_from")
