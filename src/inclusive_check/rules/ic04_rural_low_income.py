"""Encourage inclusive products for rural, remote, poverty-alleviated, urban low-income and county residents.

Item 4 encourages accident, health, term-life and household-property cover for rural and remote residents, people lifted out of poverty, urban low-income households and county residents. Which groups and lines count for this item is a ruleset parameter. Scored, never blocking.

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

ID = "IC04-RURAL-LOW-INCOME"
CLAUSE = 4
STRENGTH: Final = "encouraged"
KINDS = ("submission",)
TITLE = {"en": "Encourage inclusive products for rural, remote, poverty-alleviated, urban low-income and county residents", "zh": "提高农民和城镇低收入等群体保险保障水平"}
Params = _coverage.Params
MESSAGES = {
    "pass": {"en": "Item 4 groups are served ({actual}).", "zh": "第4项所列群体已覆盖（{actual}）。"},
    "fail": {"en": "No inclusive product serves the groups or lines of item 4; expected {expected}.",
             "zh": "无普惠产品覆盖第4项所列群体或领域。"},
    "not_applicable": {"en": "Not applied: {actual}.", "zh": "未适用：{actual}。"},
}


def evaluate(conn: Connection, scope: Scope, p: Params) -> Iterator[Verdict]:
    return _coverage.covered(conn, scope, p)

