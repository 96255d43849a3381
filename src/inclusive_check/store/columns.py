"""The store's column types and the one ``MetaData`` every table is defined on (tables.py, portal_tables.py).

Money and rates are ``Numeric``: exact NUMERIC on PostgreSQL; on SQLite ``ExactDecimal`` hands back the decimal that
was stored."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ForeignKey,
    MetaData,
    Numeric,
    TypeDecorator,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class ExactDecimal(TypeDecorator[Decimal]):
    """NUMERIC that hands back the decimal that was stored, on SQLite too.

    SQLite keeps REALs; the shortest repr of a double that came from a decimal of at most 15
    significant digits is that decimal again, so ``Decimal(repr(x))`` restores it exactly.
    """

    impl = Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Numeric(asdecimal=False))
        return dialect.type_descriptor(Numeric())

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None or isinstance(value, Decimal):
            return value
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


Rate = ExactDecimal()  # a fraction as filed: 0.05 is 5%
Number = ExactDecimal()  # a finding's figure, in the unit the finding names (a rate, a count, days, ...)
Money = ExactDecimal()  # an amount in CNY as filed
Points = Numeric(6, 2)  # a score out of 100, to the hundredth


metadata = MetaData(naming_convention=NAMING)


def _fk(target: str) -> ForeignKey:
    return ForeignKey(target, ondelete="CASCADE")
