"""Flag a comparable intermediary fee rate declared otherwise than the comparable product's own filing says.

Item 12 compares a dedicated product's intermediary fee rate with that of other products of the same type. When
the comparable product a dedicated product names is filed in the same document, IC12-FEE-RATE compares with the
fee rate filed there; a different rate declared for it (or one declared where the filing states none) is a
fault of the data, not of the fee, and is flagged here for the supervisor (strength ``flag``: a warning, no
weight in the score). No finding when no rate is declared or the comparable is not filed in the document.

Non-compliant::

    products: [{code: D, dedicated_inclusive: true, comparable: {product_code: S, intermediary_fee_rate: 0.10}},
               {code: S, intermediary_fee_rate: 0.12, ...}]

Compliant::

    products: [{code: D, dedicated_inclusive: true, comparable: {product_code: S, intermediary_fee_rate: 0.10}},
               {code: S, intermediary_fee_rate: 0.10, ...}]
"""

from __future__ import annotations

from sqlalchemy import Connection

from ..store import tables as t
from ._product_rates import declared_as_filed
from .base import NoParams, Scope
from .findings import Findings

ID = "IC12-COMPARABLE-AS-FILED"
CLAUSE = 12
KINDS = ("submission",)
TITLE = {
    "en": "Declare for a comparable product the intermediary fee rate its own filing in the same document states",
    "zh": "所申报的可比产品中介费用率须与该产品在同一文件中备案的一致",
}
MESSAGES = {
    "pass": {
        "en": "{subject}: the declared comparable intermediary fee rate is the one filed for that product ({actual}).",
        "zh": "{subject}：所申报的可比产品中介费用率与该产品备案的中介费用率一致（{actual}）。",
    },
    "fail": {
        "en": "{subject}: the declared comparable intermediary fee rate is not the one filed for that product ({actual}); where that filing states a fee rate, it is the one compared.",
        "zh": "{subject}：所申报的可比产品中介费用率与该产品备案的中介费用率不一致（{actual}）；该产品备案了中介费用率的，比较时以备案值为准。",
    },
    "not_applicable": {"en": "Not applied: {actual}.", "zh": "未适用：{actual}。"},
}
Params = NoParams


def evaluate(conn: Connection, scope: Scope, p: Params) -> Findings:
    pr = t.products.c
    return declared_as_filed(conn, scope, pr.intermediary_fee_rate, pr.comparable_fee_rate, "intermediary_fee_rate")
