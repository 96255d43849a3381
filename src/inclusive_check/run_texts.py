"""What a run's reports show of its rules: each rule's title, message templates, guidance item and help, stored
with the run.

A run stores them when it is made (``runs.texts``, migration 0007), so that its findings read back with the
words they had then, after a rule's wording changes in code. Runs stored before 0007 have none, and runs stored
before the guidance item and help were kept have only titles and messages: what is missing reads from the
code's rule of the same ID (``RunTexts`` falls back per rule and per field). ``results.py`` and ``reports/``
learn about rules only through here, never from the rules package.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from . import rules as registry
from .rules.base import RuleModule

LangPair = dict[str, str]


def known_rule(rule_id: str) -> RuleModule | None:
    """The code's rule of a stored rule ID (a retired ID resolves to its successor); None for a rule this version
    no longer has, whose stored findings still render, with their ID for a title."""
    try:
        return registry.get(rule_id)
    except registry.UnknownRule:
        return None


def canonical(rule_id: str) -> str:
    """The current ID of a rule: a retired ID maps to its successor (``rules.ALIASES``)."""
    return registry.canonical(rule_id)


def _help(rule: RuleModule) -> str:
    return (rule.__doc__ or rule.TITLE["en"]).strip()


def capture(rules: Iterable[RuleModule]) -> str:
    """The texts of ``rules`` as stored on a run: JSON {rule_id: {"title": {en, zh}, "messages": {status:
    {en, zh}}, "clause": guidance item, "help": the rule's description}}."""
    return json.dumps(
        {
            r.ID: {
                "title": dict(r.TITLE),
                "messages": {s: dict(m) for s, m in r.MESSAGES.items()},
                "clause": r.CLAUSE,
                "help": _help(r),
            }
            for r in rules
        },
        ensure_ascii=False,
        sort_keys=True,
    )


class RunTexts:
    """A run's titles, message templates, guidance items and help texts: the stored ones, else (a run stored
    before 0007, or a rule or field it did not store) the code's."""

    def __init__(self, stored: str | None) -> None:
        self._stored: dict[str, Any] = json.loads(stored) if stored else {}

    def rule_ids(self) -> list[str]:
        """The rules the run stored texts for, in ID order; for a run that stored none, the code's rules."""
        return sorted(self._stored) if self._stored else [r.ID for r in registry.ALL_RULES]

    def title(self, rule_id: str) -> LangPair:
        entry = self._stored.get(rule_id)
        if entry is not None:
            return dict(entry["title"])
        rule = known_rule(rule_id)
        return dict(rule.TITLE) if rule else {"en": rule_id, "zh": rule_id}

    def messages(self, rule_id: str) -> dict[str, LangPair]:
        entry = self._stored.get(rule_id)
        if entry is not None:
            return dict(entry["messages"])
        rule = known_rule(rule_id)
        return dict(rule.MESSAGES) if rule else {}

    def clause(self, rule_id: str) -> int:
        """The guidance item the rule checks (0: not known)."""
        entry = self._stored.get(rule_id) or {}
        if "clause" in entry:
            return int(entry["clause"])
        rule = known_rule(rule_id)
        return rule.CLAUSE if rule else 0

    def help(self, rule_id: str) -> str:
        """The rule's description (its title when not known)."""
        entry = self._stored.get(rule_id) or {}
        if "help" in entry:
            return str(entry["help"])
        rule = known_rule(rule_id)
        return _help(rule) if rule else self.title(rule_id)["en"]

    def parameters(self, ruleset: Any, rule_id: str, on: Any) -> dict[str, Any]:
        """The parameters of ``ruleset`` (the run's stored one, or None) a finding of ``rule_id`` used on ``on``;
        empty when the ruleset or the code no longer knows the rule."""
        rule = known_rule(rule_id)
        if ruleset is None or rule is None or rule.ID not in ruleset.data.rules:
            return {}
        params: dict[str, Any] = ruleset.parameters_at(rule, on)
        return params
