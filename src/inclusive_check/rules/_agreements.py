"""The shared shape of rules over intermediary agreements that cover inclusive business."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Literal

from sqlalchemy import ColumnElement, Connection, select

from ..store import tables as t
from .base import Scope, status_case

AgreementType = Literal["agency", "broker", "postal", "bank", "other"]


def agreements(
    conn: Connection, scope: Scope, types: Iterable[str], passed: ColumnElement[bool], *columns: Any
) -> Iterator[Any]:
    """Every agreement of one of ``types`` covering inclusive business, of every submission in scope, judged by
    ``passed``."""
    rs, m, s = t.run_submissions.c, t.intermediaries.c, t.submissions.c
    query = (
        select(rs.submission_id, m.position, m.name, status_case(passed), *columns)
        .join(t.submissions, s.id == rs.submission_id)
        .join(t.intermediaries, m.submission_id == rs.submission_id)
        .where(scope.where(), s.kind == "submission", m.covers_inclusive.is_(True), m.type.in_(list(types)))
        .order_by(rs.submission_id, m.position)
    )
    return iter(conn.execute(query))
