"""Encourage inclusive products for micro and small enterprises, individual businesses and new agricultural entities.

Item 6 encourages enterprise-property, intellectual-property, cargo and export-credit cover and staff cover for micro and small enterprises, individual businesses and new agricultural entities. Which groups and lines count for this item is a ruleset parameter. Scored, never blocking.

Not covered::

    products: [{dedicated_inclusive: false, target_groups: [], line: other, ...}]

Covered::

    products: [{dedicated_inclusive: true, target_groups: [<one of the item's groups>], ...}]
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from sqlalchemy import Connection

from . import _coverage
from .base import Scope, Verdict

ID = "IC06-SMALL-BUSINESS"
CLAUSE = 6
STRENGTH: Final = "encouraged"
KINDS = ("submission",)
TITLE = {"en": "Encourage inclusive products for micro and small enterprises, individual businesses and new agricultural entities", "zh": "提升小微企业和个体工商户等抗风险能力"}
Params = _coverage.Params
MESSAGES = {
    "pass": {"en": "Item 6 groups are served ({actual}).", "zh": "第6项所列群体已覆盖（{actual}）。"},
    "fail": {"en": "No inclusive product serves the groups or lines of item 6; expected {expected}.",
             "zh": "无普惠产品覆盖第6项所列群体或领域。"},
    "not_applicable": {"en": "Not applied: {actual}.", "zh": "未适用：{actual}。"},
}


def evaluate(conn: Connection, scope: Scope, p: Params) -> Iterator[Verdict]:
    return _coverage.covered(conn, scope, p)

