"""Ensure the insurer has internal controls over its inclusive business.

Item 10 requires internal control over inclusive business, so that conduct is lawful and data are true.

Non-compliant::

    governance: {internal_control_policy: false, ...}

Compliant::

    governance: {internal_control_policy: true, ...}
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Connection

from .base import NoParams, Scope, flag_findings
from .findings import Finding, one_by_one

ID = "IC10-INTERNAL-CONTROL"
CLAUSE = 10
KINDS = ("submission",)
TITLE = {
    "en": "Report internal controls that cover inclusive business",
    "zh": "须报告覆盖普惠业务的内部控制制度",
}
MESSAGES = {
    "pass": {
        "en": "{subject}: internal controls cover inclusive business ({actual}).",
        "zh": "{subject}：内部控制已覆盖普惠业务（{actual}）。",
    },
    "fail": {
        "en": "{subject}: no internal controls over inclusive business are reported ({actual}).",
        "zh": "{subject}：未报告覆盖普惠业务的内部控制（{actual}）。",
    },
    "not_applicable": {"en": "Not applied: {actual}.", "zh": "未适用：{actual}。"},
}
Params = NoParams
FIELDS = {
    "internal_control_policy": "/governance/internal_control_policy",
}


@one_by_one
def evaluate(conn: Connection, scope: Scope, p: Params) -> Iterator[Finding]:
    return flag_findings(conn, scope, FIELDS)
