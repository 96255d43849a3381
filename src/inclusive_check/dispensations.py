"""Dispensation files read against the rule registry and a ruleset (default: the packaged one).

The contract parses and validates a file (``contract.dispensations``) but sits below the rules and the ruleset,
so what a dispensation's rule is checked against is made here and handed down as data (``RuleTerms``): the
registry's lookup (a retired ID read as the current one, an unknown one named with the closest IDs) and the
strengths the ruleset gives each of its rules.
"""

from __future__ import annotations

from pathlib import Path

from . import rules
from .contract.dispensations import Dispensation, RuleTerms, read_dispensation_file, read_dispensations
from .ruleset import Ruleset, load_ruleset


def _current_id(rule_id: str) -> str:
    return rules.get(rule_id).ID  # rules.UnknownRule (a LookupError) names the closest IDs


def rule_terms(ruleset: Ruleset | None = None) -> RuleTerms:
    """What a dispensation's rule is checked against: each rule of ``ruleset`` (default: the packaged one) and
    the strengths it gives the rule on any date."""
    ruleset = ruleset if ruleset is not None else load_ruleset()
    strengths = {
        rule_id: {str(v.value) for v in entry.strength.values} for rule_id, entry in ruleset.data.rules.items()
    }
    return RuleTerms(_current_id, strengths)


def parse_dispensations(text: str, source: str, ruleset: Ruleset | None = None) -> tuple[Dispensation, ...]:
    """The dispensations of a file's text, each naming a known rule that ``ruleset`` (default: the packaged one)
    reads as principle (原则上); ``contract.dispensations.DispensationError`` lists every problem."""
    return read_dispensations(text, source, rule_terms(ruleset))


def load_dispensations(path: Path, ruleset: Ruleset | None = None) -> tuple[Dispensation, ...]:
    """The dispensations of a file; an unreadable file is a located ``DispensationError`` too."""
    return read_dispensation_file(path, rule_terms(ruleset))
