"""Flag a comparable premium rate declared otherwise than the comparable product's own filing says.

Item 8 compares a dedicated product's premium rate with that of other products under the same conditions. When
the comparable product a dedicated product names is filed in the same document, IC08-PREMIUM-RATE compares with
the rate filed there; a different rate declared for it is a fault of the data, not of the price, and is flagged
here for the supervisor (strength ``flag``: a warning, no weight in the score). No finding when no rate is
declared or the comparable is not filed in the document.

Non-compliant::

    products: [{code: D, dedicated_inclusive: true, comparable: {product_code: S, premium_rate: 0.0020}},
               {code: S, premium_rate: 0.0015, ...}]

Compliant::

    products: [{code: D, dedicated_inclusive: true, comparable: {product_code: S, premium_rate: 0.0020}},
               {code: S, premium_rate: 0.0020, ...}]
"""

from __future__ import annotations

from sqlalchemy import Connection

from ..store import tables as t
from ._product_rates import declared_as_filed
from .base import NoParams, Scope
from .findings import Findings

ID = "IC08-COMPARABLE-AS-FILED"
CLAUSE = 8
KINDS = ("submission",)
TITLE = {
    "en": "Declare for a comparable product the premium rate its own filing in the same document states",
    "zh": "所申报的可比产品费率须与该产品在同一文件中备案的费率一致",
}
MESSAGES = {
    "pass": {
        "en": "{subject}: the declared comparable premium rate is the one filed for that product ({actual}).",
        "zh": "{subject}：所申报的可比产品费率与该产品备案的费率一致（{actual}）。",
    },
    "fail": {
        "en": "{subject}: the declared comparable premium rate is not the one filed for that product ({actual}); the filed rate is the one compared.",
        "zh": "{subject}：所申报的可比产品费率与该产品备案的费率不一致（{actual}）；比较时以备案费率为准。",
    },
    "not_applicable": {"en": "Not applied: {actual}.", "zh": "未适用：{actual}。"},
}
Params = NoParams


def evaluate(conn: Connection, scope: Scope, p: Params) -> Findings:
    pr = t.products.c
    return declared_as_filed(conn, scope, pr.premium_rate, pr.comparable_premium_rate, "premium_rate")
