"""Numbers to text, once, when results are read: a finding stores figures (``value``, ``threshold``,
``reference``, ``margin``) in a ``unit``, and its texts name them as ``{value}``, ``{threshold}`` and
``{reference}`` (see ``rules.findings``). Here they are written out for one language.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Any

from .store.columns import EXACT as EXACT  # arithmetic on figures that never rounds
from .store.columns import decimal_text


def number(value: Decimal | int | float | str | None) -> str:
    """A number as people write it: every digit that was filed, no exponent, no trailing zeros (a float, only
    ever a computed share and never a filed figure, as its shortest form)."""
    if value is None:
        return "null"
    return decimal_text(Decimal(str(value)) if isinstance(value, float) else value)


def exact(value: Decimal | int | str | None) -> Decimal | int | None:
    """A stored figure as the exact decimal it stands for (a decimal text, as SQLite keeps it, becomes one).

    Figures are stored exactly on both backends (``store.columns.ExactDecimal``): nothing is rounded here."""
    if value is None or isinstance(value, (int, Decimal)):
        return value
    if isinstance(value, float):  # never a stored figure: a binary double has lost the filed digits already
        raise TypeError("a figure must never pass through a binary float")
    return Decimal(value)


def _scaled(value: Decimal | int | str, unit: str) -> Decimal:
    """A figure in the unit people read: a rate (a fraction) as a percentage."""
    return EXACT.multiply(Decimal(value), 100) if unit == "rate" else Decimal(value)


def places(unit: str, *figures: Decimal | int | str | None) -> int:
    """The decimal places the most precise of ``figures`` needs, as people read them (trailing zeros dropped):
    the figures of one finding are written with as many each, so that 4.99% reads against 5.00%, not 5%."""
    most = 0
    for figure in figures:
        if figure is not None:
            exponent = _scaled(figure, unit).normalize(EXACT).as_tuple().exponent
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


def _decimal_text(value: Decimal | int | None) -> str | None:
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
