"""Ensure a lead department for inclusive insurance is named.

Item 10 requires insurers to designate the department that leads inclusive-insurance business.

Non-compliant::

    governance: {lead_department: null, ...}

Compliant::

    governance: {lead_department: 普惠金融事业部, ...}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, func

from ..store import tables as t
from .base import NoParams, Scope, status_case, submission_scope
from .findings import Finding, finding, one_by_one

ID = "IC10-LEAD-DEPARTMENT"
CLAUSE = 10
KINDS = ("submission",)
TITLE = {
    "en": "Name the department that leads inclusive-insurance work",
    "zh": "须写明牵头负责普惠保险工作的部门",
}
MESSAGES = {
    "pass": {"en": "{subject}: the lead department is {actual}.", "zh": "{subject}：牵头部门为{actual}。"},
    "fail": {
        "en": "{subject}: no department is named as leading inclusive-insurance work.",
        "zh": "{subject}：未写明牵头部门。",
    },
    "not_applicable": {"en": "Not applied: {actual}.", "zh": "未适用：{actual}。"},
}
Params = NoParams
BLANKS = (" ", "\t", "\n", "\r", "\u3000", "\u00a0")


@one_by_one
def evaluate(conn: Connection, scope: Scope, p: Params) -> Iterator[Finding]:
    s = t.submissions.c
    # Blank is not a name: SQL trim() removes only ASCII spaces, so strip every kind of blank a filer may
    # type (tab, line breaks, the ideographic space U+3000, no-break space) before measuring.
    text: Any = func.coalesce(s.lead_department, "")
    for blank in BLANKS:
        text = func.replace(text, blank, "")
    query = submission_scope(scope).with_only_columns(s.id, s.lead_department, status_case(func.length(text) > 0))
    for row in conn.execute(query):
        actual = row.lead_department if row.status == "pass" else "none" if row.lead_department is None else "blank"
        yield finding(row.id, "/governance/lead_department", row.status, "a named department", actual)
