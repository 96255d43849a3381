"""Ensure an insurer that does not meet the solvency standard does not carry on dedicated inclusive business.

Item 19 forbids dedicated inclusive insurance (专属普惠保险) to an insurer whose solvency is
insufficient. Following the C-ROSS II regulation (CBIRC Order 2021 No.1, art. 8), a quarter meets
the standard when the core ratio is at least 50%, the comprehensive ratio at least 100% and the
integrated risk rating is class A or B. The rating condition is an interpretation and can be
switched off in the ruleset. Each quarter of the reporting period in which any dedicated product
is on sale is judged; a quarter with no solvency figures is indeterminate.

Non-compliant::

    solvency: [{quarter: 2025-Q3, core_ratio_pct: 88.0, comprehensive_ratio_pct: 131.0, irr_class: C}]
    products: [{dedicated_inclusive: true, sale_start: 2025-01-01, sale_end: null, ...}]

Compliant::

    solvency: [{quarter: 2025-Q3, core_ratio_pct: 88.0, comprehensive_ratio_pct: 131.0, irr_class: B}]
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Annotated, Any, Final

from pydantic import Field
from sqlalchemy import Connection, and_, func, or_, select, true

from ..store import tables as t
from .base import Params as _Params
from .base import Scope, Verdict, exact, number, status_case

ID = "IC19-SOLVENCY-GATE"
CLAUSE = 19
STRENGTH: Final = "mandatory"
KINDS = ("submission", "product_filing")
TITLE = {
    "en": "Ensure dedicated inclusive products are sold only in quarters when the insurer meets the solvency standard",
    "zh": "偿付能力不达标的季度不得开展专属普惠保险业务",
}
MESSAGES = {
    "pass": {"en": "{key}: solvency meets the standard ({actual}) while dedicated products are on sale.",
             "zh": "{key}：专属普惠产品在售期间偿付能力达标（{actual}）。"},
    "fail": {"en": "{key}: dedicated inclusive products are on sale but solvency is below the standard: {actual}; "
                   "required {expected}.",
             "zh": "{key}：偿付能力不达标（{actual}，要求{expected}），仍在销售专属普惠保险产品。"},
    "indeterminate": {"en": "{subject}: solvency cannot be judged while dedicated products are on sale: {actual}.",
                      "zh": "{subject}：专属普惠产品在售，但无法判断偿付能力：{actual}。"},
    "not_applicable": {"en": "Solvency gate not applied: {actual}.", "zh": "未适用偿付能力门槛：{actual}。"},
}


class Params(_Params):
    min_core_ratio_pct: Annotated[Decimal, Field(ge=0)]  # a ratio: a negative line is meaningless
    min_comprehensive_ratio_pct: Annotated[Decimal, Field(ge=0)]
    irr_condition: bool
    passing_irr_grades: Annotated[list[str], Field(min_length=1)]


def evaluate(conn: Connection, scope: Scope, p: Params) -> Iterator[Verdict]:
    rs, pr, pq, sq, sub = t.RunSubmission, t.Product, t.PeriodQuarter, t.SolvencyQuarter, t.Submission
    ratios_ok = and_(sq.core_ratio_pct >= p.min_core_ratio_pct,
                     sq.comprehensive_ratio_pct >= p.min_comprehensive_ratio_pct)
    passed = and_(ratios_ok, sq.irr_class.in_(p.passing_irr_grades)) if p.irr_condition else ratios_ok
    on_sale = and_(pr.sale_start <= pq.quarter_end, or_(pr.sale_end.is_(None), pr.sale_end >= pq.quarter_start))
    dedicated = and_(pr.submission_id == rs.submission_id, pr.dedicated_inclusive.is_(True))

    # The context is the submission itself, or a filing's insurer context (engine). Quarters that ended
    # before the obligation took effect are not judged. Products are counted per quarter first, and only
    # then joined to the solvency figures: the join then sees one row per quarter, not one per product.
    facts = rs.context_submission_id
    in_force = pq.quarter_end >= scope.in_force_from if scope.in_force_from else true()
    on_sale_count = select(func.count(pr.id)).where(dedicated, on_sale).scalar_subquery()
    counted = (
        select(rs.submission_id, rs.context_submission_id, sub.kind, pq.quarter, on_sale_count.label("on_sale"))
        .join(sub, sub.id == rs.submission_id)
        .join(pq, and_(pq.submission_id == facts, in_force))
        .where(scope.where())
        .subquery()
    )
    quarters = (
        select(counted.c.submission_id, counted.c.kind, counted.c.quarter, sq.position, sq.core_ratio_pct,
               sq.comprehensive_ratio_pct, sq.irr_class, counted.c.on_sale,
               status_case(passed, indeterminate=sq.id.is_(None)))
        .outerjoin(sq, and_(sq.submission_id == counted.c.context_submission_id, sq.quarter == counted.c.quarter))
        .order_by(counted.c.submission_id, counted.c.quarter)
    )
    irr = f", IRR class in {'/'.join(p.passing_irr_grades)}" if p.irr_condition else ""
    expected = (f"core >= {number(p.min_core_ratio_pct)}%, comprehensive >= "
                f"{number(p.min_comprehensive_ratio_pct)}%{irr}")
    yield from _judged(conn.execute(quarters), p, expected)

    # A dedicated filing whose sale window no insurer context covers cannot be judged.
    covered = (
        select(pq.id).where(pq.submission_id == rs.context_submission_id, on_sale).exists()
    )
    filings = (
        select(rs.submission_id, rs.context_submission_id, pr.sale_start, pr.sale_end)
        .join(sub, sub.id == rs.submission_id)
        .join(pr, dedicated)
        .where(scope.where(), sub.kind == "product_filing", ~covered)
        .order_by(rs.submission_id)
    )
    for row in conn.execute(filings):
        window = f"from {row.sale_start}" + (f" to {row.sale_end}" if row.sale_end else "")
        why = ("no insurer context: pass --insurer FILE or store the insurer's submission"
               if row.context_submission_id is None
               else f"the insurer context has no quarter covering the sale window ({window})")
        yield Verdict(row.submission_id, "/product", "indeterminate", expected, why)


def _judged(rows: Iterable[Any], p: Params, expected: str) -> Iterator[Verdict]:
    for row in rows:
        if not row.on_sale:  # filtered here: in SQL, SQLite would count the products a second time
            continue
        products = f"{row.on_sale} dedicated product(s) on sale"
        filing = row.kind == "product_filing"
        subject = "/product" if filing else f"/solvency/{row.position}"
        if row.status == "indeterminate":
            where = "in the insurer context" if filing else "in /solvency"
            yield Verdict(row.submission_id, "/product" if filing else "/solvency", "indeterminate", expected,
                          f"{row.quarter} not reported {where}; {products}", key=row.quarter)
            continue
        core, comp = exact(row.core_ratio_pct), exact(row.comprehensive_ratio_pct)
        assert core is not None and comp is not None
        actual = f"core {number(core)}%, comprehensive {number(comp)}%, IRR {row.irr_class}; {products}"
        margin: Decimal | None = min(core - p.min_core_ratio_pct, comp - p.min_comprehensive_ratio_pct)
        if row.status == "fail" and margin is not None and margin >= 0:
            margin = None  # failed on the rating alone: the ratios' headroom is no distance to a threshold
        yield Verdict(row.submission_id, subject, row.status, expected, actual, margin, key=row.quarter)
