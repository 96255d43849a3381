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
from typing import Annotated, Final, Literal

from pydantic import Field
from sqlalchemy import Connection

from ..store import tables as t
from ._agreements import agreements
from .base import Params as _Params
from .base import Scope, Verdict

ID = "IC20-AGENCY-DISPUTES"
CLAUSE = 20
STRENGTH: Final = "mandatory"
KINDS = ("submission",)
TITLE = {
    "en": "Ensure the insurer handles consumer disputes arising from agency-handled inclusive business",
    "zh": "通过代理、协办方式开展普惠保险业务的，保险公司依法承担处理消费纠纷的责任",
}
MESSAGES = {
    "pass": {"en": "{subject}: the insurer handles disputes for {actual}.",
             "zh": "{subject}：{actual}的消费纠纷由保险公司处理。"},
    "fail": {"en": "{subject}: the agreement with {actual} leaves dispute handling to the intermediary.",
             "zh": "{subject}：与{actual}的协议未由保险公司承担纠纷处理责任。"},
    "not_applicable": {"en": "Not applied: {actual}.", "zh": "未适用：{actual}。"},
}
AgreementType = Literal["agency", "broker", "postal", "bank", "other"]


class Params(_Params):
    agreement_types: Annotated[list[AgreementType], Field(min_length=1)]


def evaluate(conn: Connection, scope: Scope, p: Params) -> Iterator[Verdict]:
    m = t.Intermediary
    for row in agreements(conn, scope, p.agreement_types, m.insurer_handles_disputes.is_(True)):
        yield Verdict(row.submission_id, f"/intermediaries/{row.position}/insurer_handles_disputes", row.status,
                      "insurer_handles_disputes = true", row.name)
