"""Encourage inclusive products for the elderly, the chronically ill, the disabled, new citizens and other specific groups.

Item 5 encourages cover for the elderly, people with pre-existing conditions, the disabled, women's two cancers, congenital and rare diseases, new citizens, flexible workers and special occupations. Which groups and lines count for this item is a ruleset parameter. Scored, never blocking.

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

ID = "IC05-SPECIFIC-GROUPS"
CLAUSE = 5
STRENGTH: Final = "encouraged"
KINDS = ("submission",)
TITLE = {"en": "Encourage inclusive products for the elderly, the chronically ill, the disabled, new citizens and other specific groups", "zh": "加大特定群体保险保障供给力度"}
Params = _coverage.Params
MESSAGES = {
    "pass": {"en": "Item 5 groups are served ({actual}).", "zh": "第5项所列群体已覆盖（{actual}）。"},
    "fail": {"en": "No inclusive product serves the groups or lines of item 5; expected {expected}.",
             "zh": "无普惠产品覆盖第5项所列群体或领域。"},
    "not_applicable": {"en": "Not applied: {actual}.", "zh": "未适用：{actual}。"},
}


def evaluate(conn: Connection, scope: Scope, p: Params) -> Iterator[Verdict]:
    return _coverage.covered(conn, scope, p)

