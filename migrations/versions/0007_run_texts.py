"""runs.texts: the titles and message templates a run's reports show

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30

A run stores each rule's title and message templates (JSON, see run_texts.capture), so that it renders as it
was after a rule's wording changes in code. Runs stored before have NULL and read with the code's texts.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("texts", sa.Text(), nullable=True))


def downgrade() -> None:
    # Plain ALTER TABLE, never a batch copy: on SQLite (>= 3.35 drops columns in place), dropping the copied
    # `runs` table would cascade to every finding, score and dispensation status of every run.
    op.drop_column("runs", "texts")
