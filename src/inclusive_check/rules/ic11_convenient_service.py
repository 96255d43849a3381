"""Ensure the insurer offers convenient underwriting, claims and inquiry services for inclusive products.

Item 11 makes it a duty (要) to provide convenient underwriting, claims and inquiry services. A submission
shows an inquiry channel directly (``service.inquiry_channel``). Convenience of underwriting and claims has
no flag of its own: the ruleset's ``required_services`` lists the service flags that must be true (by
default the inquiry channel only; an interpretation a supervisor may widen to online underwriting or
claims). Settlement speed is scored under item 18. The duty is owed to the customers of inclusive products:
an insurer that sells none (no product dedicated, naming a target group or a risk area) is not judged.

Non-compliant::

    service: {inquiry_channel: false, ...}

Compliant::

    service: {inquiry_channel: true, ...}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import Field
from sqlalchemy import Connection

from ._service import service_flags
from .base import Params as _Params
from .base import Scope
from .findings import Finding, one_by_one

ID = "IC11-CONVENIENT-SERVICE"
CLAUSE = 11
KINDS = ("submission",)
TITLE = {
    "en": "Ensure customers of inclusive products can reach the insurer to buy cover, claim and ask questions",
    "zh": "确保普惠保险客户能够便捷地投保、理赔和咨询",
}
MESSAGES = {
    "pass": {
        "en": "{subject}: the required service channels are in place ({actual}).",
        "zh": "{subject}：所要求的服务渠道均已具备（{actual}）。",
    },
    "fail": {
        "en": "{subject}: a required service channel is missing: {actual}.",
        "zh": "{subject}：缺少所要求的服务渠道：{actual}。",
    },
    "not_applicable": {"en": "Convenient-service rule not applied: {actual}.", "zh": "未适用便捷服务规则：{actual}。"},
}
Service = Literal["inquiry_channel", "online_underwriting", "online_claims"]


class Params(_Params):
    required_services: Annotated[list[Service], Field(min_length=1)]


@one_by_one
def evaluate(conn: Connection, scope: Scope, p: Params) -> Iterator[Finding]:
    fields: dict[str, str] = {name: f"/service/{name}" for name in p.required_services}
    return service_flags(conn, scope, fields)
