"""The shared shape of the two "below the comparable product" rules (items 8 and 12), and of the two checks that
a declared comparable figure is the one filed for that product.

These per-product rules are most of a market's findings, so they are written by the database alone:
``evaluate`` returns ``from_select(...)`` and the engine stores its rows with one ``INSERT ... SELECT`` (no
Python per product). The rates go in as numbers (unit ``rate``): the product's own (``value``), the comparable's
it is held to (``threshold``) and ``theirs - own`` (``margin``); results write them out as percentages.

The comparable's rate is the one its own entry files when the product it names is filed in the same document
(the filed figure is believed); otherwise the rate the product declares for it. A declared figure that differs
from the filed one is not a reason to leave the comparison undecided: ``declared_as_filed`` reports it as its
own finding (a data-quality flag).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, func, literal, null, or_, select, true

from ..store import tables as t
from .base import Scope, judged_on_sale
from .findings import Findings, from_select

FILED = t.products.alias("filed")


def _filed_join() -> ColumnElement[bool]:
    """The comparable a product names, filed in the same document (codes are unique within a document)."""
    pr = t.products.c
    return and_(FILED.c.submission_id == pr.submission_id, FILED.c.code == pr.comparable_code)


def _code() -> Any:
    # A code may run to 500 characters: 400 of them leave room for the rest of each sentence in its column.
    return func.coalesce(func.substr(t.products.c.comparable_code, 1, 400), "no comparable product named")


def below_comparable(
    conn: Connection,
    scope: Scope,
    own: Any,
    comparable: Any,
    field: str,
    *,
    must_state: ColumnElement[bool] | None = None,
    not_required: str = "",
    regular: str | None = None,
) -> Findings:
    """Dedicated products whose ``own`` rate must be strictly below the comparable's (equal fails).

    Only products on sale in the period on or after the in-force date are judged (``judged_on_sale``). When
    ``must_state`` is given, a product for which it is false need not state its rate (``not_required`` says
    why): a rate it states anyway is still judged against the comparable's, and the rule is not applicable to it
    only when either rate is missing. With ``regular`` (the reason), a product that is not dedicated gets a
    ``not_applicable`` finding saying so; without it, no finding.
    """
    rs, pr, s = t.run_submissions.c, t.products.c, t.submissions.c
    code = _code()
    filed_here = FILED.c.id.is_not(None)
    filed_rate = FILED.c[own.key]
    theirs = case((and_(filed_here, filed_rate.is_not(None)), filed_rate), else_=comparable)
    missing = own.is_(None) | theirs.is_(None)
    required = true() if must_state is None else must_state
    judged, na_expected, na_actual = judged_on_sale(scope)
    dedicated = pr.dedicated_inclusive.is_(True)
    optional = and_(~required, missing)  # need not be stated, and one side is not: nothing to compare
    status = case(
        (~dedicated, "not_applicable"),
        (~judged, "not_applicable"),
        (optional, "not_applicable"),
        (missing, "indeterminate"),
        (own < theirs, "pass"),
        else_="fail",
    )
    source = case((and_(filed_here, filed_rate.is_not(None)), " as filed in this document"), else_="")
    expected = case(
        (~dedicated, "a dedicated inclusive product"),
        (~judged, na_expected),
        (optional, f"{field} of the product and of its comparable, where stated"),
        (theirs.is_(None), f"{field} below a named comparable"),
        else_=f"{field} < {{threshold}} (" + code + source + ")",
    )
    own_text = case((own.is_(None), f"{field} not reported"), else_="{value}")
    actual = case(
        (~dedicated, literal(regular or "")),
        (~judged, na_actual),
        (
            optional,
            literal(not_required + "; ")
            + case((own.is_(None), f"no {field} stated"), else_=f"comparable {field} not stated (" + code + ")"),
        ),
        (own.is_(None), f"{field} not reported"),
        (theirs.is_(None), own_text + f"; comparable {field} not reported (" + code + ")"),
        else_=own_text,
    )
    considered = true() if regular else dedicated
    query = (
        select(rs.submission_id)
        .join(t.products, pr.submission_id == rs.submission_id)
        .join(t.submissions, s.id == rs.submission_id)
        .outerjoin(FILED, _filed_join())
        .where(scope.where(), considered)
    )
    return from_select(
        query,
        submission_id=rs.submission_id,
        subject=pr.pointer + f"/{field}",
        status=status,
        expected=expected,
        actual=actual,
        product_id=pr.id,
        value=case((dedicated, own), else_=null()),
        threshold=case((dedicated, theirs), else_=null()),
        unit="rate",
        margin=case((or_(~dedicated, missing, ~judged), null()), else_=theirs - own),
        ordinal=pr.position,
    )


def declared_as_filed(conn: Connection, scope: Scope, own: Any, declared: Any, field: str) -> Findings:
    """A data-quality check: the ``field`` a dedicated product declares for its comparable is the one that
    product's own entry files, when it is filed in the same document (``declared``: the declared column, ``own``:
    the products' own column of the same figure). No finding when nothing is declared or the comparable is not
    filed here."""
    rs, pr, s = t.run_submissions.c, t.products.c, t.submissions.c
    code = _code()
    filed_rate = FILED.c[own.key]
    agrees = and_(filed_rate.is_not(None), filed_rate == declared)
    status = case((agrees, "pass"), else_="fail")
    filed_text = case((filed_rate.is_(None), f"no {field}"), else_="{reference}")
    query = (
        select(rs.submission_id)
        .join(t.products, pr.submission_id == rs.submission_id)
        .join(t.submissions, s.id == rs.submission_id)
        .join(FILED, _filed_join())
        .where(scope.where(), pr.dedicated_inclusive.is_(True), declared.is_not(None))
    )
    return from_select(
        query,
        submission_id=rs.submission_id,
        subject=pr.pointer + f"/comparable/{field}",
        status=status,
        expected="the " + field + " filed for " + code + " in this document",
        actual="declared {value}; " + code + " as filed in this document: " + filed_text,
        product_id=pr.id,
        value=declared,
        reference=filed_rate,
        unit="rate",
        ordinal=pr.position,
    )
