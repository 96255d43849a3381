"""The store's column types and the one ``MetaData`` every table is defined on (tables.py, portal_tables.py).

Money, rates and a finding's figures are ``ExactDecimal``: the decimal that was filed, every digit of it. On
PostgreSQL an unscaled NUMERIC; on SQLite, whose REAL keeps 15 significant digits, the canonical decimal text
(``decimal_text``), with the comparisons, arithmetic and sums that SQL makes on them done exactly by functions
registered on every connection (``sqlite_functions``)."""

from __future__ import annotations

from decimal import Context, Decimal
from typing import Any

from sqlalchemy import (
    ForeignKey,
    MetaData,
    Numeric,
    Text,
    TypeDecorator,
    literal,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import operators
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement, Null
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import Boolean, TypeEngine

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Arithmetic on figures never rounds: a figure has at most 40 significant digits between 1e-40 and 1e16
# (contract.models), so sums over any market, differences, and products of a figure and a count fit many times
# over. Decimal's default context keeps 28 digits: use this one (``EXACT.add(a, b)``, ``localcontext(EXACT)``).
EXACT = Context(prec=200, Emin=-999999, Emax=999999)


def decimal_text(value: Decimal | int | str) -> str:
    """The canonical text of a decimal: every significant digit, no exponent, no trailing zeros ('0.05', '100')."""
    if isinstance(value, (float, bool)):
        raise TypeError("a figure is stored from its decimal, never from a binary float")
    text = format(Decimal(value).normalize(EXACT), "f")
    return "0" if text == "-0" else text


def figure_text(value: Decimal | int | None) -> str | None:
    """``decimal_text`` of a figure that may be missing (NULL)."""
    return None if value is None else decimal_text(value)


class ExactDecimal(TypeDecorator[Decimal]):
    """A decimal stored exactly: unscaled NUMERIC on PostgreSQL, canonical decimal text on SQLite.

    Comparisons (``<``, ``<=``, ``>``, ``>=``, ``==``, ``!=``) and ``+``, ``-``, ``*`` on such a column are exact on
    both backends: on SQLite they compile to the functions of ``sqlite_functions`` (text compares as text there),
    elsewhere to the plain operators. Sum one with ``exact_sum``."""

    impl = Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Text())
        return dialect.type_descriptor(Numeric())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return decimal_text(value)
        if isinstance(value, float):
            raise TypeError("a figure is stored from its decimal, never from a binary float")
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None or isinstance(value, Decimal):
            return value
        # a REAL only from arithmetic SQLite did itself (a weight summed by SUM), never from a stored figure
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)

    class comparator_factory(TypeDecorator.Comparator[Decimal], Numeric.Comparator[Decimal]):
        def operate(self, op: Any, *other: Any, **kwargs: Any) -> Any:
            exact = _exact_operation(op, self.expr, other[0] if other else None, False)
            return super().operate(op, *other, **kwargs) if exact is None else exact

        def reverse_operate(self, op: Any, other: Any, **kwargs: Any) -> Any:
            exact = _exact_operation(op, self.expr, other, True)
            return super().reverse_operate(op, other, **kwargs) if exact is None else exact


class _Exact(FunctionElement[Any]):
    """An exact operation on two decimals: ``sqlite`` names its registered function, ``sql`` the operator."""

    inherit_cache = True
    sqlite = ""
    sql = ""


class _Compare(_Exact):
    type = Boolean()
    inherit_cache = True


class exact_lt(_Compare):
    inherit_cache = True
    sql = "<"


class exact_le(_Compare):
    inherit_cache = True
    sql = "<="


class exact_gt(_Compare):
    inherit_cache = True
    sql = ">"


class exact_ge(_Compare):
    inherit_cache = True
    sql = ">="


class exact_eq(_Compare):
    inherit_cache = True
    sql = "="


class exact_ne(_Compare):
    inherit_cache = True
    sql = "<>"


class _Arithmetic(_Exact):
    type: Any = None  # set below: ExactDecimal
    inherit_cache = True


class exact_add(_Arithmetic):
    inherit_cache = True
    sqlite, sql = "exact_add", "+"


class exact_sub(_Arithmetic):
    inherit_cache = True
    sqlite, sql = "exact_sub", "-"


class exact_mul(_Arithmetic):
    inherit_cache = True
    sqlite, sql = "exact_mul", "*"


class exact_sum(FunctionElement[Decimal]):
    """``SUM`` of an exact column, exact on SQLite too (a registered aggregate); NULL over no values."""

    type: Any = None  # set below: ExactDecimal
    inherit_cache = True
    name = "sum"


