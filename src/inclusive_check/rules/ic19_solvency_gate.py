"""Ensure an insurer that does not meet the solvency standard does not carry on dedicated inclusive business.

Item 19 forbids dedicated inclusive insurance (专属普惠保险) to an insurer whose solvency is
insufficient. Following the C-ROSS II regulation (CBIRC Order 2021 No.1, art. 8), a quarter meets
the standard when the core ratio is at least 50%, the comprehensive ratio at least 100% and the
integrated risk rating is class A or B. The rating condition is an interpretation and can be
switched off in the ruleset. Each quarter of the reporting period in which any dedicated product
is on sale is judged; a quarter with no solvency figures is indeterminate. A product filing is judged on its
insurer context's quarters; where its sale window runs past the context's period, a quarter that had ended by
the filing date is indeterminate and the later ones are named, with the reason, in one not-applicable finding.

Non-compliant::

    solvency: [{quarter: 2025-Q3, core_ratio_pct: 88.0, comprehensive_ratio_pct: 131.0, irr_class: C}]
    products: [{dedicated_inclusive: true, sale_start: 2025-01-01, sale_end: null, ...}]

Compliant::

    solvency: [{quarter: 2025-Q3, core_ratio_pct: 88.0, comprehensive_ratio_pct: 131.0, irr_class: B}]
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field
from sqlalchemy import Connection, and_, func, or_, select

from ..figures import EXACT, exact, number
from ..periods import period_bounds, quarter_of, quarters_between
from ..store import tables as t
from .base import Params as _Params
from .base import Scope, status_case
from .findings import Finding, finding, one_by_one

ID = "IC19-SOLVENCY-GATE"
CLAUSE = 19
KINDS = ("submission", "product_filing")
TITLE = {
    "en": "Sell dedicated inclusive products only in quarters in which the insurer passes all three solvency tests",
    "zh": "仅在偿付能力三项指标均达标的季度销售专属普惠产品",
}
MESSAGES = {
    "pass": {
        "en": "{key}: all solvency tests passed while dedicated products were on sale ({actual}).",
        "zh": "{key}：专属普惠产品在售期间，偿付能力各项指标均达标（{actual}）。",
    },
    "fail": {
        "en": "{key}: dedicated products were on sale in a quarter that misses the solvency standard ({actual}); the standard is {expected}.",
        "zh": "{key}：专属普惠产品在售的季度偿付能力未达标（{actual}）；标准为{expected}。",
    },
    "indeterminate": {
        "en": "{subject}: solvency cannot be shown for a quarter with dedicated products on sale ({actual}); the insurer counts as blocked until it is.",
        "zh": "{subject}：无法证明专属普惠产品在售季度的偿付能力（{actual}）；证明之前按阻断处理。",
    },
    "not_applicable": {"en": "Solvency test not applied: {actual}.", "zh": "未适用偿付能力检查：{actual}。"},
}


class Params(_Params):
    # a ratio in percent: a negative line is meaningless, and one above 1000% no insurer meets (every one fails)
    min_core_ratio_pct: Annotated[Decimal, Field(ge=0, le=1000)]
    min_comprehensive_ratio_pct: Annotated[Decimal, Field(ge=0, le=1000)]
    irr_condition: bool
    passing_irr_grades: Annotated[list[str], Field(min_length=1)]


@one_by_one
def evaluate(conn: Connection, scope: Scope, p: Params) -> Iterator[Finding]:
    rs, pr, pq, sq, sub = t.run_submissions.c, t.products.c, t.period_quarters.c, t.solvency_quarters.c, t.submissions.c
    ratios_ok = and_(
        sq.core_ratio_pct >= p.min_core_ratio_pct, sq.comprehensive_ratio_pct >= p.min_comprehensive_ratio_pct
    )
    passed = and_(ratios_ok, sq.irr_class.in_(p.passing_irr_grades)) if p.irr_condition else ratios_ok
    since = scope.in_force_from or date.min
    irr = f", IRR class in {'/'.join(p.passing_irr_grades)}" if p.irr_condition else ""
    expected = (
        f"core >= {number(p.min_core_ratio_pct)}%, comprehensive >= {number(p.min_comprehensive_ratio_pct)}%{irr}"
    )

    # A submission: each quarter of its own period in which some dedicated product was on sale on a day on or
    # after the in-force date. Products are counted per quarter first, and only then joined to the solvency
    # figures: the join then sees one row per quarter, not one per product.
    on_sale = and_(
        pr.sale_start <= pq.quarter_end,
        pq.quarter_end >= since,
        or_(pr.sale_end.is_(None), and_(pr.sale_end >= pq.quarter_start, pr.sale_end >= since)),
    )
    dedicated = and_(pr.submission_id == rs.submission_id, pr.dedicated_inclusive.is_(True))
    on_sale_count = select(func.count(pr.id)).where(dedicated, on_sale).scalar_subquery()
    counted = (
        select(rs.submission_id, pq.quarter, on_sale_count.label("on_sale"))
        .join(t.submissions, sub.id == rs.submission_id)
        .join(t.period_quarters, pq.submission_id == rs.submission_id)
        .where(scope.where(), sub.kind == "submission")
        .subquery()
    )
    quarters = (
        select(
            counted.c.submission_id,
            counted.c.quarter,
            sq.position,
            sq.core_ratio_pct,
            sq.comprehensive_ratio_pct,
            sq.irr_class,
            counted.c.on_sale,
            status_case(passed, indeterminate=sq.id.is_(None)),
        )
        .outerjoin(
            t.solvency_quarters, and_(sq.submission_id == counted.c.submission_id, sq.quarter == counted.c.quarter)
        )
        .order_by(counted.c.submission_id, counted.c.quarter)
    )
    for row in conn.execute(quarters):
        if row.on_sale:  # filtered here: in SQL, SQLite would count the products a second time
            products = f"{row.on_sale} dedicated product(s) on sale"
            if row.status == "indeterminate":
                yield finding(
                    row.submission_id,
                    "/solvency",
                    "indeterminate",
                    expected,
                    f"{row.quarter} not reported in /solvency; {products}",
                    key=row.quarter,
                )
            else:
                yield _judged(row.submission_id, f"/solvency/{row.position}", row, p, expected, products)
    yield from _filings(conn, scope, p, passed, expected, since)


def _filings(conn: Connection, scope: Scope, p: Params, passed: Any, expected: str, since: date) -> Iterator[Finding]:
    """A dedicated filing: every quarter in which the filed product is on sale on or after the in-force date. A
    quarter the insurer context does not cover is indeterminate, unless it had not ended by the filing date: such
    quarters (the sale window running past both the context and the filing date) are not judged, and one
    not-applicable finding names them and says why."""
    rs, pr, sq, sub = t.run_submissions.c, t.products.c, t.solvency_quarters.c, t.submissions.c
    ctx = t.submissions.alias("context")
    filings = list(
        conn.execute(
            select(
                rs.submission_id,
                rs.context_submission_id,
                sub.period_end.label("filed_on"),
                pr.sale_start,
                pr.sale_end,
                ctx.c.period,
                ctx.c.period_start,
                ctx.c.period_end,
            )
            .join(t.submissions, sub.id == rs.submission_id)
            .join(t.products, and_(pr.submission_id == rs.submission_id, pr.dedicated_inclusive.is_(True)))
            .outerjoin(ctx, ctx.c.id == rs.context_submission_id)
            .where(scope.where(), sub.kind == "product_filing")
            .order_by(rs.submission_id)
        )
    )
    contexts = {f.context_submission_id for f in filings if f.context_submission_id is not None}
    figures = (
        {
            (row.submission_id, row.quarter): row
            for row in conn.execute(
                select(
                    sq.submission_id,
                    sq.quarter,
                    sq.core_ratio_pct,
                    sq.comprehensive_ratio_pct,
                    sq.irr_class,
                    status_case(passed),
                ).where(sq.submission_id.in_(contexts))
            )
        }
        if contexts
        else {}
    )
    for f in filings:
        first = max(f.sale_start, since)
        if f.sale_end is not None and f.sale_end < first:
            continue  # the sale ended before the obligation took effect: nothing to judge
        window = f"from {f.sale_start}" + (f" to {f.sale_end}" if f.sale_end else "")
        if f.context_submission_id is None:
            yield finding(
                f.submission_id,
                "/product",
                "indeterminate",
                expected,
                "no insurer context: pass --insurer FILE or store the insurer's submission",
            )
            continue
        if first > f.period_end:
            yield finding(
                f.submission_id,
                "/product",
                "indeterminate",
                expected,
                f"the insurer context ({f.period}) ends {f.period_end}, before the sale window ({window})",
            )
            continue
        last = f.period_end if f.sale_end is None else min(f.sale_end, f.period_end)
        yield from _covered(f, figures, p, expected, first, last, window)
        if f.sale_end is None or f.sale_end > f.period_end:
            yield from _past_context(f, expected, window)


def _covered(
    f: Any, figures: dict[Any, Any], p: Params, expected: str, first: date, last: date, window: str
) -> Iterator[Finding]:
    """The quarters of the sale window up to the end of the insurer context's period."""
    for quarter in quarters_between(first, last):
        row = figures.get((f.context_submission_id, quarter))
        if row is not None:
            yield _judged(f.submission_id, "/product", row, p, expected, "1 dedicated product(s) on sale")
        elif quarter_of(f.period_start) <= quarter:
            yield finding(
                f.submission_id,
                "/product",
                "indeterminate",
                expected,
                f"{quarter} not reported in the insurer context; 1 dedicated product(s) on sale",
                key=quarter,
            )
        else:
            yield finding(
                f.submission_id,
                "/product",
                "indeterminate",
                expected,
                f"{quarter} is outside the insurer context ({f.period}); the product is on sale {window}",
                key=quarter,
            )


