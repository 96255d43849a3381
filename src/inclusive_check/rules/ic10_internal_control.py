"""Ensure the insurer has internal controls over its inclusive business.

Item 10 requires internal control over inclusive business, so that conduct is lawful and data are true.

Non-compliant::

    governance: {internal_control_policy: false, ...}

Compliant::

    governance: {internal_control_policy: true, ...}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from sqlalchemy import Connection

from .base import NoParams, Scope, Verdict, flag_verdicts

ID = "IC10-INTERNAL-CONTROL"
CLAUSE = 10
STRENGTH: Final = "mandatory"
KINDS = ("submission",)
TITLE = {"en": "Ensure the insurer has internal controls over its inclusive business", "zh": "加强普惠保险内控管理"}
MESSAGES = {
    "pass": {"en": "{subject}: in place ({actual}).", "zh": "{subject}：已落实（{actual}）。"},
    "fail": {"en": "{subject}: no internal-control policy for inclusive business is reported ({actual}).", "zh": "{subject}：未报告普惠保险内控制度（{actual}）。"},
    "not_applicable": {"en": "Not applied: {actual}.", "zh": "未适用：{actual}。"},
}
Params = NoParams
FIELDS = {
    "internal_control_policy": "/governance/internal_control_policy",
}


def evaluate(conn: Connection, scope: Scope, p: Params) -> Iterator[Verdict]:
    return flag_verdicts(conn, scope, FIELDS)
