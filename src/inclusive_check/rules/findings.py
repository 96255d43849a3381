"""The one way a rule describes its findings: ``finding(...)`` one at a time, or ``from_select(...)`` for a set.

``evaluate`` returns ``Findings``. A rule that judges in Python decorates its generator of ``finding(...)``
with ``@one_by_one``; a rule whose findings are most of a market's (one per product) returns
``from_select(query, submission_id=..., subject=..., status=..., ...)`` and the engine stores its rows with one
``INSERT ... SELECT``, no Python per row. Either way this module labels the columns, cuts texts to the sizes of
the ``findings`` columns (read from the table, so that a wider column needs no rule edit) and checks types:
statuses in ``STATUSES``, numbers as ``Decimal`` or ``int`` (never float: a rate must stay exact), required
fields present. A finding that breaks this raises ``MalformedFinding``; the engine reports it as a crash of the
rule, named.

Numbers in, text out: a figure goes into ``value`` (what was filed), ``threshold`` (what it is held to),
``reference`` (a second filed figure a text names) and ``margin`` (the distance to the threshold), all in one
``unit`` (``UNITS``). A text that shows a figure names it as ``{value}``, ``{threshold}`` or ``{reference}``;
results fill it in when a run is read, formatted for the unit and the language (``inclusive_check.figures``).
Texts that are facts rather than figures (dates, names, quarters, lists of missing fields, a count that is part
of a sentence) are written out by the rule and stored as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import wraps
from typing import Any, ParamSpec

from sqlalchemy import Case, Numeric, Select, String, cast, func, literal, null
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.sqltypes import Integer, NullType

from ..store import tables as t
from .statuses import STATUSES, Status

UNITS = ("", "rate", "pct", "count", "cny", "days", "months")
TEXTS = ("subject", "key", "expected", "actual")
NUMBERS = ("value", "threshold", "reference", "margin")
REQUIRED = ("submission_id", "subject", "status", "expected", "actual")
FIELDS = (*REQUIRED, "key", "product_id", *NUMBERS, "unit", "ordinal")


def _size(name: str) -> int:
    length = getattr(t.findings.c[name].type, "length", None)
    assert length, f"findings.{name} has no length"
    return int(length)


SIZES: dict[str, int] = {name: _size(name) for name in TEXTS}


class MalformedFinding(ValueError):
    """A rule described a finding that the findings table cannot hold as meant (a bug in the rule)."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One judged subject, as stored (texts already cut to their columns)."""

    submission_id: int
    subject: str
    status: Status
    expected: str
    actual: str
    margin: Decimal | int | None = None
    key: str = ""
    product_id: int | None = None
    value: Decimal | int | None = None
    threshold: Decimal | int | None = None
    reference: Decimal | int | None = None
    unit: str = ""


def _number(name: str, value: Any) -> Decimal | int | None:
    if value is None or isinstance(value, Decimal) or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise MalformedFinding(f"{name} must be a Decimal or an int, not {type(value).__name__} ({value!r})")


def finding(
    submission_id: int,
    subject: str,
    status: str,
    expected: str,
    actual: str,
    *,
    margin: Decimal | int | None = None,
    key: str = "",
    product_id: int | None = None,
    value: Decimal | int | None = None,
    threshold: Decimal | int | None = None,
    reference: Decimal | int | None = None,
    unit: str = "",
) -> Finding:
    """A finding, checked: see the module's docstring."""
    if status not in STATUSES:
        raise MalformedFinding(f"status {status!r} is not one of {', '.join(STATUSES)}")
    if not isinstance(submission_id, int):
        raise MalformedFinding(f"submission_id must be an int, not {type(submission_id).__name__}")
    if unit not in UNITS:
        raise MalformedFinding(f"unit {unit!r} is not one of {', '.join(map(repr, UNITS))}")
    texts = {"subject": subject, "key": key, "expected": expected, "actual": actual}
    for name, text in texts.items():
        if not isinstance(text, str):
            raise MalformedFinding(f"{name} must be text, not {type(text).__name__} ({text!r})")
        if len(text) > SIZES[name]:
            texts[name] = text[: SIZES[name]]
    numbers = {
        name: _number(name, v)
        for name, v in (("margin", margin), ("value", value), ("threshold", threshold), ("reference", reference))
    }
    return Finding(
        submission_id,
        texts["subject"],
        status,
        texts["expected"],
        texts["actual"],
        numbers["margin"],
        texts["key"],
        product_id,
        numbers["value"],
        numbers["threshold"],
        numbers["reference"],
        unit,
    )


