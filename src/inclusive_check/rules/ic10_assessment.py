"""Ensure inclusive insurance is part of the insurer's performance assessment.

Item 10 requires insurers to include inclusive insurance and social responsibility in performance
assessment. A declared inclusion with an assessment weight of exactly 0 is inconsistent (the inclusion
carries no weight) and fails, pointing at the weight.

Non-compliant::

    governance: {assessment_includes_inclusive: true, inclusive_kpi_weight: 0, ...}

Compliant::

    governance: {assessment_includes_inclusive: true, inclusive_kpi_weight: 0.02, ...}
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Connection, and_

from ..store import tables as t
from .base import NoParams, Scope, status_case, submission_scope
from .findings import Finding, finding, one_by_one

ID = "IC10-ASSESSMENT"
CLAUSE = 10
KINDS = ("submission",)
TITLE = {
    "en": "Make inclusive insurance count in the performance assessment",
    "zh": "绩效考核须纳入普惠保险，且权重不为零",
}
MESSAGES = {
    "pass": {
        "en": "{subject}: inclusive insurance counts in performance assessment ({actual}).",
        "zh": "{subject}：绩效考核已纳入普惠保险（{actual}）。",
    },
    "fail": {
        "en": "{subject}: inclusive insurance does not count in performance assessment ({actual}).",
        "zh": "{subject}：普惠保险未在绩效考核中发挥作用（{actual}）。",
    },
    "not_applicable": {"en": "Not applied: {actual}.", "zh": "未适用：{actual}。"},
}
Params = NoParams
FLAG, WEIGHT = "/governance/assessment_includes_inclusive", "/governance/inclusive_kpi_weight"


@one_by_one
def evaluate(conn: Connection, scope: Scope, p: Params) -> Iterator[Finding]:
    s = t.submissions.c
    included = s.assessment_includes_inclusive.is_(True)
    zero_weight = and_(s.inclusive_kpi_weight.is_not(None), s.inclusive_kpi_weight == 0)
    query = submission_scope(scope).with_only_columns(
        s.id, status_case(and_(included, ~zero_weight)), included.label("included")
    )
    for row in conn.execute(query):
        if row.status == "pass":
            yield finding(row.id, FLAG, "pass", f"{FLAG} = true", "all true")
        elif row.included:
            yield finding(
                row.id, WEIGHT, "fail", f"{FLAG} = true with a weight above 0%", f"{FLAG} = true but {WEIGHT} = 0%"
            )
        else:
            yield finding(row.id, FLAG, "fail", f"{FLAG} = true", f"{FLAG} = false")
