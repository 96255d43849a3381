"""Ensure complaint handling, diversified dispute resolution and first-inquiry responsibility are in place.

Item 20 requires a complaint-handling mechanism, diversified dispute resolution and first-inquiry responsibility.

Non-compliant::

    consumer_protection: {complaint_mechanism: true, diversified_dispute_resolution: false, ...}

Compliant::

    consumer_protection: {complaint_mechanism: true, diversified_dispute_resolution: true, first_inquiry_responsibility: true, ...}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from sqlalchemy import Connection

from .base import NoParams, Scope, Verdict, flag_verdicts

ID = "IC20-CONSUMER-PROTECTION"
CLAUSE = 20
STRENGTH: Final = "mandatory"
KINDS = ("submission",)
TITLE = {"en": "Ensure complaint handling, diversified dispute resolution and first-inquiry responsibility are in place", "zh": "完善消费投诉处理机制和纠纷多元化解机制，落实首问负责制"}
MESSAGES = {
    "pass": {"en": "{subject}: in place ({actual}).", "zh": "{subject}：已落实（{actual}）。"},
    "fail": {"en": "{subject}: consumer-protection mechanisms are incomplete ({actual}).", "zh": "{subject}：消费者权益保护机制不完整（{actual}）。"},
    "not_applicable": {"en": "Not applied: {actual}.", "zh": "未适用：{actual}。"},
}
Params = NoParams
FIELDS = {
    "complaint_mechanism": "/consumer_protection/complaint_mechanism",
    "diversified_dispute_resolution": "/consumer_protection/diversified_dispute_resolution",
    "first_inquiry_responsibility": "/consumer_protection/first_inquiry_responsibility",
}


def evaluate(conn: Connection, scope: Scope, p: Params) -> Iterator[Verdict]:
    return flag_verdicts(conn, scope, FIELDS)
