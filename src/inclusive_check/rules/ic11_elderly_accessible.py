"""Ensure the insurer offers elderly-friendly and accessible service.

Item 11 asks insurers to provide (提供) elderly-friendly and barrier-free service for people who need it. The
sentence names a service that exists or not, among the item's insurer duties, so it is read as mandatory; the
strength is stated, with this reading, in the ruleset (``strength:``).

Like the rest of item 11 (the service of inclusive insurance), it is owed to the customers of inclusive
products: an insurer that sells none is not judged.

Non-compliant::

    service: {elderly_friendly: true, accessibility: false, ...}

Compliant::

    service: {elderly_friendly: true, accessibility: true, ...}
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Connection

from ._service import service_flags
from .base import NoParams, Scope
from .findings import Finding, one_by_one

ID = "IC11-ELDERLY-ACCESSIBLE"
CLAUSE = 11
KINDS = ("submission",)
TITLE = {
    "en": "Serve older and disabled customers with elderly-friendly, barrier-free service",
    "zh": "须为老年人和残障人士提供适配、无障碍的服务",
}
MESSAGES = {
    "pass": {"en": "{subject}: in place ({actual}).", "zh": "{subject}：已具备（{actual}）。"},
    "fail": {
        "en": "{subject}: service is not both elderly-friendly and barrier-free ({actual}).",
        "zh": "{subject}：服务未同时做到适老和无障碍（{actual}）。",
    },
    "not_applicable": {"en": "Not applied: {actual}.", "zh": "未适用：{actual}。"},
}
Params = NoParams
FIELDS = {
    "elderly_friendly": "/service/elderly_friendly",
    "accessibility": "/service/accessibility",
}


@one_by_one
def evaluate(conn: Connection, scope: Scope, p: Params) -> Iterator[Finding]:
    return service_flags(conn, scope, FIELDS)
