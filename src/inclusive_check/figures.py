"""Numbers to text, once, when results are read: a finding stores figures (``value``, ``threshold``,
``reference``, ``margin``) in a ``unit``, and its texts name them as ``{value}``, ``{threshold}`` and
``{reference}`` (see ``rules.findings``). Here they are written out for one language.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Any

from .rules.base import number as number  # results.py takes it from here (it moves here: issue 26)

_FIFTEEN = Decimal("1e-15")


def exact(value: Decimal | float | int | None) -> Decimal | int | None:
    """A stored figure back as the exact decimal it stands for.

    On SQLite a margin computed in SQL (``theirs - own``) is a double. Its figures are rates: fractions in
    [0, 1] with at most 15 decimal places (the contract's limit). Each is held as a double within 2**-54 of
    itself, and the subtraction adds at most as much again, so the double is within 2e-16 of the exact
    difference, which is a multiple of 1e-15: rounding to 15 decimal places restores it exactly. A decimal that
    already has at most 15 places (every other figure, and all of them on PostgreSQL) is unchanged.
    """
    if value is None or isinstance(value, int):
        return value
    d = value if isinstance(value, Decimal) else Decimal(repr(value))
    exponent = d.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -15:
        d = d.quantize(_FIFTEEN)
    return d


def _scaled(value: Decimal | int | str, unit: str) -> Decimal:
    """A figure in the unit people read: a rate (a fraction) as a percentage."""
    return Decimal(value) * 100 if unit == "rate" else Decimal(value)


def places(unit: str, *figures: Decimal | int | str | None) -> int:
    """The decimal places the most precise of ``figures`` needs, as people read them (trailing zeros dropped):
    the figures of one finding are written with as many each, so that 4.99% reads against 5.00%, not 5%."""
    most = 0
    for figure in figures:
        if figure is not None:
            exponent = _scaled(figure, unit).normalize().as_tuple().exponent
            if isinstance(exponent, int):
                most = max(most, -exponent)
    return most


def _digits(value: Decimal, decimals: int) -> str:
    """``value`` with at least ``decimals`` places, no exponent, no trailing zeros beyond them."""
    text = number(value)
    if decimals <= 0:
        return text
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction.ljust(decimals, '0')}"


@lru_cache(maxsize=65536)  # a market repeats its rates: each is written out once
def shown(value: Decimal | int | None, unit: str, lang: str, decimals: int = 0) -> str:
    """A figure as people read it in ``lang``: a rate as a percentage (0.0499 -> '4.99%'), anything else as a
    plain number with no exponent, with ``decimals`` places (see ``places``). The same digits in English and
    Chinese today; the language is here so that a unit can read differently in each."""
    if value is None:
        return "null"
    text = _digits(_scaled(value, unit), decimals)
    return text + "%" if unit in ("rate", "pct") else text


# A margin's unit as people read it: the distance between two percentages is in percentage points.
MARGIN_UNITS = {
    "rate": {"en": " percentage points", "zh": "个百分点"},
    "pct": {"en": " percentage points", "zh": "个百分点"},
    "months": {"en": " month(s)", "zh": "个月"},
    "days": {"en": " day(s)", "zh": "天"},
    "cny": {"en": " CNY", "zh": "元"},
    "count": {"en": " (count)", "zh": "（个数）"},
}


def shown_margin(margin: str | None, unit: str, lang: str, *figures: str | None) -> str | None:
    """A finding's margin (a decimal string in ``unit``) as people read it in ``lang``, with its unit: a rate's
    or a percentage's in percentage points (0.0015 -> '0.15 percentage points', as 0.85% is from 1.00%), with
    as many decimal places as the finding's ``figures`` (its value and threshold) are written with."""
    if margin is None:
        return None
    decimals = places(unit, margin, *figures)
    return _digits(_scaled(margin, unit), decimals) + MARGIN_UNITS.get(unit, {}).get(lang, "")


def filled(
    text: str,
    lang: str,
    unit: str,
    value: Decimal | int | None = None,
    threshold: Decimal | int | None = None,
    reference: Decimal | int | None = None,
) -> str:
    """``text`` with its placeholders replaced by the figures, written for ``unit`` and ``lang``."""
    if "{" not in text:
        return text
    value, threshold, reference = exact(value), exact(threshold), exact(reference)
    decimals = places(unit, value, threshold, reference)
    for name, figure in (("{value}", value), ("{threshold}", threshold), ("{reference}", reference)):
        if name in text:
            text = text.replace(name, shown(figure, unit, lang, decimals))
    return text


def _decimal_text(value: Decimal | float | int | None) -> str | None:
    return None if value is None else number(exact(value))


def finding_texts(row: Any, lang: str) -> tuple[str, str]:
    """A stored finding's ``expected`` and ``actual`` with their figures written out for ``lang``."""
    if "{" not in row.expected and "{" not in row.actual:
        return row.expected, row.actual
    figures = (exact(row.value), exact(row.threshold), exact(row.reference))
    return (filled(row.expected, lang, row.unit, *figures), filled(row.actual, lang, row.unit, *figures))


def finding_item(row: Any) -> dict[str, Any]:
    """The fields of a results finding that come straight from its stored row (and its product's, joined as
    ``product_*``): texts in English, figures as decimal strings, ``margin`` exact (see ``exact``)."""
    expected, actual = finding_texts(row, "en")
    product = (
        None
        if row.product_id is None
        else {
            "id": row.product_id,
            "code": row.product_code,
            "name": row.product_name,
            "position": row.product_position,
        }
    )
    return {
        "rule_id": row.rule_id,
        "clause": row.clause,
        "strength": row.strength,
        "severity": row.severity,
        "status": row.status,
        "subject": row.subject,
        "key": row.key,
        "expected": expected,
        "actual": actual,
        "margin": _decimal_text(row.margin),
        "value": _decimal_text(row.value),
        "threshold": _decimal_text(row.threshold),
        "unit": row.unit,
        "product": product,
        "dispensation": row.dispensation_id,
    }


def threshold_text(finding: dict[str, Any], lang: str) -> str:
    """A results finding's threshold written as its evidence writes figures (``{threshold}`` in a message), with
    as many places as the value it is compared to; empty when it has none."""
    figure, value = finding.get("threshold"), finding.get("value")
    if figure is None:
        return ""
    return filled(
        "{threshold}", lang, finding.get("unit") or "", None if value is None else Decimal(value), Decimal(figure)
    )
