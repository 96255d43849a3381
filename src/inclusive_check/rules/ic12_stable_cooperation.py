"""Ensure intermediary agreements covering inclusive business are stable: at least 12 months long.

Item 12 asks insurers that sell inclusive insurance through insurance intermediaries to keep relatively
stable (相对稳定) cooperation. Read as: each agreement with an intermediary (agency, broker, bank: the
ruleset's ``agreement_types``; postal assistance is a separate arrangement) covering inclusive business
runs for at least the ruleset's minimum (12 months). Both are interpretations. An open-ended agreement passes.

Non-compliant::

    intermediaries: [{agreement_start: 2025-01-01, agreement_end: 2025-06-30, covers_inclusive: true, ...}]

Compliant::

    intermediaries: [{agreement_start: 2025-01-01, agreement_end: 2025-12-31, covers_inclusive: true, ...}]
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from pydantic import Field
from sqlalchemy import Connection, or_

from ..store import tables as t
from ._agreements import AgreementType, agreements
from .base import Params as _Params
from .base import Scope
from .findings import Finding, finding, one_by_one

ID = "IC12-STABLE-COOPERATION"
CLAUSE = 12
KINDS = ("submission",)
TITLE = {
    "en": "Keep cooperation with intermediaries for inclusive business stable: agreements of at least a minimum term",
    "zh": "与中介机构的普惠业务合作须保持稳定：协议期限不短于最低期限",
}
MESSAGES = {
    "pass": {"en": "{subject}: the agreement runs {actual}.", "zh": "{subject}：协议期限{actual}。"},
    "fail": {
        "en": "{subject}: the agreement runs only {actual}; the minimum term is {expected}.",
        "zh": "{subject}：协议期限仅{actual}；最低期限为{expected}。",
    },
    "not_applicable": {"en": "Not applied: {actual}.", "zh": "未适用：{actual}。"},
}


class Params(_Params):
    agreement_types: Annotated[list[AgreementType], Field(min_length=1)]
    min_agreement_months: Annotated[int, Field(ge=1, le=120)]


@one_by_one
def evaluate(conn: Connection, scope: Scope, p: Params) -> Iterator[Finding]:
    m = t.intermediaries.c
    passed = or_(m.agreement_months.is_(None), m.agreement_months >= p.min_agreement_months)
    for row in agreements(conn, scope, p.agreement_types, passed, m.agreement_months):
        months = row.agreement_months
        actual = "open-ended" if months is None else "{value} month(s)"
        margin = None if months is None else months - p.min_agreement_months
        # A short agreement points at the end date that makes it short (an open one has none to point at).
        subject = f"/intermediaries/{row.position}" + ("/agreement_end" if row.status == "fail" else "")
        yield finding(
            row.submission_id,
            subject,
            row.status,
            ">= {threshold} months",
            actual,
            margin=margin,
            value=months,
            threshold=p.min_agreement_months,
            unit="months",
        )
