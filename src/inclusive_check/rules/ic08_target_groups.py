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

from sqlalchemy import Connection, Numeric, Select, case, cast, func, literal, null, select

from ..store import tables as t
from .base import NoParams, Scope, status_case

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
    rs, pr = t.RunSubmission, t.Product
    trim = func.trim if conn.dialect.name == "sqlite" else func.btrim
    groups = func.replace(trim(pr.target_groups, ","), ",", ", ")
    return (
        select(rs.submission_id.label("submission_id"), (pr.pointer + "/target_groups").label("subject"),
               status_case(pr.target_group_count > 0), literal("at least 1 target group").label("expected"),
               case((pr.target_group_count == 0, "none"), else_=groups).label("actual"), cast(null(), Numeric).label("margin"),
               literal("").label("key"), pr.id.label("ordinal"))
        .join(pr, pr.submission_id == rs.submission_id)
        .where(scope.where(), pr.dedicated_inclusive.is_(True))
    )
