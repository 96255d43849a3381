"""Encourage online underwriting and online claims for inclusive products.

Item 11 asks insurers to raise (提高) their capability for online underwriting and claims. The sentence names a
direction of improvement with no end state, so it is read as encouraged: scored, and a miss is "not covered",
never a failure. The strength is stated, with this reading, in the ruleset (``strength:``), where a supervisor
can see and change it.

The duty, like the rest of item 11, concerns the service of inclusive insurance: an insurer that sells
no inclusive product is not judged.

Non-compliant::

    service: {online_underwriting: true, online_claims: false, ...}

Compliant::

    service: {online_underwriting: true, online_claims: true, ...}
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Connection

from ._service import service_flags
from .base import NoParams, Scope
from .findings import Finding, one_by_one

ID = "IC11-ONLINE-SERVICE"
CLAUSE = 11
KINDS = ("submission",)
TITLE = {
    "en": "Encouraged: let customers of inclusive products buy cover and claim online",
    "zh": "鼓励：支持普惠产品客户线上投保、线上理赔",
}
MESSAGES = {
    "pass": {
        "en": "{subject}: covered — online underwriting and claims are offered ({actual}).",
        "zh": "{subject}：已覆盖——提供线上投保和线上理赔（{actual}）。",
    },
    "fail": {
        "en": "{subject}: not covered yet — online underwriting and online claims are not both offered ({actual}); scored, not a breach.",
        "zh": "{subject}：尚未覆盖——未同时提供线上投保和线上理赔（{actual}）；计入评分，不属违规。",
    },
    "not_applicable": {"en": "Not applied: {actual}.", "zh": "未适用：{actual}。"},
}
Params = NoParams
FIELDS = {
    "online_underwriting": "/service/online_underwriting",
    "online_claims": "/service/online_claims",
}


@one_by_one
def evaluate(conn: Connection, scope: Scope, p: Params) -> Iterator[Finding]:
    return service_flags(conn, scope, FIELDS)
