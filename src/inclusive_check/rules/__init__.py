"""The rule registry: every rule module, listed explicitly, and what the guidance items map to.

Look a rule up with ``get(ID)``: it resolves retired IDs through ``ALIASES`` and names the closest IDs
when there is no such rule. Stored findings and dispensations keep the ID they were written with; readers
map it through ``canonical`` so that a renamed rule keeps its fingerprints and dispensations.
"""

from __future__ import annotations

import difflib
from functools import lru_cache

from ..rule_ids import ALIASES, canonical  # retired IDs: data the store and the contract read too
from . import (
    ic04_rural_low_income,
    ic05_specific_groups,
    ic06_small_business,
    ic07_key_areas,
    ic08_comparable_as_filed,
    ic08_premium_rate,
    ic08_target_groups,
    ic10_assessment,
    ic10_internal_control,
    ic10_kpi_weight,
    ic10_lead_department,
    ic10_leadership,
    ic10_regular_reviews,
    ic11_convenient_service,
    ic11_elderly_accessible,
    ic11_online_service,
    ic11_service_commitments,
    ic12_comparable_as_filed,
    ic12_fee_rate,
    ic12_stable_cooperation,
    ic19_mass_incidents,
    ic19_solvency_gate,
    ic20_agency_disputes,
    ic20_consumer_protection,
)
from .base import RuleModule

__all__ = ["ALIASES", "ALL_RULES", "NOT_ENCODED", "RuleModule", "UnknownRule", "canonical", "get"]

ALL_RULES: tuple[RuleModule, ...] = (
    ic19_solvency_gate,
    ic08_premium_rate,
    ic08_comparable_as_filed,
    ic12_fee_rate,
    ic12_comparable_as_filed,
    ic08_target_groups,
    ic10_leadership,
    ic10_lead_department,
    ic10_regular_reviews,
    ic10_assessment,
    ic10_kpi_weight,
    ic10_internal_control,
    ic11_service_commitments,
    ic11_convenient_service,
    ic11_elderly_accessible,
    ic11_online_service,
    ic12_stable_cooperation,
    ic20_consumer_protection,
    ic20_agency_disputes,
    ic19_mass_incidents,
    ic04_rural_low_income,
    ic05_specific_groups,
    ic06_small_business,
    ic07_key_areas,
)


def _by_id() -> dict[str, RuleModule]:
    """The registered rules by ID, read from ``ALL_RULES`` when asked (a test may register a rule of its own)."""
    return _index(ALL_RULES)


@lru_cache(maxsize=4)
def _index(rules: tuple[RuleModule, ...]) -> dict[str, RuleModule]:
    return {r.ID: r for r in rules}


class UnknownRule(LookupError):
    """No rule has this ID (nor is it a retired one); the message names the closest IDs."""

    def __init__(self, rule_id: str) -> None:
        typed, known = rule_id.strip().upper(), [*_by_id(), *ALIASES]
        close = difflib.get_close_matches(typed, known, n=3, cutoff=0.6)
        if not close and len(typed) >= 3:  # a part of an ID (`kpi`, `IC12`): the IDs that contain it
            close = [known_id for known_id in known if typed in known_id][:3]
        hint = f"; did you mean {' or '.join(close)}?" if close else "; `inclusive-check rules list` shows them"
        super().__init__(f"unknown rule {rule_id!r}{hint}")
        self.rule_id = rule_id
        self.closest = close
        self.hint = hint


def get(rule_id: str) -> RuleModule:
    """The rule module with this ID (or with the ID a retired one maps to); ``UnknownRule`` otherwise."""
    rule = _by_id().get(canonical(rule_id))
    if rule is None:
        raise UnknownRule(rule_id)
    return rule


# Items that no rule encodes, and why, in one line each. `rules matrix` goes below items: every
# obligation-bearing sentence, with its rules or the reason none can check it, is in
# ../traceability.yaml, and a test keeps these keys equal to the items none of whose sentences names a rule.
NOT_ENCODED: dict[int, str] = {
    1: "guiding ideology; states no duty a submission can show",
    2: "basic principles; made concrete by items 4-20, which are encoded where checkable",
    3: "five-year goals for the industry as a whole, not a duty of one insurer",
    9: "roles by type of insurer (state-owned, specialist, small and medium, reinsurer) are encouragements "
    "without a measurable test; state ownership and category are reported, but no rule or score uses them",
    13: "duty of the regulator's own departments and local offices",
    14: "industry data sharing through financial infrastructure is not observable in a submission",
    15: "contacts with local governments, joint development and donations are not observable in a submission",
    16: "public insurance education by society at large; no per-insurer measure",
    17: "research and international exchange; no per-insurer measure",
    18: "not a pass/fail duty of an insurer; scored: the item 18 indicators (variety, coverage, protection, "
    "service) are computed for every submission",
}
