"""Option types with their documented ranges (bounds.py): a value outside is a usage error (exit 2), never a
crash further on. RUN_ID for every run id, DAY for every date option."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from .bounds import MAX_ID, era_problem

RUN_ID = click.IntRange(1, MAX_ID)


class _Day(click.ParamType):  # type: ignore[type-arg]
    """A date written YYYY-MM-DD within the era (as a datetime, like click.DateTime)."""

    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, datetime):
            return value
        text = str(value)
        try:
            parsed = datetime.strptime(text, "%Y-%m-%d")
        except ValueError:
            self.fail(f"{text[:40]!r} is not a date written YYYY-MM-DD", param, ctx)
        reason = era_problem(parsed.date())
        if reason:
            self.fail(reason, param, ctx)
        return parsed


DAY = _Day()


def run_id_of(text: str) -> int:
    """A run id given as text (``run:ID``), in range, or ValueError saying why not."""
    digits = text.strip()
    if not digits.isdigit() or len(digits) > 40:
        raise ValueError(f"{text[:40]!r} is not a run id")
    value = int(digits)
    if not 1 <= value <= MAX_ID:
        raise ValueError(f"run id {value} is outside 1..{MAX_ID}")
    return value


class _Revision(click.ParamType):  # type: ignore[type-arg]
    """A schema revision this version knows: an id (0011), head, base, or a step (-1, +2) of at most 99."""

    name = "REVISION"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        text = str(value).strip()
        if text in ("head", "base") or (text[:1] in "+-" and text[1:].isdigit() and 1 <= int(text[1:]) <= 99):
            return text
        from .store.db import known_revisions

        known = known_revisions()
        if text not in known:
            self.fail(f"{text[:40]!r} is not a revision: head, base, -N, +N or one of {', '.join(sorted(known))}")
        return text


REVISION = _Revision()
