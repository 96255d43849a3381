"""The words a finding is filed with: a rule's strength and a finding's status (``rules.base`` re-exports them).

Their own module, importing nothing, so that ``rules.findings`` (which checks a finding's status) and
``rules.base`` (which hands ``finding`` to the rules) need not import each other.
"""

from __future__ import annotations

from typing import Literal

Strength = Literal["mandatory", "principle", "encouraged", "flag"]
STRENGTHS: tuple[Strength, ...] = ("mandatory", "principle", "encouraged", "flag")
Status = Literal["pass", "fail", "indeterminate", "waived", "not_applicable"]
STATUSES: tuple[Status, ...] = ("pass", "fail", "indeterminate", "waived", "not_applicable")
