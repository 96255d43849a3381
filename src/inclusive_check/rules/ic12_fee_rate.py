"""Ensure a dedicated inclusive product sold through intermediaries pays them less than its comparable product.

Item 12 says the intermediary fee rate (handling fees and commissions over premium) of a dedicated
inclusive product should, in principle, be below that of other products of the same type. The rule
applies when the product is sold through an intermediary channel (the channel list is a ruleset
parameter). The comparison is exact and strict: an equal fee rate fails; a missing fee rate on
either side is indeterminate. A breach can be waived only by an approved dispensation.

Non-compliant::

    {dedicated_inclusive: true, channels: [agency], intermediary_fee_rate: 0.18,
     comparable: {product_code: X, intermediary_fee_rate: 0.15}}

Compliant::

    {dedicated_inclusive: true, channels: [agency], intermediary_fee_rate: 0.10,
     comparable: {product_code: X, intermediary_fee_rate: 0.15}}
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from pydantic import Field
from sqlalchemy import Connection, Select

from ..store import tables as t
from ._product_rates import below_comparable
from .base import Params as _Params
from .base import Scope, channel_used

ID = "IC12-FEE-RATE"
CLAUSE = 12
STRENGTH: Final = "principle"
KINDS = ("submission", "product_filing")
TITLE = {
    "en": "Ensure each dedicated inclusive product sold through intermediaries has a lower intermediary fee rate "
          "than its comparable product",
    "zh": "专属普惠保险产品的中介费用率应低于同类型其他保险产品",
}
MESSAGES = {
    "pass": {"en": "{subject}: intermediary fee rate {actual} is below the comparable product's ({expected}).",
             "zh": "{subject}：中介费用率{actual}低于同类产品（{expected}）。"},
    "fail": {"en": "{subject}: intermediary fee rate {actual} is not below the comparable product's; "
                   "required {expected}.",
             "zh": "{subject}：中介费用率{actual}未低于同类产品，要求{expected}。"},
    "indeterminate": {"en": "{subject}: cannot compare intermediary fee rates: {actual}.",
                      "zh": "{subject}：无法比较中介费用率：{actual}。"},
    "waived": {"en": "{subject}: intermediary fee rate {actual} is not below the comparable ({expected}); waived "
                     "by dispensation {dispensation}.",
               "zh": "{subject}：中介费用率{actual}未低于同类产品（{expected}），已由豁免{dispensation}覆盖。"},
    "not_applicable": {"en": "Fee-rate rule not applied: {actual}.", "zh": "未适用中介费用率规则：{actual}。"},
}

Channel = Literal["agency", "broker", "postal", "bank", "direct", "online"]


class Params(_Params):
    intermediary_channels: Annotated[list[Channel], Field(min_length=1)]


def evaluate(conn: Connection, scope: Scope, p: Params) -> Select[Any]:
    pr = t.Product
    return below_comparable(conn, scope, pr.intermediary_fee_rate, pr.comparable_fee_rate,
                            "intermediary_fee_rate", channel_used(p.intermediary_channels))