class Findings:
    """What ``evaluate`` returns: findings made one by one in Python (``rows``), or a labelled SELECT (``query``)
    whose columns are ``FIELDS``, stored by the database alone in (submission_id, ordinal) order."""

    __slots__ = ("query", "rows")

    def __init__(self, rows: Iterable[Finding] | None = None, query: Select[Any] | None = None) -> None:
        if (rows is None) == (query is None):
            raise MalformedFinding("Findings takes either rows or a query")
        self.rows, self.query = rows, query

    def checked_rows(self) -> Iterator[Finding]:
        """The rows, each checked to be a ``Finding`` (a rule that yields anything else is named by the engine)."""
        for row in self.rows or ():
            if not isinstance(row, Finding):
                raise MalformedFinding(f"yielded a {type(row).__name__}, not a finding(...)")
            yield row


P = ParamSpec("P")


def one_by_one(evaluate: Callable[P, Iterable[Finding]]) -> Callable[P, Findings]:
    """For an ``evaluate`` that yields ``finding(...)``s: it returns them as ``Findings``."""

    @wraps(evaluate)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> Findings:
        return Findings(evaluate(*args, **kwargs))

    return wrapped


def _kind(expr: Any) -> str:
    affinity = getattr(getattr(expr, "type", None), "_type_affinity", None)
    if affinity is None or affinity is NullType:
        return "unknown"
    if issubclass(affinity, String):
        return "text"
    if issubclass(affinity, Numeric | Integer):
        return "number"
    return "other"


def _check_statuses(expr: Any) -> None:
    """The statuses a CASE (or a literal) can give must be ``STATUSES``."""
    results = [r for _, r in expr.whens] + [expr.else_] if isinstance(expr, Case) else [expr]
    for result in results:
        if isinstance(result, BindParameter) and result.value not in STATUSES:
            raise MalformedFinding(f"status {result.value!r} is not one of {', '.join(STATUSES)}")


def from_select(
    query: Select[Any],
    *,
    submission_id: Any,
    subject: Any,
    status: Any,
    expected: Any,
    actual: Any,
    ordinal: Any,
    key: Any = "",
    product_id: Any = None,
    value: Any = None,
    threshold: Any = None,
    reference: Any = None,
    margin: Any = None,
    unit: str = "",
) -> Findings:
    """Findings as a set: ``query`` (its FROM and WHERE) with these SQL expressions as the columns.

    Texts are cut to their columns in SQL; numbers must be numeric expressions or exact constants (or None);
    ``unit`` is one for all rows. Rows are stored in (submission_id, ordinal) order: pass the product's position, say.
    """
    if unit not in UNITS:
        raise MalformedFinding(f"unit {unit!r} is not one of {', '.join(map(repr, UNITS))}")
    columns: dict[str, Any] = {
        "submission_id": submission_id,
        "subject": subject,
        "status": status,
        "expected": expected,
        "actual": actual,
        "key": key,
        "product_id": product_id,
        "value": value,
        "threshold": threshold,
        "reference": reference,
        "margin": margin,
        "ordinal": ordinal,
    }
    labelled = []
    for name, expr in columns.items():
        if expr is None:
            if name in REQUIRED or name == "ordinal":
                raise MalformedFinding(f"{name} is required")
            # typed: PostgreSQL will not put an untyped NULL into a NUMERIC column through INSERT ... SELECT
            expr = cast(null(), Integer() if name == "product_id" else Numeric())
        elif isinstance(expr, str):
            expr = literal(expr[: SIZES[name]] if name in SIZES else expr, String())
        elif isinstance(expr, Decimal | int) and not isinstance(expr, bool):
            expr = literal(expr, Numeric() if isinstance(expr, Decimal) else Integer())
        elif not hasattr(expr, "label"):
            raise MalformedFinding(f"{name} must be an SQL expression or a constant, not {type(expr).__name__}")
        kind = _kind(expr)
        if name in NUMBERS and kind not in ("number", "unknown"):
            raise MalformedFinding(f"{name} must be a number, not {kind}")
        if name in TEXTS or name == "status":
            if kind not in ("text", "unknown"):
                raise MalformedFinding(f"{name} must be text, not {kind}")
            if name in TEXTS and not isinstance(columns[name], str):
                expr = func.substr(expr, 1, SIZES[name])
        if name == "status":
            _check_statuses(expr)
        labelled.append(expr.label(name))
    labelled.append(literal(unit).label("unit"))
    return Findings(query=query.with_only_columns(*labelled))
