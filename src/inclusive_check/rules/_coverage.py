"""The shared shape of the encouraged coverage rules of items 4-7: is any inclusive product aimed there?

An inclusive product is a dedicated one or one that names target groups. The rule passes when at
least one inclusive product of the submission names one of the item's groups or is of one of its
lines. Encouraged rules are scored and never block: a miss is reported with severity info.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from pydantic import Field
from sqlalchemy import Connection, exists, false, or_, select

from ..contract.models import Line, TargetGroup
from ..store import tables as t
from .base import Params as _Params
from .base import Scope, Verdict, status_case, submission_scope


class Params(_Params):
    target_groups: Annotated[list[TargetGroup], Field(min_length=1)]
    lines: list[Line]


def covered(conn: Connection, scope: Scope, p: Params) -> Iterator[Verdict]:
    s, pr = t.Submission, t.Product
    aimed = or_(*[pr.target_groups.like(f"%,{g},%") for g in p.target_groups],
                pr.line.in_(p.lines) if p.lines else false())
    inclusive = or_(pr.dedicated_inclusive.is_(True), pr.target_group_count > 0)
    hit = select(pr.pointer).where(pr.submission_id == s.id, inclusive, aimed).order_by(pr.id).limit(1)
    query = submission_scope(scope).with_only_columns(
        s.id, hit.scalar_subquery().label("first"), status_case(exists(hit)))
    expected = "an inclusive product for " + ", ".join([*p.target_groups, *p.lines])
    for row in conn.execute(query):
        yield Verdict(row.id, row.first or "/products", row.status, expected,
                      f"first: {row.first}" if row.first else "none")
