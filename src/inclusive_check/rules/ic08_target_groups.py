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

from typing import Any, Final

from sqlalchemy import Connection, Numeric, Select, case, cast, func, literal, null, or_, select

from ..store import tables as t
from .base import NoParams, Scope, judged_on_sale

ID = "IC08-TARGET-GROUPS"
CLAUSE = 8
STRENGTH: Final = "mandatory"
KINDS = ("submission", "product_filing")
TITLE = {
    "en": "Ensure each dedicated inclusive product names the risk groups it serves",
    "zh": "专属普惠保险产品应面向特定风险群体或特定风险领域",
}
MESSAGES = {
    "pass": {"en": "{subject}: serves {actual}.", "zh": "{subject}：面向{actual}。"},
    "fail": {"en": "{subject}: a dedicated inclusive product names no target group.",
             "zh": "{subject}：专属普惠产品未列明目标群体。"},
    "not_applicable": {"en": "Target-group rule not applied: {actual}.", "zh": "未适用目标群体规则：{actual}。"},
}
Params = NoParams


def evaluate(conn: Connection, scope: Scope, p: Params) -> Select[Any]:
    """One SELECT whose rows are the findings; the engine stores them with INSERT ... SELECT."""
    rs, pr, s = t.RunSubmission, t.Product, t.Submission
    trim = func.trim if conn.dialect.name == "sqlite" else func.btrim
    groups = func.replace(trim(pr.target_groups, ","), ",", ", ")
    areas = func.replace(trim(pr.risk_areas, ","), ",", ", ")
    named = or_(pr.target_group_count > 0, pr.risk_areas != "")
    judged, na_expected, na_actual = judged_on_sale(scope)
    status = case((~judged, "not_applicable"), (named, "pass"), else_="fail").label("status")
    actual = case((~judged, na_actual), (~named, "none"),
                  (pr.risk_areas == "", "groups: " + groups),
                  (pr.target_group_count == 0, "areas: " + areas),
                  else_="groups: " + groups + "; areas: " + areas)
    expected = case((~judged, na_expected), else_="at least 1 target group or risk area")
    return (
        select(rs.submission_id.label("submission_id"), (pr.pointer + "/target_groups").label("subject"),
               status, expected.label("expected"), func.substr(actual, 1, 500).label("actual"),
               cast(null(), Numeric).label("margin"), literal("").label("key"), pr.id.label("ordinal"))
        .join(pr, pr.submission_id == rs.submission_id)
        .join(s, s.id == rs.submission_id)
        .where(scope.where(), pr.dedicated_inclusive.is_(True))
    )
