"""findings without foreign keys: derived data, kept whole by construction

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06

Findings are derived data: each can be reproduced from the stored documents, ruleset and dispensations
(``run --reproduce``). Their three foreign keys (to runs, submissions and products, ON DELETE CASCADE) cost
every inserted finding three index look-ups, about half of a per-product INSERT ... SELECT on PostgreSQL, and
guarded nothing the code does not already keep: a run's findings are written in the run's own transaction, from
rows of that run's documents, and no code deletes a run, a submission or a product (documents are superseded,
never removed). The keys are dropped on both backends, so that a fresh schema and a migrated one are the same.

On SQLite dropping a key rebuilds ``findings`` (batch mode). That is safe: no table refers to ``findings`` and no
trigger watches it, so dropping the old table fires nothing (unlike the tables 0013 protects; see 0018).
Downgrading adds the keys back (ON DELETE CASCADE); the rows written meanwhile satisfy them.
"""

from __future__ import annotations

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

# (constraint, local column, referred table): the foreign keys of findings before this revision
KEYS = (
    ("fk_findings_run_id_runs", "run_id", "runs"),
    ("fk_findings_submission_id_submissions", "submission_id", "submissions"),
    ("fk_findings_product_id_products", "product_id", "products"),
)


def upgrade() -> None:
    with op.batch_alter_table("findings") as batch:
        for name, _column, _table in KEYS:
            batch.drop_constraint(name, type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("findings") as batch:
        for name, column, table in KEYS:
            batch.create_foreign_key(name, table, [column], ["id"], ondelete="CASCADE")
