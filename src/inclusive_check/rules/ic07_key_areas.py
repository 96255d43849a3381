"""Encourage inclusive products in agriculture, pensions, long-term care, liability and family cover.

Item 7 encourages agricultural insurance for small farmers, commercial pensions and annuities, long-term care, medical liability and family and children's cover. Which groups, risk areas (schema 1.1: emergencies among them, sentence 7) and lines count for this item are ruleset parameters. Scored, never blocking.

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

ID = "IC07-KEY-AREAS"
CLAUSE = 7
KINDS = ("submission",)
TITLE = {
    "en": "Encouraged: inclusive cover in farming, pensions, long-term care, liability and family risks",
    "zh": "鼓励：在农业、养老、长期护理、责任及家庭风险等领域提供普惠保障",
}
Params = _coverage.AreaParams
MESSAGES = {
    "pass": {
        "en": "Covered: an inclusive product serves a group, risk area or line of item 7 ({actual}).",
        "zh": "已覆盖：有普惠产品服务第（七）项所列群体、风险领域或险种（{actual}）。",
    },
    "fail": {
        "en": "Not covered yet: no inclusive product serves the groups, risk areas or lines of item 7 ({expected}); scored, not a breach.",
        "zh": "尚未覆盖：没有普惠产品服务第（七）项所列群体、风险领域或险种（{expected}）；计入评分，不属违规。",
    },
    "not_applicable": {"en": "Not applied: {actual}.", "zh": "未适用：{actual}。"},
}


@one_by_one
def evaluate(conn: Connection, scope: Scope, p: Params) -> Iterator[Finding]:
    return _coverage.covered(conn, scope, p)
