"""Ensure the insurer bears responsibility for consumer disputes in agency-handled inclusive business.

Item 20 says that where inclusive insurance is done through agency or assisted arrangements, the
insurer itself is responsible for handling consumer disputes. Every agreement of an agency or assistance
type (agency, bank as agent, postal: the ruleset's ``agreement_types``, an interpretation; brokers act for
the client) that covers inclusive business must say so.

Non-compliant::

    intermediaries: [{covers_inclusive: true, insurer_handles_disputes: false, ...}]

Compliant::

    intermediaries: [{covers_inclusive: true, insurer_handles_disputes: true, ...}]
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from pydantic import Field
from sqlalchemy import Connection

from ..store import tables as t
from ._agreements import AgreementType, agreements
from .base import Params as _Params
from .base import Scope
from .findings import Finding, finding, one_by_one

ID = "IC20-AGENCY-DISPUTES"
CLAUSE = 20
KINDS = ("submission",)
TITLE = {
    "en": "Keep the insurer answerable for consumer disputes when agents or assisting institutions sell its inclusive products",
    "zh": "代理或协办机构销售普惠产品时，消费纠纷仍须由保险公司负责处理",
}
MESSAGES = {
    "pass": {
        "en": "{subject}: the insurer answers for disputes arising through {actual}.",
        "zh": "{subject}：经{actual}产生的消费纠纷由保险公司负责。",
    },
    "fail": {
        "en": "{subject}: the agreement with {actual} leaves consumer disputes to the intermediary.",
        "zh": "{subject}：与{actual}的协议把消费纠纷留给了中介机构。",
    },
    "not_applicable": {"en": "Not applied: {actual}.", "zh": "未适用：{actual}。"},
}


class Params(_Params):
    agreement_types: Annotated[list[AgreementType], Field(min_length=1)]


@one_by_one
def evaluate(conn: Connection, scope: Scope, p: Params) -> Iterator[Finding]:
    m = t.intermediaries.c
    for row in agreements(conn, scope, p.agreement_types, m.insurer_handles_disputes.is_(True)):
        yield finding(
            row.submission_id,
            f"/intermediaries/{row.position}/insurer_handles_disputes",
            row.status,
            "insurer_handles_disputes = true",
            row.name,
        )
