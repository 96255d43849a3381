"""exact figures: on SQLite, money, rates and finding figures become decimal text instead of REAL

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06

A figure is kept with every digit that was filed (store/columns.py, ``ExactDecimal``). PostgreSQL's columns are
already unscaled NUMERIC: nothing changes there. SQLite's were declared NUMERIC, whose affinity turns a decimal
text into a REAL of 15 significant digits; each becomes a TEXT column holding the canonical decimal ('0.05',
'100'). The figures stored before this revision were read to at most 15 significant digits, so the shortest
text of each REAL is the decimal that was filed: nothing is lost.

How, on SQLite: a new TEXT column per figure, filled from the old one, the old one dropped, the new one renamed.
No table is rebuilt: dropping a table fires its foreign keys' ON DELETE actions (and the record-protection
triggers of 0013 on the portal's signed revisions, which reference submissions), and would empty the tables
that depend on it. A NOT NULL column keeps the default '0' that adding it needed (the store always writes it).
Downgrading turns the texts back into REALs, keeping 15 significant digits of each.
"""

from __future__ import annotations

from decimal import Context, Decimal
from typing import Any

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

# (table, column, nullable): every ExactDecimal column at this revision
FIGURES = (
    ("submissions", "total_assets_cny", True),
    ("submissions", "inclusive_kpi_weight", True),
    ("submissions", "inclusive_premium_cny", True),
    ("submissions", "inclusive_claims_paid_cny", True),
    ("submissions", "inclusive_settlement_days_x_claims", True),
    ("submissions", "premium_cny", True),
    ("products", "premium_rate", False),
    ("products", "intermediary_fee_rate", True),
    ("products", "comparable_premium_rate", True),
    ("products", "comparable_fee_rate", True),
    ("products", "premium_cny", True),
    ("products", "claims_paid_cny", True),
    ("products", "avg_settlement_days", True),
    ("solvency_quarters", "core_ratio_pct", False),
    ("solvency_quarters", "comprehensive_ratio_pct", False),
    ("submission_regions", "premium_cny", False),
    ("submission_regions", "claims_paid_cny", False),
    ("findings", "value", True),
    ("findings", "threshold", True),
    ("findings", "reference", True),
    ("findings", "margin", True),
    ("reference_values", "value", False),
    ("targets", "value", False),
)
_CONTEXT = Context(prec=200)


def _decimal_text(value: Any) -> str | None:
    """The canonical decimal text of a stored REAL, integer or text (None stays NULL)."""
    if value is None:
        return None
    d = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))
    text = format(d.normalize(_CONTEXT), "f")
    return "0" if text == "-0" else text


def _real(value: Any) -> float | None:
    return None if value is None else float(Decimal(str(value)))


def _convert(declared: str, function: str, convert: Any) -> None:
    bind = op.get_bind()
    bind.connection.driver_connection.create_function(function, 1, convert, deterministic=True)
    for table, column, nullable in FIGURES:
        new = f"{column}__0018"
        constraint = "" if nullable else " NOT NULL DEFAULT '0'" if declared == "TEXT" else " NOT NULL DEFAULT 0"
        op.execute(f'ALTER TABLE "{table}" ADD COLUMN "{new}" {declared}{constraint}')
        op.execute(f'UPDATE "{table}" SET "{new}" = {function}("{column}") WHERE "{column}" IS NOT NULL')
        op.execute(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
        op.execute(f'ALTER TABLE "{table}" RENAME COLUMN "{new}" TO "{column}"')


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _convert("TEXT", "ic_0018_decimal_text", _decimal_text)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _convert("NUMERIC", "ic_0018_real", _real)
