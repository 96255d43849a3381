"""The documented ranges of values that come from outside: dates, ids, magnitudes, durations.

A value outside its range is bad input (a plain message and exit 2, or 3 inside a document or ruleset), never
a crash further on (a date before year 1 a day is subtracted from, an id past the database's integer).
The ranges are listed in docs/inputs.md. This module imports nothing of the package but the language layer
(``i18n``, which imports nothing). Each check has a ``*_message`` form, a catalogue message to render in any
language, and a ``*_problem`` form, its English text, for callers that take text.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from .i18n import Code, Message

# Dates: the guidance is from 2024; an earlier law a ruleset cites may be decades older. A date outside this
# era is a typing slip (0001-01-01, 2240-…), and the arithmetic on it (the day before, the quarter after) holds.
ERA_FIRST = date(1900, 1, 1)
ERA_LAST = date(2199, 12, 31)
OPEN_END = date(9999, 12, 31)  # "until further notice" where an end date is optional

# Stored ids (runs, revisions, users, tokens): the PostgreSQL integer column, the narrower of the two backends.
MAX_ID = 2**31 - 1

# No threshold, weight, count or amount a ruleset holds comes near 10^15 (a yuan amount of a quadrillion).
MAX_MAGNITUDE = Decimal(10) ** 15


def era_message(value: date, *, open_end: bool = False) -> Message | None:
    """Why ``value`` is outside the sane era (None: it is inside); ``open_end`` also takes 9999-12-31."""
    if ERA_FIRST <= value <= ERA_LAST or (open_end and value == OPEN_END):
        return None
    if open_end:
        return Message("bounds.era_open", value=value, first=ERA_FIRST, last=ERA_LAST, open=OPEN_END)
    return Message("bounds.era", value=value, first=ERA_FIRST, last=ERA_LAST)


def era_problem(value: date, *, open_end: bool = False) -> str | None:
    reason = era_message(value, open_end=open_end)
    return None if reason is None else str(reason)


def magnitude_message(value: Any) -> Message | None:
    """Why a number is too large in magnitude, or not finite (None: it is fine or not a number)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    try:
        number = Decimal(value) if not isinstance(value, Decimal) else value
        if not number.is_finite():
            return Message("bounds.not_finite", value=Code(str(value)))
        if number.adjusted() < 16 and abs(number) <= MAX_MAGNITUDE:
            return None
    except (InvalidOperation, ValueError, OverflowError):
        pass
    text = str(value)
    shown = text if len(text) <= 24 else f"{text[:12]}…{text[-8:]}"
    return Message("bounds.magnitude", value=Code(shown))


def magnitude_problem(value: Any) -> str | None:
    reason = magnitude_message(value)
    return None if reason is None else str(reason)


def id_message(value: int, what: str = "id") -> Message | None:
    if 1 <= value <= MAX_ID:
        return None
    shown = str(value) if len(str(value)) <= 24 else f"{str(value)[:12]}…"
    return Message("bounds.id", what=Code(what), value=Code(shown), last=Code(str(MAX_ID)))


def id_problem(value: int, what: str = "id") -> str | None:
    reason = id_message(value, what)
    return None if reason is None else str(reason)


def out_of_bounds(value: Any, where: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Each date outside the era (a value under an ``until`` key may be 9999-12-31) and each number beyond
    ±10^15 in ``value`` — a pydantic model (fields by their alias), a mapping, a list, or a scalar — with its path."""
    fields = getattr(type(value), "model_fields", None)
    if isinstance(fields, dict):
        for key, info in fields.items():
            yield from out_of_bounds(getattr(value, key), (*where, getattr(info, "alias", None) or key))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from out_of_bounds(item, (*where, key))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from out_of_bounds(item, (*where, i))
    elif isinstance(value, date):
        reason = era_problem(value, open_end=bool(where) and where[-1] == "until")
        if reason:
            yield where, reason
    else:
        reason = magnitude_problem(value)
        if reason:
            yield where, reason
