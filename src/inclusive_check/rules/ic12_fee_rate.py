"""Ensure a dedicated inclusive product sold through intermediaries pays them less than its comparable product.

Item 12 says the intermediary fee rate (handling fees and commissions over premium) of a dedicated
inclusive product should, in principle, be below that of other products of the same type. The sentence sets no
condition on the channel, so a fee rate stated for the product and for its comparable is judged whatever the
channel. The ruleset's ``intermediary_channels`` (an interpretation: postal 协办 is not among them) decides only
whether a fee rate must be stated: for a product sold through one of them a missing rate on either side is
indeterminate; for any other, the rule is not applicable, with the reason. The comparable's rate is the one its
own entry files when it is filed in the same document (IC12-COMPARABLE-AS-FILED flags a declared rate that
differs). The comparison is exact and strict: an equal fee rate fails. A breach can be waived only by an
approved dispensation.

Non-compliant::

    {dedicated_inclusive: true, channels: [agency], intermediary_fee_rate: 0.18,
     comparable: {product_code: X, intermediary_fee_rate: 0.15}}

Compliant::

    {dedicated_inclusive: true, channels: [agency], intermediary_fee_rate: 0.10,
     comparable: {product_code: X, intermediary_fee_rate: 0.15}}
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field
from sqlalchemy import Connection

from ..store import tables as t
from ._product_rates import below_comparable
from .base import Params as _Params
from .base import Scope, channel_used
from .findings import Findings

ID = "IC12-FEE-RATE"
CLAUSE = 12
KINDS = ("submission", "product_filing")
TITLE = {
    "en": "In principle, pay intermediaries less for a dedicated inclusive product than for its comparable product",
    "zh": "专属普惠产品付给中介的费用率原则上须低于其所列可比产品",
}
MESSAGES = {
    "pass": {
        "en": "{subject}: intermediary fee rate {actual}, below the comparable product's {threshold}.",
        "zh": "{subject}：中介费用率{actual}，低于可比产品的{threshold}。",
    },
    "fail": {
        "en": "{subject}: in principle the intermediary fee rate must be below the comparable product's; it is {actual}, not below the comparable product's {threshold}.",
        "zh": "{subject}：中介费用率原则上应低于可比产品，实际为{actual}，未低于可比产品的{threshold}。",
    },
    "indeterminate": {
        "en": "{subject}: the intermediary fee rates cannot be compared ({actual}); without this evidence compliance is not shown.",
        "zh": "{subject}：无法比较中介费用率（{actual}）；缺少该证据即不能证明合规。",
    },
    "waived": {
        "en": "{subject}: in principle the intermediary fee rate should be below the comparable product's ({actual}, not below its {threshold}); dispensation {dispensation} waives it.",
        "zh": "{subject}：中介费用率原则上应低于可比产品（实际{actual}，未低于可比产品的{threshold}），监管豁免{dispensation}已予豁免。",
    },
    "not_applicable": {"en": "Fee-rate comparison not applied: {actual}.", "zh": "未适用中介费用率比较：{actual}。"},
}

Channel = Literal["agency", "broker", "postal", "bank", "direct", "online"]


class Params(_Params):
    intermediary_channels: Annotated[list[Channel], Field(min_length=1)]


def evaluate(conn: Connection, scope: Scope, p: Params) -> Findings:
    pr = t.products.c
    return below_comparable(
        conn,
        scope,
        pr.intermediary_fee_rate,
        pr.comparable_fee_rate,
        "intermediary_fee_rate",
        must_state=channel_used(p.intermediary_channels),
        not_required="not sold through " + ", ".join(p.intermediary_channels),
    )