_COMPARISONS: dict[Any, type[_Compare]] = {
    operators.lt: exact_lt,
    operators.le: exact_le,
    operators.gt: exact_gt,
    operators.ge: exact_ge,
    operators.eq: exact_eq,
    operators.ne: exact_ne,
}
_REVERSED = {exact_lt: exact_gt, exact_le: exact_ge, exact_gt: exact_lt, exact_ge: exact_le}
_ARITHMETIC: dict[Any, type[_Arithmetic]] = {
    operators.add: exact_add,
    operators.sub: exact_sub,
    operators.mul: exact_mul,
}


def _exact_operation(op: Any, expr: Any, other: Any, reverse: bool) -> Any:
    """The exact form of ``expr op other`` (``other op expr`` when ``reverse``), or None for any other operator."""
    kind = _COMPARISONS.get(op) or _ARITHMETIC.get(op)
    if kind is None or other is None or isinstance(other, Null):
        return None  # == None is IS NULL, as ever
    if not isinstance(other, ClauseElement):
        other = literal(other, ExactDecimal())
    if reverse:
        if kind in _REVERSED:
            return _REVERSED[kind](expr, other)
        return kind(other, expr)
    return kind(expr, other)


@compiles(_Exact)
def _plain(element: _Exact, compiler: SQLCompiler, **kw: Any) -> str:
    left, right = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(({left}) {element.sql} ({right}))"


@compiles(_Compare, "sqlite")
def _sqlite_compare(element: _Compare, compiler: SQLCompiler, **kw: Any) -> str:
    left, right = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(exact_cmp({left}, {right}) {element.sql} 0)"


@compiles(_Arithmetic, "sqlite")
def _sqlite_arithmetic(element: _Arithmetic, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{element.sqlite}({compiler.process(element.clauses, **kw)})"


@compiles(exact_sum)
def _plain_sum(element: exact_sum, compiler: SQLCompiler, **kw: Any) -> str:
    return f"sum({compiler.process(element.clauses, **kw)})"


@compiles(exact_sum, "sqlite")
def _sqlite_sum(element: exact_sum, compiler: SQLCompiler, **kw: Any) -> str:
    return f"exact_sum({compiler.process(element.clauses, **kw)})"


def _decimal(value: Any) -> Decimal | None:
    """A value as SQLite hands it to a function: decimal text, an integer, a REAL (from SQL arithmetic) or NULL."""
    if value is None:
        return None
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value.decode() if isinstance(value, bytes) else value)


def _cmp(a: Any, b: Any) -> int | None:
    x, y = _decimal(a), _decimal(b)
    if x is None or y is None:
        return None
    return (x > y) - (x < y)


def _binary(operation: Any) -> Any:
    def apply(a: Any, b: Any) -> str | None:
        x, y = _decimal(a), _decimal(b)
        return None if x is None or y is None else decimal_text(operation(x, y))

    return apply


class _Sum:
    def __init__(self) -> None:
        self.total: Decimal | None = None

    def step(self, value: Any) -> None:
        d = _decimal(value)
        if d is not None:
            self.total = d if self.total is None else EXACT.add(self.total, d)

    def finalize(self) -> str | None:
        return None if self.total is None else decimal_text(self.total)


def sqlite_functions(dbapi_connection: Any) -> None:
    """Register the exact functions on a new SQLite connection (``store.db`` does, on every connection)."""
    dbapi_connection.create_function("exact_cmp", 2, _cmp, deterministic=True)
    dbapi_connection.create_function("exact_add", 2, _binary(EXACT.add), deterministic=True)
    dbapi_connection.create_function("exact_sub", 2, _binary(EXACT.subtract), deterministic=True)
    dbapi_connection.create_function("exact_mul", 2, _binary(EXACT.multiply), deterministic=True)
    dbapi_connection.create_aggregate("exact_sum", 1, _Sum)


Rate = ExactDecimal()  # a fraction as filed: 0.05 is 5%
Number = ExactDecimal()  # a finding's figure, in the unit the finding names (a rate, a count, days, ...)
Money = ExactDecimal()  # an amount in CNY as filed
Points = Numeric(6, 2)  # a score out of 100, to the hundredth
_Arithmetic.type = exact_sum.type = ExactDecimal()


metadata = MetaData(naming_convention=NAMING)


def _fk(target: str) -> ForeignKey:
    return ForeignKey(target, ondelete="CASCADE")
