"""Ensure each dedicated inclusive product names the risk groups or risk areas it serves.

Item 8 frames dedicated inclusive insurance as cover for specific risk groups or risk areas where
social insurance falls short. A dedicated product that names no target group is not recognisably
such a product.

Non-compliant::

    {dedicated_inclusive: true, target_groups: []}

Compliant::

    {dedicated_inclusive: true, target_groups: [elderly, preexisting_conditions]}
"""

from __future__ import annotations

from sqlalchemy import Connection, case, func, or_, select

from ..store import tables as t
from .base import NoParams, Scope, judged_on_sale
from .findings import Findings, from_select

ID = "IC08-TARGET-GROUPS"
CLAUSE = 8
KINDS = ("submission", "product_filing")
TITLE = {
    "en": "Name the risk groups or risk areas each dedicated inclusive product is meant for",
    "zh": "每款专属普惠产品须写明其服务的风险群体或风险领域",
}
MESSAGES = {
    "pass": {"en": "{subject}: meant for {actual}.", "zh": "{subject}：服务对象为{actual}。"},
    "fail": {
        "en": "{subject}: this dedicated inclusive product names neither a target group nor a risk area.",
        "zh": "{subject}：该专属普惠产品既未写明目标群体，也未写明风险领域。",
    },
    "not_applicable": {"en": "Target-group check not applied: {actual}.", "zh": "未适用服务对象检查：{actual}。"},
}
Params = NoParams


def evaluate(conn: Connection, scope: Scope, p: Params) -> Findings:
    """One SELECT whose rows are the findings; the engine stores them with INSERT ... SELECT."""
    rs, pr, s = t.run_submissions.c, t.products.c, t.submissions.c
    trim = func.trim if conn.dialect.name == "sqlite" else func.btrim
    groups = func.replace(trim(pr.target_groups, ","), ",", ", ")
    areas = func.replace(trim(pr.risk_areas, ","), ",", ", ")
    named = or_(pr.target_group_count > 0, pr.risk_areas != "")
    judged, na_expected, na_actual = judged_on_sale(scope)
    status = case((~judged, "not_applicable"), (named, "pass"), else_="fail")
    actual = case(
        (~judged, na_actual),
        (~named, "none"),
        (pr.risk_areas == "", "groups: " + groups),
        (pr.target_group_count == 0, "areas: " + areas),
        else_="groups: " + groups + "; areas: " + areas,
    )
    expected = case((~judged, na_expected), else_="at least 1 target group or risk area")
    query = (
        select(rs.submission_id)
        .join(t.products, pr.submission_id == rs.submission_id)
        .join(t.submissions, s.id == rs.submission_id)
        .where(scope.where(), pr.dedicated_inclusive.is_(True))
    )
    return from_select(
        query,
        submission_id=rs.submission_id,
        subject=pr.pointer + "/target_groups",
        status=status,
        expected=expected,
        actual=actual,
        product_id=pr.id,
        ordinal=pr.position,
    )
