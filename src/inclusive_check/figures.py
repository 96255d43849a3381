"""Numbers to text, once, when results are read: a finding stores figures (``value``, ``threshold``,
``reference``, ``margin``) in a ``unit``, and its texts name them as ``{value}``, ``{threshold}`` and
``{reference}`` (see ``rules.findings``). Here they are written out for one language.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Any

from .rules.base import number

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


@lru_cache(maxsize=65536)  # a market repeats its rates: each is written out once
def shown(value: Decimal | int | None, unit: str, lang: str) -> str:
    """A figure as people read it in ``lang``: a rate as a percentage (0.0499 -> '4.99%'), anything else as a
    plain number with no exponent and no trailing zeros. The same digits in English and Chinese today; the
    language is here so that a unit can read differently in each."""
    if value is None:
        return "null"
    if unit == "rate":
        return number(Decimal(value) * 100) + "%"
    if unit == "pct":
        return number(value) + "%"
    return number(value)


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
    for name, figure in (("{value}", value), ("{threshold}", threshold), ("{reference}", reference)):
        if name in text:
            text = text.replace(name, shown(exact(figure), unit, lang))
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
