"""The texts a run's reports show: each rule's title and message templates, stored with the run.

A run stores them when it is made (``runs.texts``, migration 0007), so that its findings read back with the
words they had then, after a rule's wording changes in code. Runs stored before 0007 have none: their
findings read with the code's current texts (``RunTexts`` falls back per rule).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from .rules.base import RuleModule

LangPair = dict[str, str]


def capture(rules: Iterable[RuleModule]) -> str:
    """The texts of ``rules`` as stored on a run: JSON {rule_id: {"title": {en, zh}, "messages": {status:
    {en, zh}}}}."""
    return json.dumps(
        {r.ID: {"title": dict(r.TITLE), "messages": {s: dict(m) for s, m in r.MESSAGES.items()}} for r in rules},
        ensure_ascii=False,
        sort_keys=True,
    )


class RunTexts:
    """A run's titles and message templates: the stored ones, else (a run stored before 0007, or a rule it did
    not store) the code's."""

    def __init__(self, stored: str | None, known: Callable[[str], RuleModule | None]) -> None:
        """``known``: the code's rule of a stored rule ID (None: no longer known)."""
        self._stored: dict[str, Any] = json.loads(stored) if stored else {}
        self._known = known

    def title(self, rule_id: str) -> LangPair:
        entry = self._stored.get(rule_id)
        if entry is not None:
            return dict(entry["title"])
        rule = self._known(rule_id)
        return dict(rule.TITLE) if rule else {"en": rule_id, "zh": rule_id}

    def messages(self, rule_id: str) -> dict[str, LangPair]:
        entry = self._stored.get(rule_id)
        if entry is not None:
            return dict(entry["messages"])
        rule = self._known(rule_id)
        return dict(rule.MESSAGES) if rule else {}
