"""Ensure a dedicated inclusive product's premium rate is below that of its comparable product.

Item 8 says dedicated inclusive insurance should, in principle (原则上), be priced below other
products under the same conditions. The filer names the comparable product it benchmarks against
(same line, term bucket and channel; an interpretation, docs/regulatory-basis.md) with that product's rate. The
comparison is exact and strict: an equal rate fails. A missing comparator is indeterminate. The comparable's
rate is the one its own entry files when it is filed in the same document (IC08-COMPARABLE-AS-FILED flags a
declared rate that differs). Item 8 prices dedicated products only: a regular product is not applicable, with
the reason. A breach can be waived only by a dispensation a supervisor approved.

Non-compliant::

    {dedicated_inclusive: true, premium_rate: 0.0150, comparable: {product_code: X, premium_rate: 0.0150}}

Compliant::

    {dedicated_inclusive: true, premium_rate: 0.0149, comparable: {product_code: X, premium_rate: 0.0150}}
"""

from __future__ import annotations

from sqlalchemy import Connection

from ..store import tables as t
from ._product_rates import below_comparable
from .base import NoParams, Scope
from .findings import Findings

ID = "IC08-PREMIUM-RATE"
CLAUSE = 8
KINDS = ("submission", "product_filing")
TITLE = {
    "en": "In principle, price each dedicated inclusive product below the comparable product it names",
    "zh": "专属普惠产品的费率原则上须低于其所列可比产品",
}
MESSAGES = {
    "pass": {
        "en": "{subject}: premium rate {actual}, below the comparable product's {threshold}.",
        "zh": "{subject}：费率{actual}，低于可比产品的{threshold}。",
    },
    "fail": {
        "en": "{subject}: in principle the premium rate must be below the comparable product's; it is {actual}, not below the comparable product's {threshold}.",
        "zh": "{subject}：费率原则上应低于可比产品，实际为{actual}，未低于可比产品的{threshold}。",
    },
    "indeterminate": {
        "en": "{subject}: the premium rates cannot be compared ({actual}); without this evidence compliance is not shown.",
        "zh": "{subject}：无法比较费率（{actual}）；缺少该证据即不能证明合规。",
    },
    "waived": {
        "en": "{subject}: in principle the premium rate should be below the comparable product's ({actual}, not below its {threshold}); dispensation {dispensation} waives it.",
        "zh": "{subject}：费率原则上应低于可比产品（实际{actual}，未低于可比产品的{threshold}），监管豁免{dispensation}已予豁免。",
    },
    "not_applicable": {"en": "Premium-rate comparison not applied: {actual}.", "zh": "未适用费率比较：{actual}。"},
}
Params = NoParams
REGULAR = "not a dedicated inclusive product: item 8 compares the rates of dedicated products only"


def evaluate(conn: Connection, scope: Scope, p: Params) -> Findings:
    pr = t.products.c
    return below_comparable(conn, scope, pr.premium_rate, pr.comparable_premium_rate, "premium_rate", regular=REGULAR)