def _past_context(f: Any, expected: str, window: str) -> Iterator[Finding]:
    """The quarters of the sale window after the insurer context's period: one that had ended by the filing date
    is indeterminate (its solvency could have been shown), like a quarter before the context; the rest (from the
    quarter that had not ended by the filing date) are named in one not-applicable finding, with the reason."""
    start = f.period_end + timedelta(days=1)
    # an open window: up to the quarter after the filing date, so that the first quarter not judged is named
    end = f.sale_end if f.sale_end is not None else max(start, f.filed_on + timedelta(days=1))
    quarters = quarters_between(start, end)
    ended = [q for q in quarters if period_bounds(q)[1] <= f.filed_on]
    for quarter in ended:
        yield finding(
            f.submission_id,
            "/product",
            "indeterminate",
            expected,
            f"{quarter} is outside the insurer context ({f.period}); the product is on sale {window}",
            key=quarter,
        )
    rest = quarters[len(ended) :]
    if not rest:
        return
    if f.sale_end is None:
        span, key = f"{rest[0]} onwards (the sale window is open)", f"{rest[0]}.."
    else:
        span = rest[0] if len(rest) == 1 else f"{rest[0]} to {rest[-1]}"
        key = rest[0] if len(rest) == 1 else f"{rest[0]}..{rest[-1]}"
    yield finding(
        f.submission_id,
        "/product",
        "not_applicable",
        "the solvency of every quarter the product is on sale",
        f"{span} not judged: after the insurer context ({f.period}), which ends {f.period_end}, and not ended by the "
        f"filing date ({f.filed_on}); judged when a later submission of the insurer is stored or given",
        key=key,
    )


