"""Ensure inclusive insurance is part of the insurer's performance assessment.

Item 10 requires insurers to include inclusive insurance and social responsibility in performance assessment.

Non-compliant::

    governance: {assessment_includes_inclusive: false, ...}

Compliant::

    governance: {assessment_includes_inclusive: true, ...}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from sqlalchemy import Connection

from .base import NoParams, Scope, Verdict, flag_verdicts

ID = "IC10-ASSESSMENT"
CLAUSE = 10
STRENGTH: Final = "mandatory"
KINDS = ("submission",)
TITLE = {"en": "Ensure inclusive insurance is part of the insurer's performance assessment", "zh": "将普惠保险纳入经营绩效考核"}
MESSAGES = {
    "pass": {"en": "{subject}: in place ({actual}).", "zh": "{subject}：已落实（{actual}）。"},
    "fail": {"en": "{subject}: performance assessment does not include inclusive insurance ({actual}).", "zh": "{subject}：经营绩效考核未纳入普惠保险（{actual}）。"},
    "not_applicable": {"en": "Not applied: {actual}.", "zh": "未适用：{actual}。"},
}
Params = NoParams
FIELDS = {
    "assessment_includes_inclusive": "/governance/assessment_includes_inclusive",
}


def evaluate(conn: Connection, scope: Scope, p: Params) -> Iterator[Verdict]:
    return flag_verdicts(conn, scope, FIELDS)
