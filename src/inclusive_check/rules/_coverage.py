"""The shared shape of the encouraged coverage rules of items 4-7: is any inclusive product aimed there?

An inclusive product is a dedicated one or one that names target groups or risk areas. The rule passes when at
least one inclusive product of the submission names one of the item's groups or risk areas, or is of one of its
lines. Encouraged rules are scored and never block: a miss is reported with severity info.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from pydantic import Field
from sqlalchemy import Connection, case, false, or_, select, true

from ..contract.models import Line, RiskArea, TargetGroup
from ..store import tables as t
from .base import Params as _Params
from .base import Scope, submission_scope
from .findings import Finding, finding


class Params(_Params):
    target_groups: Annotated[list[TargetGroup], Field(min_length=1)]
    lines: list[Line]


class AreaParams(Params):
    """For an item that names risk areas too (schema 1.1's ``risk_areas`` of a product)."""

    risk_areas: list[RiskArea]


def covered(conn: Connection, scope: Scope, p: Params) -> Iterator[Finding]:
    s, pr = t.submissions.c, t.products.c
    areas: list[str] = list(p.risk_areas) if isinstance(p, AreaParams) else []
    aimed = or_(
        *[pr.target_groups.like(f"%,{g},%") for g in p.target_groups],
        *[pr.risk_areas.like(f"%,{a},%") for a in areas],
        pr.line.in_(p.lines) if p.lines else false(),
    )

    def first(dedicated: bool) -> Any:
        # Products are indexed by (submission, dedicated, position): each probe reads them in filed order and
        # stops at its first hit instead of sorting the submission's products.
        named = true() if dedicated else or_(pr.target_group_count > 0, pr.risk_areas != "")
        return (
            select(pr.position)
            .where(pr.submission_id == s.id, pr.dedicated_inclusive.is_(dedicated), named, aimed)
            .order_by(pr.position)
            .limit(1)
            .scalar_subquery()
        )

    # A CTE materialized on PostgreSQL, which would otherwise inline it and run both probes again wherever the
    # lookup below names them (SQLite materializes it as it is).
    probes = (
        submission_scope(scope)
        .with_only_columns(s.id, first(True).label("a"), first(False).label("b"))
        .cte("probes")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    hit = case(
        (probes.c.a.is_(None), probes.c.b),
        (probes.c.b.is_(None), probes.c.a),
        (probes.c.a < probes.c.b, probes.c.a),
        else_=probes.c.b,
    )
    # The hit is looked up by the whole index (submission, dedicated, position), once per submission.
    from_dedicated = case(
        (probes.c.a.is_(None), false()),
        (probes.c.b.is_(None), true()),
        (probes.c.a < probes.c.b, true()),
        else_=false(),
    )

    def at_hit(column: Any) -> Any:
        return (
            select(column)
            .where(pr.submission_id == probes.c.id, pr.dedicated_inclusive == from_dedicated, pr.position == hit)
            .scalar_subquery()
        )

    query = select(probes.c.id, at_hit(pr.id).label("product_id"), at_hit(pr.pointer).label("first"))
    expected = "an inclusive product for " + ", ".join(dict.fromkeys([*p.target_groups, *areas, *p.lines]))
    for row in conn.execute(query.order_by(probes.c.id)):
        yield finding(
            row.id,
            row.first or "/products",
            "pass" if row.first else "fail",
            expected,
            f"first: {row.first}" if row.first else "none",
            product_id=row.product_id,
        )