def _judged(submission_id: int, subject: str, row: Any, p: Params, expected: str, products: str) -> Finding:
    """A quarter's verdict. Its texts name several figures (two ratios, their lines, the rating): they are facts
    written out here; the margin (in percentage points) is the number."""
    core, comp = exact(row.core_ratio_pct), exact(row.comprehensive_ratio_pct)
    assert core is not None and comp is not None
    figures = f"core {number(core)}%, comprehensive {number(comp)}%, IRR {row.irr_class}"
    margin: Decimal | None = min(
        EXACT.subtract(core, p.min_core_ratio_pct), EXACT.subtract(comp, p.min_comprehensive_ratio_pct)
    )
    if row.status == "pass":
        return finding(
            submission_id,
            subject,
            "pass",
            expected,
            f"{figures}; {products}",
            margin=margin,
            key=row.quarter,
            unit="pct",
        )
    parts = (
        (f"core ratio below {number(p.min_core_ratio_pct)}%", "core ratio", core >= p.min_core_ratio_pct),
        (
            f"comprehensive ratio below {number(p.min_comprehensive_ratio_pct)}%",
            "comprehensive ratio",
            comp >= p.min_comprehensive_ratio_pct,
        ),
        (
            f"IRR class {row.irr_class} not in {'/'.join(p.passing_irr_grades)}",
            f"IRR class {row.irr_class}",
            not p.irr_condition or row.irr_class in p.passing_irr_grades,
        ),
    )
    failed = [why for why, _, ok in parts if not ok]
    met = [name for _, name, ok in parts[: 3 if p.irr_condition else 2] if ok]
    actual = f"{figures}; failed: {', '.join(failed)}" + (f"; met: {', '.join(met)}" if met else "")
    if margin is not None and margin >= 0:
        margin = None  # failed on the rating alone: the ratios' headroom is no distance to a threshold
    return finding(
        submission_id, subject, "fail", expected, f"{actual}; {products}", margin=margin, key=row.quarter, unit="pct"
    )
