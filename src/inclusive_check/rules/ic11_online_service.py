"""Encourage online underwriting and online claims for inclusive products.

Item 11 encourages digital service and online underwriting and claims. It is scored, never a failure that blocks.

Non-compliant::

    service: {online_underwriting: true, online_claims: false, ...}

Compliant::

    service: {online_underwriting: true, online_claims: true, ...}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from sqlalchemy import Connection

from .base import NoParams, Scope, Verdict, flag_verdicts

ID = "IC11-ONLINE-SERVICE"
CLAUSE = 11
STRENGTH: Final = "encouraged"
KINDS = ("submission",)
TITLE = {"en": "Encourage online underwriting and online claims for inclusive products", "zh": "提高线上承保理赔能力"}
MESSAGES = {
    "pass": {"en": "{subject}: in place ({actual}).", "zh": "{subject}：已落实（{actual}）。"},
    "fail": {"en": "{subject}: online underwriting and online claims are not both offered ({actual}).", "zh": "{subject}：未同时提供线上承保和线上理赔（{actual}）。"},
    "not_applicable": {"en": "Not applied: {actual}.", "zh": "未适用：{actual}。"},
}
Params = NoParams
FIELDS = {
    "online_underwriting": "/service/online_underwriting",
    "online_claims": "/service/online_claims",
}


def evaluate(conn: Connection, scope: Scope, p: Params) -> Iterator[Verdict]:
    return flag_verdicts(conn, scope, FIELDS)
