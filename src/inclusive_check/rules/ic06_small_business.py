"""Encourage inclusive products for micro and small enterprises, individual businesses and new agricultural entities.

Item 6 encourages enterprise-property, intellectual-property, cargo and export-credit cover and staff cover for micro and small enterprises, individual businesses and new agricultural entities. Which groups and lines count for this item is a ruleset parameter. Scored, never blocking.

Not covered::

    products: [{dedicated_inclusive: false, target_groups: [], line: other, ...}]

Covered::

    products: [{dedicated_inclusive: true, target_groups: [<one of the item's groups>], ...}]
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Connection

from . import _coverage
from .base import Scope
from .findings import Finding, one_by_one

ID = "IC06-SMALL-BUSINESS"
CLAUSE = 6
KINDS = ("submission",)
TITLE = {
    "en": "Encouraged: inclusive cover for small businesses, sole traders and new agricultural entities",
    "zh": "鼓励：为小微企业、个体工商户和新型农业经营主体提供普惠保障",
}
Params = _coverage.Params
MESSAGES = {
    "pass": {
        "en": "Covered: an inclusive product serves a group or line of item 6 ({actual}).",
        "zh": "已覆盖：有普惠产品服务第（六）项所列群体或险种（{actual}）。",
    },
    "fail": {
        "en": "Not covered yet: no inclusive product serves the groups or lines of item 6 ({expected}); scored, not a breach.",
        "zh": "尚未覆盖：没有普惠产品服务第（六）项所列群体或险种（{expected}）；计入评分，不属违规。",
    },
    "not_applicable": {"en": "Not applied: {actual}.", "zh": "未适用：{actual}。"},
}


@one_by_one
def evaluate(conn: Connection, scope: Scope, p: Params) -> Iterator[Finding]:
    return _coverage.covered(conn, scope, p)
