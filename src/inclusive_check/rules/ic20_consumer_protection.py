"""Ensure complaint handling, diversified dispute resolution and first-inquiry responsibility are in place.

Item 20 requires a complaint-handling mechanism, diversified dispute resolution and first-inquiry responsibility.

Non-compliant::

    consumer_protection: {complaint_mechanism: true, diversified_dispute_resolution: false, ...}

Compliant::

    consumer_protection: {complaint_mechanism: true, diversified_dispute_resolution: true, first_inquiry_responsibility: true, ...}
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Connection

from .base import NoParams, Scope, flag_findings
from .findings import Finding, one_by_one

ID = "IC20-CONSUMER-PROTECTION"
CLAUSE = 20
KINDS = ("submission",)
TITLE = {
    "en": "Have a complaints process, several ways to settle disputes and a first-contact-answers rule",
    "zh": "须具备投诉处理流程、多种纠纷解决途径，以及首位受理人负责到底的做法",
}
MESSAGES = {
    "pass": {"en": "{subject}: in place ({actual}).", "zh": "{subject}：已具备（{actual}）。"},
    "fail": {
        "en": "{subject}: a consumer-protection arrangement is missing ({actual}).",
        "zh": "{subject}：缺少消费者保护安排（{actual}）。",
    },
    "not_applicable": {"en": "Not applied: {actual}.", "zh": "未适用：{actual}。"},
}
Params = NoParams
FIELDS = {
    "complaint_mechanism": "/consumer_protection/complaint_mechanism",
    "diversified_dispute_resolution": "/consumer_protection/diversified_dispute_resolution",
    "first_inquiry_responsibility": "/consumer_protection/first_inquiry_responsibility",
}


@one_by_one
def evaluate(conn: Connection, scope: Scope, p: Params) -> Iterator[Finding]:
    return flag_findings(conn, scope, FIELDS)
