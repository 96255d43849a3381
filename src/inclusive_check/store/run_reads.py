"""The results read model: every query ``results.py`` and ``reports/`` make of a stored run, returning typed rows.

Reports and ``results.py`` import nothing of ``store.tables``; what they read of the database comes through here.
A finding's outcome is decided here, once, in SQL (``OUTCOME``): a failure of an encouraged obligation is
``not_covered`` (it counts in the score as a failure does, but is no breach), every other status is as stored.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, and_, case, func, not_, or_, select

from . import tables as t
from .queries import OF_THE_STORE, insurer_names_as_filed

_f = t.findings.c
NOT_COVERED = "not_covered"
# A failure filed under the encouraged strength: not covered, never a failure.
_ENCOURAGED_FAIL = and_(_f.status == "fail", _f.strength == "encouraged")
OUTCOME = case((_ENCOURAGED_FAIL, NOT_COVERED), else_=_f.status).label("outcome")
# Statuses as stored that need attention or were waived (a list, not NOT IN: the findings index's status column
# then filters rows unread); the outcome not_covered is stored as fail, so it is listed with them.
_NOT_CLOSED = ("fail", "indeterminate", "waived")


def outcome_of(status: str, strength: str) -> str:
    """``OUTCOME`` for one stored finding read elsewhere (the same decision, in Python)."""
    return NOT_COVERED if status == "fail" and strength == "encouraged" else status


def _with_outcome(status: str) -> ColumnElement[bool]:
    """The findings whose outcome is ``status``."""
    if status == NOT_COVERED:
        return _ENCOURAGED_FAIL
    if status == "fail":
        return and_(_f.status == "fail", _f.strength != "encouraged")
    return _f.status == status


@dataclass(frozen=True, slots=True)
class RunRow:
    id: int
    ruleset_id: str
    ruleset_version: str
    ruleset_sha256: str
    ruleset_text: str
    tool_version: str
    as_of: date
    started_at: datetime
    finished_at: datetime | None
    texts: str | None


@dataclass(frozen=True, slots=True)
class DocumentRow:
    """A document a run checked, under the insurer name it was filed with."""

    id: int
    insurer_code: str
    insurer_name: str
    kind: str
    period: str | None
    document_key: str
    revision: int
    source: str
    sha256: str
    binding_date: date
    warnings: list[str]
    context_submission_id: int | None


@dataclass(frozen=True, slots=True)
class ScoreRow:
    submission_id: int
    compliance: Decimal | None
    blocking: bool
    variety: Decimal | None
    coverage: Decimal | None
    protection: Decimal | None
    service: Decimal | None
    breakdown: dict[str, Any]


@dataclass(frozen=True, slots=True)
class DispensationRow:
    record: dict[str, Any]
    status: str
    covered: int
    expires: date


@dataclass(frozen=True, slots=True)
class ClosedCount:
    """A document's passing or not-applicable findings of one rule, counted, not listed."""

    submission_id: int
    rule_id: str
    clause: int
    status: str
    count: int


# Passing and not-applicable findings counted, not listed: submission id -> its counts per rule and status.
ClosedCounts = dict[int, list[ClosedCount]]


def run(conn: Connection, run_id: int) -> RunRow | None:
    r = t.runs.c
    row = conn.execute(
        select(
            r.id,
            r.ruleset_id,
            r.ruleset_version,
            r.ruleset_sha256,
            r.ruleset_text,
            r.tool_version,
            r.as_of,
            r.started_at,
            r.finished_at,
            r.texts,
        ).where(r.id == run_id)
    ).first()
    return None if row is None else RunRow(**row._mapping)


def run_texts(conn: Connection, run_id: int) -> str | None:
    """The texts run ``run_id`` stored (``run_texts``; None: stored before 0007, or no such run)."""
    text: str | None = conn.execute(select(t.runs.c.texts).where(t.runs.c.id == run_id)).scalar()
    return text


def documents(conn: Connection, run_id: int, insurer: str | None = None) -> list[DocumentRow]:
    """The documents run ``run_id`` checked (optionally one insurer's), by insurer, kind and key."""
    s, rs, i = t.submissions.c, t.run_submissions.c, t.insurers.c
    query = (
        select(
            s.id,
            s.insurer_id,
            s.kind,
            s.period,
            s.document_key,
            s.revision,
            s.source,
            s.sha256,
            i.code,
            i.name,
            rs.binding_date,
            rs.warnings,
            rs.context_submission_id,
        )
        .join(t.run_submissions, rs.submission_id == s.id)
        .join(t.insurers, i.id == s.insurer_id)
        .where(rs.run_id == run_id)
    )
    if insurer:
        query = query.where(i.code == insurer)
    rows = conn.execute(query.order_by(i.code, s.kind.desc(), s.document_key)).all()
    # Each document under the insurer name it was filed with (a later revision's new name rewrites no old run).
    as_filed = insurer_names_as_filed(
        conn, [(r.id, r.insurer_id, r.code, r.id if r.kind == "submission" else r.context_submission_id) for r in rows]
    )
    return [
        DocumentRow(
            r.id,
            r.code,
            as_filed.get(r.id, r.name),
            r.kind,
            r.period,
            r.document_key,
            r.revision,
            r.source,
            r.sha256,
            r.binding_date,
            json.loads(r.warnings),
            r.context_submission_id,
        )
        for r in rows
    ]


