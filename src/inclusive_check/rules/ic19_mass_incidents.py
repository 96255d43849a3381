"""Flag an insurer with serious mass incidents for supervisory attention.

Item 19 lets supervisors take necessary measures against insurers and intermediaries where a
serious mass incident (重大群体性事件) occurred. The checker cannot decide the measure; it raises a
warning for the supervisor when the reported count exceeds the ruleset's tolerance (default 0).

Flagged::

    consumer_protection: {mass_incidents: 1, ...}

Not flagged::

    consumer_protection: {mass_incidents: 0, ...}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from pydantic import Field
from sqlalchemy import Connection

from ..store import tables as t
from .base import Params as _Params
from .base import Scope, status_case, submission_scope
from .findings import Finding, finding, one_by_one

ID = "IC19-MASS-INCIDENTS"
CLAUSE = 19
KINDS = ("submission",)
TITLE = {
    "en": "Flag for the supervisor any serious mass incident an insurer reports",
    "zh": "提示监管部门关注保险公司报告的重大群体性事件",
}
MESSAGES = {
    "pass": {
        "en": "{subject}: {actual} reported.",
        "zh": "{subject}：报告重大群体性事件{actual}。",
    },
    "fail": {
        "en": "{subject}: {actual} reported; the supervisor may consider measures.",
        "zh": "{subject}：报告重大群体性事件{actual}；监管部门可视情况考虑采取措施。",
    },
    "not_applicable": {"en": "Not applied: {actual}.", "zh": "未适用：{actual}。"},
}


class Params(_Params):
    max_mass_incidents: Annotated[int, Field(ge=0)]


@one_by_one
def evaluate(conn: Connection, scope: Scope, p: Params) -> Iterator[Finding]:
    s = t.submissions.c
    query = submission_scope(scope).with_only_columns(
        s.id, s.mass_incidents, status_case(s.mass_incidents <= p.max_mass_incidents)
    )
    for row in conn.execute(query):
        yield finding(
            row.id,
            "/consumer_protection/mass_incidents",
            row.status,
            "<= {threshold} serious mass incident(s)",
            "{value} serious mass incident(s)",
            value=row.mass_incidents,
            threshold=p.max_mass_incidents,
            unit="count",
            margin=p.max_mass_incidents - row.mass_incidents,
        )
