"""What every rule module provides, and the shared pieces of their queries.

A rule is a small module: ``ID``, ``CLAUSE`` (the guidance item), ``KINDS``, ``TITLE`` (en, zh),
``MESSAGES`` per status, a pydantic ``Params`` and ``evaluate``. Its strength (mandatory, principle,
encouraged, flag) and the severity of its findings are policy, stated dated in the ruleset. ``evaluate`` runs
one set-based query that judges every subject of every submission in a run's scope and returns ``Findings``
(``rules.findings``): one ``finding(...)`` per subject, or, for a per-product rule whose findings are most of
a market's, the labelled SELECT itself (``from_select``), stored with one ``INSERT ... SELECT``. The
judgement (the status) is made in SQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict
from sqlalchemy import (
    ColumnElement,
    Connection,
    Text,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    or_,
    select,
    true,
)

from ..store import tables as t
from .findings import Finding, Findings, finding
from .statuses import STATUSES as STATUSES
from .statuses import STRENGTHS as STRENGTHS
from .statuses import Status as Status
from .statuses import Strength as Strength


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NoParams(Params):
    pass


@dataclass(frozen=True)
class Scope:
    """The submissions a run judges, restricted to one stretch of binding dates."""

    run_id: int
    start: date | None
    end: date | None
    in_force_from: date | None = None  # when the obligation itself took effect, for this stretch

    def where(self, rs: Any = t.run_submissions.c) -> ColumnElement[bool]:
        # Only the documents this run judges itself (not those whose findings it takes over from an earlier run).
        cond: list[ColumnElement[bool]] = [rs.run_id == self.run_id, rs.findings_run_id == self.run_id]
        if self.start is not None:
            cond.append(rs.binding_date >= self.start)
        if self.end is not None:
            cond.append(rs.binding_date < self.end)
        return and_(*cond)


class RuleModule(Protocol):
    """What a rule module provides (read-only, so that each module's narrower types fit)."""

    @property
    def ID(self) -> str: ...
    @property
    def CLAUSE(self) -> int: ...
    @property
    def KINDS(self) -> tuple[str, ...]: ...  # the document kinds the rule judges
    @property
    def TITLE(self) -> dict[str, str]: ...
    @property
    def MESSAGES(self) -> dict[str, dict[str, str]]: ...
    @property
    def Params(self) -> type[BaseModel]: ...
    @property
    def __doc__(self) -> str | None: ...  # type: ignore[override]

    def evaluate(self, conn: Connection, scope: Scope, params: Any, /) -> Findings: ...


def submission_scope(scope: Scope) -> Any:
    """A select over the submissions (kind 'submission', not filings) in scope."""
    return (
        select(t.submissions)
        .join(t.run_submissions, t.run_submissions.c.submission_id == t.submissions.c.id)
        .where(scope.where(), t.submissions.c.kind == "submission")
    )


def status_case(passed: ColumnElement[bool], indeterminate: ColumnElement[bool] | None = None) -> Any:
    whens: list[tuple[ColumnElement[bool], str]] = []
    if indeterminate is not None:
        whens.append((indeterminate, "indeterminate"))
    whens.append((passed, "pass"))
    return case(*whens, else_="fail").label("status")


def all_true(*columns: Any) -> ColumnElement[bool]:
    return and_(*[c.is_(True) for c in columns])


def flag_findings(conn: Connection, scope: Scope, fields: dict[str, str]) -> Iterator[Finding]:
    """Submission-level rules that require every named boolean field to be true.

    ``fields`` maps a column of ``submissions`` to the JSON Pointer of the field in the document.
    """
    columns = [t.submissions.c[name] for name in fields]
    query = submission_scope(scope).with_only_columns(t.submissions.c.id, status_case(all_true(*columns)), *columns)
    expected = " and ".join(f"{ptr} = true" for ptr in fields.values())
    for row in conn.execute(query):
        values = dict(zip(fields.values(), row[2:], strict=True))
        false_ones = [ptr for ptr, v in values.items() if not v]
        subject = _common_parent(list(fields.values()) if row.status == "pass" else false_ones)
        actual = "all true" if row.status == "pass" else ", ".join(f"{p} = false" for p in false_ones)
        yield finding(row.id, subject, row.status, expected, actual)


def _common_parent(pointers: list[str]) -> str:
    if len(pointers) == 1:
        return pointers[0]
    parts = [p.split("/") for p in pointers]
    common = []
    for level in zip(*parts, strict=False):
        if len(set(level)) != 1:
            break
        common.append(level[0])
    return "/".join(common)


def judged_on_sale(scope: Scope) -> tuple[ColumnElement[bool], Any, Any]:
    """Whether a dedicated product is judged by a per-product rule (items 8 and 12), and if not, why.

    A submission's product is judged when it was on sale on some day of the reporting period on or after
    the obligation's in-force date; a filed product unless its sale window closed before that date. Returns
    the condition and the ``expected`` and ``actual`` texts of a ``not_applicable`` finding. Needs
    ``t.products`` and ``t.submissions`` (the product's document) in the query.
    """
    pr, s = t.products.c, t.submissions.c
    since = scope.in_force_from
    after_in_force = true() if since is None else pr.sale_end >= since
    in_period = and_(
        s.kind == "submission",
        pr.sale_start <= s.period_end,
        or_(pr.sale_end.is_(None), and_(pr.sale_end >= s.period_start, after_in_force)),
    )
    filed = and_(s.kind == "product_filing", or_(pr.sale_end.is_(None), after_in_force))
    window = "on sale " + cast(pr.sale_start, Text) + " to " + func.coalesce(cast(pr.sale_end, Text), "open")
    start = s.period_start if since is None else case((s.period_start >= since, s.period_start), else_=literal(since))
    actual = case(
        (s.kind == "product_filing", window + f"; the sale ended before {since}"),
        else_=window + "; not on sale between " + cast(start, Text) + " and " + cast(s.period_end, Text),
    )
    expected = literal("on sale in the period" + ("" if since is None else f" on or after {since}"))
    return or_(in_period, filed), expected, actual


def channel_used(channels: Iterable[str], column: Any = None) -> ColumnElement[bool]:
    """True when a product's stored ",a,b," channel list contains any of ``channels``."""
    column = t.products.c.channels if column is None else column
    names = list(channels)
    return or_(*[column.like(f"%,{c},%") for c in names]) if names else false()


def inclusive_product() -> ColumnElement[bool]:
    """True for an inclusive product (item 11's reach): dedicated, or naming a target group or a risk area."""
    pr = t.products.c
    return or_(pr.dedicated_inclusive.is_(True), pr.target_group_count > 0, pr.risk_areas != "")


def sells_inclusive(channels: Iterable[str] | None = None) -> ColumnElement[bool]:
    """True when the submission in the query sells an inclusive product (through one of ``channels``, if given)."""
    pr, s = t.products.c, t.submissions.c
    through = true() if channels is None else channel_used(channels)
    return select(pr.id).where(pr.submission_id == s.id, inclusive_product(), through).exists()
