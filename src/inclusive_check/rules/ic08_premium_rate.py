"""Ensure a dedicated inclusive product's premium rate is below that of its comparable product.

Item 8 says dedicated inclusive insurance should, in principle (原则上), be priced below other
products under the same conditions. The filer names the comparable product it benchmarks against
(same line, term bucket and channel; an interpretation, docs/regulatory-basis.md) with that product's rate. The
comparison is exact and strict: an equal rate fails. A missing comparator is indeterminate.
A breach can be waived only by a dispensation a supervisor approved.

Non-compliant::

    {dedicated_inclusive: true, premium_rate: 0.0150, comparable: {product_code: X, premium_rate: 0.0150}}

Compliant::

    {dedicated_inclusive: true, premium_rate: 0.0149, comparable: {product_code: X, premium_rate: 0.0150}}
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import Connection, Select

from ..store import tables as t
from ._product_rates import below_comparable
from .base import NoParams, Scope

ID = "IC08-PREMIUM-RATE"
CLAUSE = 8
STRENGTH: Final = "principle"
KINDS = ("submission", "product_filing")
TITLE = {
    "en": "Ensure each dedicated inclusive product is priced below its comparable product",
    "zh": "专属普惠保险费率应低于同等条件下其他保险产品费率",
}
MESSAGES = {
    "pass": {"en": "{subject}: premium rate {actual} is below the comparable product's ({expected}).",
             "zh": "{subject}：费率{actual}低于可比产品（{expected}）。"},
    "fail": {"en": "{subject}: premium rate {actual} is not below the comparable product's; required {expected}.",
             "zh": "{subject}：费率{actual}未低于可比产品，要求{expected}。"},
    "indeterminate": {"en": "{subject}: cannot compare premium rates: {actual}.",
                      "zh": "{subject}：无法比较费率：{actual}。"},
    "waived": {"en": "{subject}: premium rate {actual} is not below the comparable ({expected}); waived by "
                     "dispensation {dispensation}.",
               "zh": "{subject}：费率{actual}未低于可比产品（{expected}），已由豁免{dispensation}覆盖。"},
    "not_applicable": {"en": "Premium-rate rule not applied: {actual}.", "zh": "未适用费率规则：{actual}。"},
}
Params = NoParams


def evaluate(conn: Connection, scope: Scope, p: Params) -> Select[Any]:
    pr = t.Product
    return below_comparable(conn, scope, pr.premium_rate, pr.comparable_premium_rate, "premium_rate")
