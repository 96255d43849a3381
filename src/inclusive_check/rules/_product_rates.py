"""The shared shape of the two "below the comparable product" rules (items 8 and 12).

These per-product rules are most of a market's findings, so they are written by the database alone:
``evaluate`` returns ``from_select(...)`` and the engine stores its rows with one ``INSERT ... SELECT`` (no
Python per product). The rates go in as numbers (unit ``rate``): the product's own (``value``), the declared
comparable's (``threshold``), the comparable's as filed in the same document (``reference``) and
``theirs - own`` (``margin``); results write them out as percentages.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, exists, func, null, select, true

from ..store import tables as t
from .base import Scope, judged_on_sale
from .findings import Findings, from_select


def below_comparable(
    conn: Connection, scope: Scope, own: Any, comparable: Any, field: str, applies: ColumnElement[bool] | None = None
) -> Findings:
    """Dedicated products whose ``own`` rate must be strictly below the comparable's (equal fails).

    Only products on sale in the period on or after the in-force date are judged (``judged_on_sale``). The
    comparable's rate is taken on trust unless the named product is filed in the same document: then the
    declared rate must be that product's own filed rate, or the comparison is indeterminate.
    """
    rs, pr, s = t.run_submissions.c, t.products.c, t.submissions.c
    # A code may run to 500 characters: 400 of them leave room for the rest of each sentence in its column.
    code = func.coalesce(func.substr(pr.comparable_code, 1, 400), "no comparable product named")
    missing = own.is_(None) | comparable.is_(None)
    filed = t.products.alias("filed")
    same = (filed.c.submission_id == pr.submission_id, filed.c.code == pr.comparable_code)
    own_filed = select(filed.c[own.key]).where(*same).order_by(filed.c.position).limit(1).scalar_subquery()
    mismatch = and_(exists().where(*same), own_filed.is_distinct_from(comparable))
    judged, na_expected, na_actual = judged_on_sale(scope)
    status = case(
        (~judged, "not_applicable"),
        (missing, "indeterminate"),
        (mismatch, "indeterminate"),
        (own < comparable, "pass"),
        else_="fail",
    )
    expected = case(
        (~judged, na_expected),
        (comparable.is_(None), f"{field} below a named comparable"),
        else_=f"{field} < {{threshold}} (" + code + ")",
    )
    own_text = case((own.is_(None), f"{field} not reported"), else_="{value}")
    filed_text = case((own_filed.is_(None), "not reported"), else_="{reference}")
    actual = case(
        (~judged, na_actual),
        (own.is_(None), f"{field} not reported"),
        (comparable.is_(None), own_text + f"; comparable {field} not reported (" + code + ")"),
        (
            mismatch,
            own_text
            + f"; the declared comparable {field} differs from the rate filed for "
            + code
            + " in this document ("
            + filed_text
            + ")",
        ),
        else_=own_text,
    )
    query = (
        select(rs.submission_id)
        .join(t.products, pr.submission_id == rs.submission_id)
        .join(t.submissions, s.id == rs.submission_id)
        .where(scope.where(), pr.dedicated_inclusive.is_(True), true() if applies is None else applies)
    )
    return from_select(
        query,
        submission_id=rs.submission_id,
        subject=pr.pointer + f"/{field}",
        status=status,
        expected=expected,
        actual=actual,
        product_id=pr.id,
        value=own,
        threshold=comparable,
        reference=case((mismatch, own_filed), else_=null()),
        unit="rate",
        margin=case((missing | mismatch | ~judged, null()), else_=comparable - own),
        ordinal=pr.position,
    )
