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

from collections.abc import Iterator
from typing import Final

from sqlalchemy import Connection, select

from ..store import tables as t
from .base import NoParams, Scope, Verdict, status_case

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


def evaluate(conn: Connection, scope: Scope, p: Params) -> Iterator[Verdict]:
    rs, pr = t.RunSubmission, t.Product
    query = (
        select(rs.submission_id, pr.pointer, pr.target_groups, status_case(pr.target_group_count > 0))
        .join(pr, pr.submission_id == rs.submission_id)
        .where(scope.where(), pr.dedicated_inclusive.is_(True))
        .order_by(rs.submission_id, pr.id)
    )
    for row in conn.execute(query):
        groups = row.target_groups.strip(",").replace(",", ", ")
        yield Verdict(row.submission_id, f"{row.pointer}/target_groups", row.status,
                      "at least 1 target group", groups or "none")
