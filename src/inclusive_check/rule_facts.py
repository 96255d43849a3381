"""What `rules list` and `rules show` say of the ruleset's rules, as JSON shapes (``reports.views`` renders them as
text). Here, not in ``reports/``: these read the code's rules and the ruleset, which reports never do."""

from __future__ import annotations

import inspect
from datetime import date
from typing import Any

from .rules.base import RuleModule
from .ruleset import Ruleset


def rules_json(ruleset: Ruleset, lang: str, on: date) -> list[dict[str, Any]]:
    """Every rule of the ruleset: ID, guidance item, strength on ``on`` and title in ``lang``."""
    from .overlay import authority_of

    return [
        {
            "id": r.ID,
            "clause": r.CLAUSE,
            "strength": ruleset.strength(r, on),
            "title": r.TITLE[lang],
            "authority": authority_of(ruleset, r.ID, on).id,  # whose value is in force on ``on`` (overlays)
        }
        for r in ruleset.rules()
    ]


def rule_json(ruleset: Ruleset, rule: RuleModule, on: date) -> dict[str, Any]:
    """One rule: its texts, its strength on ``on``, every dated value of its parameters with their citations,
    and the values bound on ``on``."""
    from .overlay import authority_of

    entry = ruleset.entry(rule.ID)
    policy = {"strength": entry.strength, "severity": entry.severity, "deactivated": entry.deactivated}
    params = {
        name: {
            "citation": p.citation,
            "interpretation": p.interpretation,
            "note": p.note,
            "values": [
                {"from": v.start.isoformat(), "until": v.until.isoformat() if v.until else None, "value": v.value}
                for v in p.values
            ],
        }
        for name, p in {
            "in_force": entry.in_force,
            **{k: v for k, v in policy.items() if v is not None},
            **entry.params,
        }.items()
    }
    return {
        "id": rule.ID,
        "clause": rule.CLAUSE,
        "strength": ruleset.strength(rule, on),
        "title": rule.TITLE,
        "kinds": list(rule.KINDS),
        "parameters": params,
        "description": inspect.cleandoc(rule.__doc__ or ""),
        "in_force_on": on.isoformat(),
        "bound": ruleset.parameters_at(rule, on),
        "authority": authority_of(ruleset, rule.ID, on).model_dump(),
        "overlay": None
        if ruleset.data.overlay is None
        else ruleset.data.overlay.model_dump(mode="json", by_alias=True),
    }
