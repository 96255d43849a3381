"""submission_regions: a submission's inclusive business by region (schema 1.2)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30

One row per reported region (a GB/T 2260 province or prefecture code, with the province it lies in), filled at
ingest. Upgrading fills it from the stored text of the documents that mention regions (after a downgrade, the
1.2 documents stored meanwhile), the way ingest does. The insurer groupings of item 9 (category, state
ownership) are already stored on `submissions`.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
import yaml
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "submission_regions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("province", sa.String(length=6), nullable=False),
        sa.Column("policies", sa.BigInteger(), nullable=False),
        sa.Column("insured_persons", sa.BigInteger(), nullable=False),
        sa.Column("premium_cny", sa.Numeric(), nullable=False),
        sa.Column("claims_paid_cny", sa.Numeric(), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_submission_regions_submission_id_submissions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission_regions")),
        sa.UniqueConstraint("submission_id", "region", name=op.f("uq_submission_regions_submission_id_region")),
    )
    _backfill(op.get_bind())


def _regions(raw: str) -> list[dict[str, Any]]:
    """The regions of a stored (valid) document's text, JSON or YAML."""
    data = json.loads(raw, parse_float=Decimal) if raw.lstrip().startswith("{") else yaml.safe_load(raw)
    found = data.get("regions") if isinstance(data, dict) else None
    return found if isinstance(found, list) else []


def _backfill(conn: sa.Connection) -> None:
    rows = conn.execute(
        sa.text(
            "SELECT s.id, d.raw FROM submissions s JOIN documents d ON d.submission_id = s.id "
            "WHERE s.kind = 'submission' AND d.raw LIKE '%regions%'"
        )
    )
    insert = sa.text(
        "INSERT INTO submission_regions (submission_id, position, region, province, policies, insured_persons, "
        "premium_cny, claims_paid_cny) VALUES (:sid, :position, :region, :province, :policies, :insured, "
        ":premium, :claims)"
    )
    number = float if conn.dialect.name == "sqlite" else Decimal  # what the column types would bind
    values = [
        {
            "sid": sid,
            "position": i,
            "region": r["region"],
            "province": r["region"][:2] + "0000",
            "policies": int(r["policies"]),
            "insured": int(r["insured_persons"]),
            "premium": number(Decimal(str(r["premium_cny"]))),
            "claims": number(Decimal(str(r["claims_paid_cny"]))),
        }
        for sid, raw in rows.all()
        for i, r in enumerate(_regions(raw))
    ]
    if values:
        conn.execute(insert, values)


def downgrade() -> None:
    op.drop_table("submission_regions")
