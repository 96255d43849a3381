"""Encourage inclusive products for rural, remote, poverty-alleviated, urban low-income and county residents.

Item 4 encourages accident, health, term-life and household-property cover for rural and remote residents, people lifted out of poverty, urban low-income households and county residents. Which groups and lines count for this item is a ruleset parameter. Scored, never blocking.

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

ID = "IC04-RURAL-LOW-INCOME"
CLAUSE = 4
KINDS = ("submission",)
TITLE = {
    "en": "Encouraged: inclusive cover for rural and remote residents, people lifted out of poverty, urban low-income and county residents",
    "zh": "鼓励：为农村和边远地区居民、脱贫人口、城市低收入人群及县域居民提供普惠保障",
}
Params = _coverage.Params
MESSAGES = {
    "pass": {
        "en": "Covered: an inclusive product serves a group or line of item 4 ({actual}).",
        "zh": "已覆盖：有普惠产品服务第（四）项所列群体或险种（{actual}）。",
    },
    "fail": {
        "en": "Not covered yet: no inclusive product serves the groups or lines of item 4 ({expected}); scored, not a breach.",
        "zh": "尚未覆盖：没有普惠产品服务第（四）项所列群体或险种（{expected}）；计入评分，不属违规。",
    },
    "not_applicable": {"en": "Not applied: {actual}.", "zh": "未适用：{actual}。"},
}


@one_by_one
def evaluate(conn: Connection, scope: Scope, p: Params) -> Iterator[Finding]:
    return _coverage.covered(conn, scope, p)
