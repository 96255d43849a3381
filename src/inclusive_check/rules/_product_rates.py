"""The shared shape of the two "below the comparable product" rules (items 8 and 12)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import ColumnElement, Connection, select, true

from ..store import tables as t
from .base import Scope, Verdict, exact, percent, status_case


def below_comparable(conn: Connection, scope: Scope, own: Any, comparable: Any, field: str,
                     applies: ColumnElement[bool] | None = None) -> Iterator[Verdict]:
    """Dedicated products whose ``own`` rate must be strictly below the comparable's (equal fails)."""
    rs, pr = t.RunSubmission, t.Product
    query = (
        select(rs.submission_id, pr.pointer, own.label("own"), comparable.label("comparable"),
               pr.comparable_code,
               status_case(own < comparable, indeterminate=(own.is_(None) | comparable.is_(None))))
        .join(pr, pr.submission_id == rs.submission_id)
        .where(scope.where(), pr.dedicated_inclusive.is_(True), true() if applies is None else applies)
        .order_by(rs.submission_id, pr.id)
    )
    for row in conn.execute(query):
        mine, theirs = exact(row.own), exact(row.comparable)
        code = row.comparable_code or "no comparable product named"
        expected = (f"{field} < {percent(theirs)} ({code})" if theirs is not None
                    else f"{field} below a named comparable")
        if mine is None:
            actual = f"{field} not reported"
        elif theirs is None:
            actual = f"{percent(mine)}; comparable {field} not reported ({code})"
        else:
            actual = percent(mine)
        margin = theirs - mine if mine is not None and theirs is not None else None
        yield Verdict(row.submission_id, f"{row.pointer}/{field}", row.status, expected, actual, margin)

