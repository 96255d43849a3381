"""Encourage inclusive products for the elderly, the chronically ill, the disabled, new citizens and other specific groups.

Item 5 encourages cover for the elderly, people with pre-existing conditions, the disabled, women's two cancers, congenital and rare diseases, new citizens, flexible workers and special occupations. Which groups and lines count for this item is a ruleset parameter. Scored, never blocking.

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

ID = "IC05-SPECIFIC-GROUPS"
CLAUSE = 5
KINDS = ("submission",)
TITLE = {
    "en": "Encouraged: inclusive cover for older people, people with pre-existing conditions or disabilities, new citizens and other specific groups",
    "zh": "鼓励：为老年人、既往症人群、残障人士、新市民等特定人群提供普惠保障",
}
Params = _coverage.Params
MESSAGES = {
    "pass": {
        "en": "Covered: an inclusive product serves a group or line of item 5 ({actual}).",
        "zh": "已覆盖：有普惠产品服务第（五）项所列群体或险种（{actual}）。",
    },
    "fail": {
        "en": "Not covered yet: no inclusive product serves the groups or lines of item 5 ({expected}); scored, not a breach.",
        "zh": "尚未覆盖：没有普惠产品服务第（五）项所列群体或险种（{expected}）；计入评分，不属违规。",
    },
    "not_applicable": {"en": "Not applied: {actual}.", "zh": "未适用：{actual}。"},
}


@one_by_one
def evaluate(conn: Connection, scope: Scope, p: Params) -> Iterator[Finding]:
    return _coverage.covered(conn, scope, p)
