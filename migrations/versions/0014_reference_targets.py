"""reference_values and targets: reference figures per region and year, targets per region, indicator and year

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06

`inclusive-check reference import` stores resident population, GDP and the whole market's premium income per
region and year, each value with its source; `inclusive-check targets import` stores targets with their
citation. A changed value is a new version (is_latest moves to it); earlier versions stay. Nothing to fill.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def _history(name: str, first: str, second: str, text_column: str) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column(first, sa.Integer() if first == "year" else sa.String(length=30), nullable=False),
        sa.Column(second, sa.Integer() if second == "year" else sa.String(length=30), nullable=False),
        sa.Column("value", sa.Numeric(), nullable=False),
        sa.Column(text_column, sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("is_latest", sa.Boolean(), nullable=False),
        sa.Column("file", sa.String(length=1000), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        sa.UniqueConstraint(
            "region", first, second, "version", name=op.f(f"uq_{name}_region_{first}_{second}_version")
        ),
    )


def upgrade() -> None:
    _history("reference_values", "year", "indicator", "source")
    _history("targets", "indicator", "year", "citation")


def downgrade() -> None:
    op.drop_table("targets")
    op.drop_table("reference_values")
