"""Encourage inclusive products in agriculture, pensions, long-term care, liability and family cover.

Item 7 encourages agricultural insurance for small farmers, commercial pensions and annuities, long-term care, medical liability and family and children's cover. Which groups and lines count for this item is a ruleset parameter. Scored, never blocking.

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

ID = "IC07-KEY-AREAS"
CLAUSE = 7
STRENGTH: Final = "encouraged"
KINDS = ("submission",)
TITLE = {"en": "Encourage inclusive products in agriculture, pensions, long-term care, liability and family cover", "zh": "积极参与重点领域风险保障"}
Params = _coverage.Params
MESSAGES = {
    "pass": {"en": "Item 7 groups are served ({actual}).", "zh": "第7项所列群体已覆盖（{actual}）。"},
    "fail": {"en": "No inclusive product serves the groups or lines of item 7; expected {expected}.",
             "zh": "无普惠产品覆盖第7项所列群体或领域。"},
    "not_applicable": {"en": "Not applied: {actual}.", "zh": "未适用：{actual}。"},
}


def evaluate(conn: Connection, scope: Scope, p: Params) -> Iterator[Verdict]:
    return _coverage.covered(conn, scope, p)

