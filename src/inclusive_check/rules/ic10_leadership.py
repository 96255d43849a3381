"""Ensure the insurer has a leadership system for inclusive insurance.

Item 10 requires insurers to set up a leadership system for developing inclusive insurance.

Non-compliant::

    governance: {leadership_system: false, ...}

Compliant::

    governance: {leadership_system: true, ...}
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Connection

from .base import NoParams, Scope, flag_findings
from .findings import Finding, one_by_one

ID = "IC10-LEADERSHIP"
CLAUSE = 10
KINDS = ("submission",)
TITLE = {
    "en": "Report a leadership arrangement that steers inclusive insurance",
    "zh": "须报告统筹普惠保险工作的领导机制",
}
MESSAGES = {
    "pass": {
        "en": "{subject}: a leadership arrangement is reported ({actual}).",
        "zh": "{subject}：已报告领导机制（{actual}）。",
    },
    "fail": {
        "en": "{subject}: no leadership arrangement for inclusive insurance is reported ({actual}).",
        "zh": "{subject}：未报告普惠保险领导机制（{actual}）。",
    },
    "not_applicable": {"en": "Not applied: {actual}.", "zh": "未适用：{actual}。"},
}
Params = NoParams
FIELDS = {
    "leadership_system": "/governance/leadership_system",
}


@one_by_one
def evaluate(conn: Connection, scope: Scope, p: Params) -> Iterator[Finding]:
    return flag_findings(conn, scope, FIELDS)
