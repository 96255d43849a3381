"""run_submissions.findings_run_id and reuse_key: a run takes over an earlier run's findings of a document
that nothing it is judged on has changed for

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30

``findings_run_id``: the run whose findings and score rows are this document's in this run (itself, or an
earlier run whose ``reuse_key`` was the same). ``reuse_key``: a digest of everything a document's findings
depend on (see engine.reuse_keys); NULL for rows stored before this revision, which are never taken over.
``submissions.insurer_name``: the insurer name the submission filed (NULL before this revision: read from the
stored text then, see store.queries.insurer_names_as_filed).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("run_submissions", sa.Column("findings_run_id", sa.Integer(), nullable=True))
    op.add_column("run_submissions", sa.Column("reuse_key", sa.String(64), nullable=True))
    op.execute("UPDATE run_submissions SET findings_run_id = run_id")
    # A batch copy of run_submissions (nothing refers to it) makes the column NOT NULL and a key on SQLite too.
    with op.batch_alter_table("run_submissions") as batch:
        batch.alter_column("findings_run_id", existing_type=sa.Integer(), nullable=False)
        batch.create_foreign_key(
            "fk_run_submissions_findings_run_id_runs", "runs", ["findings_run_id"], ["id"], ondelete="CASCADE"
        )
    op.create_index("ix_run_submissions_reuse_key", "run_submissions", ["reuse_key"])
    # The insurer name a submission filed, recorded at ingest from now on (the results name each document's
    # insurer as it filed it; before, they read it from the stored text of every revision).
    op.add_column("submissions", sa.Column("insurer_name", sa.String(500), nullable=True))


def downgrade() -> None:
    # Plain ALTER TABLE, never a batch copy: on SQLite a copied `submissions` table would cascade to its facts.
    op.drop_column("submissions", "insurer_name")
    op.drop_index("ix_run_submissions_reuse_key", "run_submissions")
    with op.batch_alter_table("run_submissions") as batch:
        batch.drop_constraint("fk_run_submissions_findings_run_id_runs", type_="foreignkey")
        batch.drop_column("reuse_key")
        batch.drop_column("findings_run_id")