def findings(conn: Connection, run_id: int, status: str | None = None, include_passes: bool = True) -> Iterator[Any]:
    """Run ``run_id``'s findings with the product each is about (``product_*``) and its ``outcome``, by document;
    ``status``: of that outcome only; ``include_passes=False``: open, not covered and waived only. Rows of the
    findings table (read by ``figures.finding_item``), streamed."""
    p = t.products.c
    query = (
        select(
            t.findings,
            OUTCOME,
            p.pointer.label("product_pointer"),
            p.code.label("product_code"),
            p.name.label("product_name"),
            p.position.label("product_position"),
            p.dedicated_inclusive.label("product_dedicated"),
        )
        .outerjoin(t.products, p.id == _f.product_id)
        .where(t.held_by(t.findings, run_id))
        .order_by(_f.submission_id, _f.id)
    )
    if status:
        query = query.where(_with_outcome(status))
    elif not include_passes:
        query = query.where(_f.status.in_(_NOT_CLOSED))
    yield from conn.execute(query)


def outcome_counts(conn: Connection, run_id: int, documents: Sequence[int]) -> tuple[Counter[str], Counter[str]]:
    """Findings of ``documents`` by outcome, and the open ones (fail, indeterminate) by severity.

    Statuses are counted from the findings' index alone; the failures among them then by strength (only they are
    read), so that the not covered are counted apart at the cost of the failures, not of every finding."""
    mine = (t.held_by(t.findings, run_id), _f.submission_id.in_(documents))
    statuses: Counter[str] = Counter(
        dict(conn.execute(select(_f.status, func.count()).where(*mine).group_by(_f.status)).all())
    )
    if statuses.get("fail"):
        not_covered = int(conn.execute(select(func.count()).where(*mine, _ENCOURAGED_FAIL)).scalar_one())
        if not_covered:
            statuses["fail"] -= not_covered
            statuses[NOT_COVERED] = not_covered
            if not statuses["fail"]:
                del statuses["fail"]
    open_ = or_(_f.status == "indeterminate", and_(_f.status == "fail", not_(_f.strength == "encouraged")))
    severities: Counter[str] = Counter(
        dict(conn.execute(select(_f.severity, func.count()).where(*mine, open_).group_by(_f.severity)).all())
    )
    return statuses, severities


def scores(conn: Connection, run_id: int) -> Iterator[ScoreRow]:
    sc = t.scores.c
    query = select(
        sc.submission_id, sc.compliance, sc.blocking, sc.variety, sc.coverage, sc.protection, sc.service, sc.breakdown
    ).where(t.held_by(t.scores, run_id))
    for row in conn.execute(query):
        yield ScoreRow(**{**row._mapping, "breakdown": json.loads(row.breakdown)})


def judged(conn: Connection, run_id: int, documents: Iterable[int]) -> int:
    """How many of ``documents`` the run judged itself (not taken over from an earlier run)."""
    rs = t.run_submissions.c
    mine = (rs.run_id == run_id, rs.findings_run_id == run_id, rs.submission_id.in_(list(documents)))
    return int(conn.execute(select(func.count()).where(*mine)).scalar_one())


def dispensations(conn: Connection, run_id: int) -> list[DispensationRow]:
    """Every dispensation the run considered, as it was applied, in the order it considered them."""
    rd = t.run_dispensations.c
    query = select(rd.record, rd.status, rd.covered, rd.expires).where(rd.run_id == run_id).order_by(rd.id)
    return [DispensationRow(json.loads(r.record), r.status, r.covered, r.expires) for r in conn.execute(query)]


def document_text(conn: Connection, submission_id: int) -> str | None:
    """The stored text of a document, as filed."""
    d = t.documents.c
    text: str | None = conn.execute(select(d.raw).where(d.submission_id == submission_id)).scalar()
    return text


def product_offsets(conn: Connection, submission_id: int, positions: set[int]) -> dict[str, dict[int, int]]:
    """Where the products at ``positions`` and the last product stand in the document's text (as ingest found
    them, ``products.source_offset``), for the walk to go straight to them; empty when any is not known (YAML,
    or stored before 0008): the walk then passes every product before them."""
    p = t.products.c
    # The last position from the (submission, dedicated, position) index, one probe per dedicated value.
    last = max(
        conn.execute(
            select(func.max(p.position)).where(p.submission_id == submission_id, p.dedicated_inclusive.is_(flag))
        ).scalar()
        or 0
        for flag in (True, False)
    )
    pointers = [f"/products/{i}" for i in {*positions, last}]  # by the (submission, pointer) index
    rows = conn.execute(
        select(p.position, p.source_offset).where(p.submission_id == submission_id, p.pointer.in_(pointers))
    ).all()
    known = {row.position: row.source_offset for row in rows}
    return {} if None in known.values() else {"/products": known}


def closed_counts(
    conn: Connection, run_id: int, documents: Iterable[int], clause_of: Callable[[str], int]
) -> ClosedCounts:
    """Each document's passing and not-applicable findings counted per rule and status, from the findings index
    (``clause_of``: rule ID -> its guidance item)."""
    counts: ClosedCounts = {sid: [] for sid in documents}
    # Grouped by the columns of the findings' (run, submission, rule, status) index alone: counted from the index.
    query = (
        select(_f.submission_id, _f.rule_id, _f.status, func.count())
        .where(t.held_by(t.findings, run_id), _f.status.in_(("pass", "not_applicable")))
        .group_by(_f.submission_id, _f.rule_id, _f.status)
    )
    for submission_id, rule_id, status, n in conn.execute(query):
        if submission_id in counts:
            counts[submission_id].append(ClosedCount(submission_id, rule_id, clause_of(rule_id), status, n))
    return counts


def last_two_runs(engine: Engine) -> list[int]:
    """The ids of the last two runs of the stored documents, latest first (fewer when fewer are stored)."""
    r = t.runs.c
    with engine.connect() as conn:
        return [int(i) for i in conn.execute(select(r.id).where(OF_THE_STORE).order_by(r.id.desc()).limit(2)).scalars()]
