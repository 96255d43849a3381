"""Retired rule IDs and the current ID each maps to (``rules`` re-exports both names).

Data, importing nothing: the store reads dispensations written under a retired ID, and the contract and the
ruleset accept one, without importing the rules package above them.
"""

from __future__ import annotations

# Retired rule ID -> the current ID of the same rule. When a rule is renamed, its old ID goes here, so that
# rulesets, stored dispensations and the fingerprints of stored findings that name it keep working.
ALIASES: dict[str, str] = {}


def canonical(rule_id: str) -> str:
    """The current ID of a rule: a retired ID maps to its successor, any other ID is returned as it is."""
    return ALIASES.get(rule_id, rule_id)
