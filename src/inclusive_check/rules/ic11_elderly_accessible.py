"""Ensure the insurer offers elderly-friendly and accessible service.

Item 11 requires elderly-friendly and barrier-free service for people who need it.

Non-compliant::

    service: {elderly_friendly: true, accessibility: false, ...}

Compliant::

    service: {elderly_friendly: true, accessibility: true, ...}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from sqlalchemy import Connection

from .base import NoParams, Scope, Verdict, flag_verdicts

ID = "IC11-ELDERLY-ACCESSIBLE"
CLAUSE = 11
STRENGTH: Final = "mandatory"
KINDS = ("submission",)
TITLE = {"en": "Ensure the insurer offers elderly-friendly and accessible service", "zh": "提供适老化和无障碍服务"}
MESSAGES = {
    "pass": {"en": "{subject}: in place ({actual}).", "zh": "{subject}：已落实（{actual}）。"},
    "fail": {"en": "{subject}: service is not both elderly-friendly and accessible ({actual}).", "zh": "{subject}：未同时提供适老化和无障碍服务（{actual}）。"},
    "not_applicable": {"en": "Not applied: {actual}.", "zh": "未适用：{actual}。"},
}
Params = NoParams
FIELDS = {
    "elderly_friendly": "/service/elderly_friendly",
    "accessibility": "/service/accessibility",
}


def evaluate(conn: Connection, scope: Scope, p: Params) -> Iterator[Verdict]:
    return flag_verdicts(conn, scope, FIELDS)
