"""filing season: the register of supervised insurers and the filing calendar, with history

Revision ID: 0017
Revises: 0014
Create Date: 2026-12-06

`inclusive-check insurers import` and `calendar import` (docs/portal.md, "The filing season"): a changed
insurer or period is a new version; earlier versions stay.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "register_insurers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("name_zh", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("institution_group", sa.String(length=20), nullable=False),
        sa.Column("ownership", sa.String(length=10), nullable=False),
        sa.Column("size_class", sa.String(length=10), nullable=False),
        sa.Column("files", sa.String(length=10), nullable=False),
        sa.Column("source", sa.String(length=1000), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_insurers")),
        sa.UniqueConstraint("code", "version", name=op.f("uq_register_insurers_code_version")),
    )
    op.create_table(
        "calendar_periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("opens", sa.Date(), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=1000), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_periods")),
        sa.UniqueConstraint("period", "version", name=op.f("uq_calendar_periods_period_version")),
    )


def downgrade() -> None:
    op.drop_table("calendar_periods")
    op.drop_table("register_insurers")
