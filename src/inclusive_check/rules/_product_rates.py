"""The shared shape of the two "below the comparable product" rules (items 8 and 12).

These per-product rules are most of a market's findings, so they are written by the database alone:
``evaluate`` returns a SELECT whose rows are the findings and the engine stores them with one
``INSERT ... SELECT`` (no Python per product). Texts and margins are exact on both backends:

* SQLite keeps rates as REAL. A rate has at most 15 decimal places (the contract's ``max_digits``), so
  ``N = CAST(ROUND(rate * 1e15) AS INTEGER)`` is the filed decimal times 10**15, exactly (N <= 10**15 <
  2**53). The percentage is N / 10**13 written out with its fraction's trailing zeros cut.
* PostgreSQL keeps NUMERIC: ``trim_scale(rate * 100)`` is the percentage, ``theirs - mine`` the margin.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    Select,
    Text,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    literal_column,
    null,
    select,
    true,
)

from ..store import tables as t
from .base import Scope, judged_on_sale

_PCT = 10**13  # rate * 100 = N / 10**13


def _text(value: Any) -> Any:
    return cast(value, Text)


def _scaled(rate: Any) -> Any:
    return cast(func.round(rate * literal_column("1e15")), Integer)


def percent_sql(dialect: str, rate: Any) -> Any:
    """SQL for ``base.percent(rate)``: 0.0499 -> '4.99%'."""
    if dialect == "sqlite":
        n = _scaled(rate)
        fraction = func.rtrim(func.substr("0000000000000" + _text(n % _PCT), -13), "0")
        digits = _text(n // _PCT) + case((n % _PCT == 0, ""), else_="." + fraction)
        # printf's %.15g writes the same digits, faster: the rate has at most 15 significant digits and
        # rate * 100 as a double stays well within half a unit of the 15th. Below 1e-5 %g would switch to an
        # exponent, so small rates keep the integer route.
        return case((rate >= literal_column("1e-5"), func.printf("%.15g", rate * 100)), else_=digits) + "%"
    return _text(func.trim_scale(rate * 100)) + "%"


def margin_sql(dialect: str, own: Any, theirs: Any) -> Any:
    """SQL for the exact difference ``theirs - own``."""
    if dialect == "sqlite":
        return (_scaled(theirs) - _scaled(own)) / literal_column("1e15")
    return func.trim_scale(theirs - own)


def below_comparable(conn: Connection, scope: Scope, own: Any, comparable: Any, field: str,
                     applies: ColumnElement[bool] | None = None) -> Select[Any]:
    """Dedicated products whose ``own`` rate must be strictly below the comparable's (equal fails).

    Only products on sale in the period on or after the in-force date are judged (``judged_on_sale``). The
    comparable's rate is taken on trust unless the named product is filed in the same document: then the
    declared rate must be that product's own filed rate, or the comparison is indeterminate.
    """
    rs, pr, s = t.run_submissions.c, t.products.c, t.submissions.c
    dialect = conn.dialect.name
    # A code may run to 500 characters: 400 of them keep every text within its 500-character column.
    code = func.coalesce(func.substr(pr.comparable_code, 1, 400), "no comparable product named")
    missing = own.is_(None) | comparable.is_(None)
    filed = t.products.alias("filed")
    same = (filed.c.submission_id == pr.submission_id, filed.c.code == pr.comparable_code)
    own_filed = select(filed.c[own.key]).where(*same).order_by(filed.c.id).limit(1).scalar_subquery()
    mismatch = and_(exists().where(*same), own_filed.is_distinct_from(comparable))
    judged, na_expected, na_actual = judged_on_sale(scope)
    status = case((~judged, "not_applicable"), (missing, "indeterminate"), (mismatch, "indeterminate"),
                  (own < comparable, "pass"), else_="fail").label("status")
    expected = case((~judged, na_expected), (comparable.is_(None), f"{field} below a named comparable"),
                    else_=f"{field} < " + percent_sql(dialect, comparable) + " (" + code + ")")
    own_text = func.coalesce(percent_sql(dialect, own), f"{field} not reported")
    filed_text = func.coalesce(percent_sql(dialect, own_filed), "not reported")
    actual = case((~judged, na_actual),
                  (own.is_(None), f"{field} not reported"),
                  (comparable.is_(None), own_text + f"; comparable {field} not reported (" + code + ")"),
                  (mismatch, own_text + f"; the declared comparable {field} differs from the rate filed for "
                   + code + " in this document (" + filed_text + ")"),
                  else_=own_text)
    return (
        select(rs.submission_id.label("submission_id"), (pr.pointer + f"/{field}").label("subject"),
               status, expected.label("expected"), actual.label("actual"),
               case((missing | mismatch | ~judged, null()), else_=margin_sql(dialect, own, comparable)).label("margin"),
               literal("").label("key"), pr.id.label("ordinal"))
        .join(t.products, pr.submission_id == rs.submission_id)
        .join(t.submissions, s.id == rs.submission_id)
        .where(scope.where(), pr.dedicated_inclusive.is_(True), true() if applies is None else applies)
    )
