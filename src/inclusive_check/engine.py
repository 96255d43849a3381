"""Runs: choose the stored submissions, bind the ruleset to each one's period, let every rule judge
them all at once in SQL, store the findings, apply the dispensations, then score.

A single file in CI takes this same path through an in-memory SQLite database.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from types import CodeType
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Connection,
    Engine,
    Select,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    update,
)

from . import __version__
from .periods import period_bounds
from .rules.base import STATUSES, RuleModule, Scope
from .rules.findings import Finding, Findings, MalformedFinding, finding
from .ruleset import Ruleset, Segment
from .run_texts import capture
from .store import tables as t
from .store.columns import figure_text as _text
from .store.db import fault_message, refresh_statistics, writing

if TYPE_CHECKING:
    from .contract.dispensations import Dispensation

# The order of severities (for --fail-on). Which severity a finding has is policy: the ruleset's severity
# table and rules' overrides, bound per segment (ruleset.Ruleset.severities).
SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}
Step = Callable[[str], None] | None  # called after each step of a run (progress on a terminal)
_BATCH = 20_000


class RuleCrash(Exception):
    """A rule raised: a bug in the rule, reported with its ID rather than swallowed."""

    def __init__(self, rule_id: str, error: BaseException) -> None:
        super().__init__(f"rule {rule_id} failed: {type(error).__name__}: {error}")
        self.rule_id = rule_id


class NothingToCheck(Exception):
    """The selection matched no stored document: the run is rolled back, so that no empty run is stored."""


class OutOfScope(NothingToCheck):
    """Every selected document lies outside the scope of the run's overlay; the message says whose scope."""


@dataclass(frozen=True)
class Selection:
    """What a run checks: the latest revision of each stored document, of ``insurer`` when given and, with
    ``period`` (a year or a quarter), of every document whose period lies within it: for "2025" the annual and
    the quarterly 2025 submissions and the filings filed in 2025; for "2025-Q4" the 2025-Q4 submissions and
    the filings filed in that quarter (an annual submission only overlaps a quarter: ``store.queries.
    straddling`` names those left out). Or exactly ``submission_ids`` (`check`)."""

    insurer: str | None = None
    period: str | None = None
    submission_ids: tuple[int, ...] | None = None

    def as_json(self) -> str:
        return json.dumps(
            {
                "insurer": self.insurer,
                "period": self.period,
                "submission_ids": list(self.submission_ids) if self.submission_ids else None,
            }
        )


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _select_scope(conn: Connection, run_id: int, selection: Selection) -> None:
    """Record what the run checks: the latest revision of each selected document, with its insurer context."""
    s, c = t.submissions.c, t.submissions.alias("context")
    context = (
        select(c.c.id)
        .where(c.c.insurer_id == s.insurer_id, c.c.kind == "submission", c.c.is_latest.is_(True))
        .order_by(c.c.period_end.desc(), c.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    # A submission is its own insurer context; a filing takes its insurer's latest stored submission.
    own_or_latest = case((s.kind == "submission", s.id), else_=context)
    chosen = select(literal(run_id), s.id, own_or_latest, s.period_end, literal("[]"), literal(run_id))
    if selection.submission_ids is not None:
        chosen = chosen.where(s.id.in_(selection.submission_ids))
    else:
        chosen = chosen.where(s.is_latest.is_(True))
    if selection.insurer:
        chosen = chosen.join(t.insurers, t.insurers.c.id == s.insurer_id).where(t.insurers.c.code == selection.insurer)
    if selection.period:  # every document whose period lies within it (see Selection)
        start, end = period_bounds(selection.period)
        chosen = chosen.where(s.period_start >= start, s.period_end <= end)
    conn.execute(
        insert(t.run_submissions).from_select(
            ["run_id", "submission_id", "context_submission_id", "binding_date", "warnings", "findings_run_id"], chosen
        )
    )


def keep_in_scope(conn: Connection, run_id: int, ruleset: Ruleset) -> None:
    """An overlay's run judges only the documents of the insurers its authority supervises (``overlay.in_scope``:
    listed, or reporting business in a listed region, by their insurer context); nothing to do without one."""
    from .overlay import in_scope

    if ruleset.data.overlay is None:
        return
    rs, s, i, sr = t.run_submissions.c, t.submissions.c, t.insurers.c, t.submission_regions.c
    rows = conn.execute(
        select(rs.id, i.code, sr.region)
        .join(t.submissions, s.id == rs.submission_id)
        .join(t.insurers, i.id == s.insurer_id)
        .outerjoin(t.submission_regions, sr.submission_id == func.coalesce(rs.context_submission_id, s.id))
        .where(rs.run_id == run_id)
    ).all()
    seen: dict[int, tuple[str, list[str]]] = {}
    for row_id, code, region in rows:
        seen.setdefault(row_id, (code, []))[1].extend([region] if region else [])
    out = [
        row_id for row_id, (code, regions) in seen.items() if not in_scope(ruleset.data.overlay.scope, code, regions)
    ]
    for start in range(0, len(out), 1000):
        conn.execute(delete(t.run_submissions).where(rs.id.in_(out[start : start + 1000])))
    if seen and len(out) == len(seen):
        scope = ruleset.data.overlay.scope
        raise OutOfScope(
            f"nothing to check: no selected document is in the scope of overlay {ruleset.id} (insurers "
            f"{', '.join(scope.insurers) or '-'}; regions {', '.join(scope.regions) or '-'}); no run was stored"
        )


def _flag_stale(conn: Connection, run_id: int, ruleset: Ruleset) -> None:
    """Warnings of every document of the run: a partial ruleset (all of them), a ruleset maybe out of date."""
    partial = [ruleset.partial_warning] if ruleset.partial_warning else []
    if partial:
        conn.execute(
            update(t.run_submissions).where(t.run_submissions.c.run_id == run_id).values(warnings=json.dumps(partial))
        )
    reviewed = ruleset.data.reviewed_to
    warning = json.dumps(
        [
            *partial,
            f"ruleset {ruleset.id} {ruleset.version} was last reviewed against the law up "
            f"to {reviewed}; this period ends later, so the ruleset may be out of date",
        ]
    )
    conn.execute(
        update(t.run_submissions)
        .where(t.run_submissions.c.run_id == run_id, t.run_submissions.c.binding_date > reviewed)
        .values(warnings=warning)
    )


@cache
def _code_digest() -> str:
    """A digest of this package's code: a run takes over no findings that other code stored."""
    digest = hashlib.sha256(__version__.encode())
    root = Path(__file__).parent
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _rules_digest(ruleset: Ruleset) -> str:
    """What judges a document besides its facts: the ruleset, the code, the rules' evaluations and texts."""
    digest = hashlib.sha256(f"{ruleset.sha256}\0{_code_digest()}\0{capture(ruleset.rules())}".encode())
    for rule in ruleset.rules():  # the evaluation itself (one replaced in a process leaves the files as they are)
        code = getattr(rule.evaluate, "__code__", None)
        digest.update(_code_bytes(code) if code is not None else repr(rule.evaluate).encode())
    return digest.hexdigest()


def _code_bytes(code: CodeType) -> bytes:
    """A function's code as bytes that stay the same across processes (``marshal``'s output does not)."""
    consts = (_code_bytes(c) if isinstance(c, CodeType) else repr(c).encode() for c in code.co_consts)
    return b"\0".join([code.co_code, repr(code.co_names).encode(), *consts])


def reuse_keys(
    conn: Connection, run_id: int, ruleset: Ruleset, as_of: date, dispensations: Sequence[Dispensation]
) -> None:
    """Give each document of the run a digest of everything its findings and score depend on: the rules (see
    ``_rules_digest``), the document, its insurer context, its binding date, and the dispensations that can
    touch it (its insurer's, of its period or of none) with whether each has expired at ``as_of``."""
    rs, s, i = t.run_submissions.c, t.submissions.c, t.insurers.c
    rules = _rules_digest(ruleset)
    rows = conn.execute(
        select(rs.id, rs.submission_id, rs.context_submission_id, rs.binding_date, i.code, s.period)
        .join(t.submissions, s.id == rs.submission_id)
        .join(t.insurers, i.id == s.insurer_id)
        .where(rs.run_id == run_id)
    ).all()
    keys = []
    for row in rows:
        touching = [
            [d.as_dict(), d.expires < as_of]
            for d in dispensations
            if d.insurer == row.code and (d.period is None or d.period == row.period)
        ]
        inputs = [rules, row.submission_id, row.context_submission_id, row.binding_date.isoformat(), touching]
        key = hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode()).hexdigest()
        keys.append({"row": row.id, "key": key})
    if keys:
        by_row = update(t.run_submissions).where(rs.id == bindparam("row")).values(reuse_key=bindparam("key"))
        conn.execute(by_row, keys)


def take_over(conn: Connection, run_id: int) -> int:
    """Each document whose ``reuse_key`` an earlier run judged takes that run's findings, score and warnings
    instead of being judged again; the number taken over."""
    rs, prev = t.run_submissions.c, t.run_submissions.alias("prev").c
    source = t.run_submissions.alias("source")
    latest = select(func.max(prev.run_id)).where(prev.reuse_key == rs.reuse_key, prev.run_id < run_id)
    found = conn.execute(
        select(rs.id.label("row"), source.c.findings_run_id.label("held_by"), source.c.warnings.label("held_warnings"))
        .select_from(t.run_submissions)
        .join(source, and_(source.c.reuse_key == rs.reuse_key, source.c.run_id == latest.scalar_subquery()))
        .where(rs.run_id == run_id)
    ).all()
    if found:
        conn.execute(
            update(t.run_submissions)
            .where(rs.id == bindparam("row"))
            .values(findings_run_id=bindparam("held_by"), warnings=bindparam("held_warnings")),
            [row._asdict() for row in found],
        )
    return len(found)


def _not_applicable(conn: Connection, scope: Scope, rule: RuleModule, reason: str) -> Iterator[Finding]:
    rs, s = t.run_submissions.c, t.submissions.c
    query = (
        select(rs.submission_id, rs.binding_date)
        .join(t.submissions, s.id == rs.submission_id)
        .where(scope.where(), s.kind.in_(rule.KINDS))
        .order_by(rs.submission_id)
    )
    for sid, on in conn.execute(query):
        yield finding(sid, "", "not_applicable", "a provision in force", reason.format(on=on))


FINDING_COLUMNS = (
    "run_id",
    "submission_id",
    "rule_id",
    "clause",
    "strength",
    "severity",
    "status",
    "subject",
    "key",
    "expected",
    "actual",
    "product_id",
    "value",
    "threshold",
    "reference",
    "unit",
    "margin",
    "dispensation_id",
)
# SQLite: rows go straight to the driver, as the values SQLAlchemy's bind processors would give it (the
# figures as decimal text, ``store.columns.decimal_text``); elsewhere through SQLAlchemy's insert, which
# batches them for the driver.
_QUOTED = ", ".join(f'"{c}"' for c in FINDING_COLUMNS)
_FINDINGS_SQL = f"INSERT INTO {t.findings.name} ({_QUOTED}) VALUES ({', '.join('?' * len(FINDING_COLUMNS))})"


def _finding_rows(
    run_id: int, rule: RuleModule, segment: Segment, findings: Iterable[Finding], native: bool = False
) -> Iterator[tuple[Any, ...]]:
    """One tuple per finding, in FINDING_COLUMNS order (``native``: figures as the decimal texts SQLite stores)."""
    rule_id, clause, strength, severities = rule.ID, rule.CLAUSE, segment.strength, segment.severities
    for f in findings:
        numbers = (
            (_text(f.value), _text(f.threshold), _text(f.reference)) if native else (f.value, f.threshold, f.reference)
        )
        yield (
            run_id,
            f.submission_id,
            rule_id,
            clause,
            strength,
            severities.get(f.status, "info"),
            f.status,
            f.subject,
            f.key,
            f.expected,
            f.actual,
            f.product_id,
            *numbers,
            f.unit,
            _text(f.margin) if native else f.margin,
            None,
        )


def _insert_batched(conn: Connection, rows: Iterator[tuple[Any, ...]], native: bool = False) -> int:
    count, batch = 0, []
    for row in rows:
        batch.append(row)
        if len(batch) >= _BATCH:
            _write_findings(conn, batch, native)
            count, batch = count + len(batch), []
    if batch:
        _write_findings(conn, batch, native)
        count += len(batch)
    return count


def _write_findings(conn: Connection, batch: list[tuple[Any, ...]], native: bool) -> None:
    if native:
        conn.exec_driver_sql(_FINDINGS_SQL, batch)
    else:
        conn.execute(insert(t.findings), [dict(zip(FINDING_COLUMNS, row, strict=True)) for row in batch])


def _insert_from_select(conn: Connection, run_id: int, rule: RuleModule, segment: Segment, query: Select[Any]) -> int:
    """Findings written by the database alone: ``INSERT INTO findings ... SELECT`` over a rule's query.

    The query is a ``from_select`` one (``rules.findings``): its columns are labelled, cut and checked there, and
    stored in ``(submission_id, ordinal)`` order. No Python runs per subject.
    """
    q = query.subquery()
    severities = case({s: segment.severities.get(s, "info") for s in STATUSES}, value=q.c.status, else_="info")
    rows = select(
        literal(run_id),
        q.c.submission_id,
        literal(rule.ID),
        literal(rule.CLAUSE),
        literal(segment.strength),
        severities,
        q.c.status,
        q.c.subject,
        q.c.key,
        q.c.expected,
        q.c.actual,
        q.c.product_id,
        q.c.value,
        q.c.threshold,
        q.c.reference,
        q.c.unit,
        q.c.margin,
        null(),
    ).order_by(q.c.submission_id, q.c.ordinal)
    return int(conn.execute(insert(t.findings).from_select(list(FINDING_COLUMNS), rows)).rowcount)


def evaluate_rules(
    conn: Connection, run_id: int, ruleset: Ruleset, rules: Sequence[RuleModule], on_rule: Step = None
) -> int:
    """``on_rule`` is called with each rule's ID once it has judged every document (progress)."""
    total, native = 0, conn.dialect.name == "sqlite"
    for rule in rules:
        for segment in ruleset.segments(rule):
            scope = Scope(run_id, segment.start, segment.end, segment.in_force_from)
            try:
                found = (
                    rule.evaluate(conn, scope, segment.params)
                    if segment.params is not None
                    else Findings(_not_applicable(conn, scope, rule, segment.reason))
                )
                if not isinstance(found, Findings):
                    raise MalformedFinding(
                        f"evaluate returned {type(found).__name__}, not Findings (see rules.findings)"
                    )
                if found.query is not None:
                    total += _insert_from_select(conn, run_id, rule, segment, found.query)
                else:
                    rows = _finding_rows(run_id, rule, segment, found.checked_rows(), native)
                    total += _insert_batched(conn, rows, native)
            except RuleCrash:
                raise
            except Exception as exc:  # a crashing rule is a bug: name it, never swallow it
                if fault_message(exc) is not None:  # the database failed (lost, locked, full): not the rule's fault
                    raise
                raise RuleCrash(rule.ID, exc) from exc
        if on_rule is not None:
            on_rule(rule.ID)
    return total


def apply_dispensations(conn: Connection, run_id: int, as_of: date, dispensations: Sequence[Dispensation]) -> None:
    """Waive the failures each live dispensation covers; record every dispensation's status for the run.

    A dispensation covers the failures of its rule in its insurer's documents (of its period, when it names
    one) at its subject or under it. Expiry is inclusive, judged at ``as_of``: an expired one leaves the
    failures standing and warns on each document they are in; one that covers nothing is ``unused``.
    Only the findings this run stored are changed: those it took over from an earlier run were waived there,
    on the same dispensations (the documents' ``reuse_key``), and are counted as they stand.
    """
    f, s, i, rs = t.findings.c, t.submissions.c, t.insurers.c, t.run_submissions.c
    rows = []
    for d in dispensations:
        insurer_docs = select(s.id).join(t.insurers, i.id == s.insurer_id).where(i.code == d.insurer)
        if d.period:
            insurer_docs = insurer_docs.where(s.period == d.period)
        # Only failures filed under the principle strength: the ruleset may change a rule's strength from a date.
        scope = [f.rule_id == d.rule, f.strength == "principle", f.submission_id.in_(insurer_docs)]
        if d.subject:
            scope.append(or_(f.subject == d.subject, f.subject.like(_like_prefix(d.subject), escape="\\")))
        mine = [f.run_id == run_id, f.status == "fail", *scope]
        taken_over = and_(f.status == "waived", f.dispensation_id == d.id)  # by this dispensation, in its run
        covered = int(
            conn.execute(
                select(func.count())
                .select_from(t.findings)
                .where(t.held_by(t.findings, run_id), *scope, or_(f.status == "fail", taken_over))
            ).scalar_one()
        )
        expired = d.expires < as_of
        if expired:
            status = "expired"
            affected = select(f.submission_id, func.count()).where(*mine).group_by(f.submission_id)
            for sid, n in conn.execute(affected).all():
                warning = (
                    f"dispensation {d.id} for {d.rule} expired on {d.expires.isoformat()}; "
                    f"{n} failure(s) it covered stand"
                )
                current = conn.execute(
                    select(rs.warnings).where(rs.run_id == run_id, rs.submission_id == sid)
                ).scalar_one()
                conn.execute(
                    update(t.run_submissions)
                    .where(rs.run_id == run_id, rs.submission_id == sid)
                    .values(warnings=json.dumps([*json.loads(current), warning], ensure_ascii=False))
                )
        elif covered:
            status = "applied"
            conn.execute(update(t.findings).where(*mine).values(status="waived", dispensation_id=d.id))
        else:
            status = "unused"
        rows.append(
            {
                "run_id": run_id,
                "dispensation_id": d.id,
                "status": status,
                "covered": covered,
                "expires": d.expires,
                "record": json.dumps(d.as_dict(), ensure_ascii=False),
            }
        )
    if rows:
        conn.execute(insert(t.run_dispensations), rows)


def _like_prefix(subject: str) -> str:
    """A LIKE pattern for the subjects under ``subject`` (``/products/1/...``, never ``/products/10``)."""
    escaped = subject.rstrip("/").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "/%"


def execute_run(
    engine: Engine,
    ruleset: Ruleset,
    selection: Selection,
    as_of: date,
    dispensations: Sequence[Dispensation] = (),
    incremental: bool = False,
    reusable: bool = True,
    on_step: Step = None,
) -> int:
    """Check the selected submissions; apply ``dispensations``; store findings and scores under a new run;
    return its id.

    ``incremental``: a document that an earlier run judged on the same inputs (``reuse_keys``) is not judged
    again; the new run holds that run's findings and score for it (``tables.held_by``), and is as complete.
    ``reusable``: record each document's key so that a later run can take its findings over (False for a
    database that is thrown away afterwards: `check`'s).
    One transaction: a run that fails (or matches nothing: ``NothingToCheck``) stores nothing. ``on_step`` is
    called after each of ``steps(ruleset)`` steps (each rule, the dispensations, the scores): progress.
    """
    with writing(engine).begin() as conn:
        return record_run(conn, ruleset, selection, as_of, dispensations, incremental, reusable, on_step)


def steps(ruleset: Ruleset) -> int:
    """How many times a run calls its ``on_step``."""
    return len(ruleset.rules()) + 2


def record_run(
    conn: Connection,
    ruleset: Ruleset,
    selection: Selection,
    as_of: date,
    dispensations: Sequence[Dispensation] = (),
    incremental: bool = False,
    reusable: bool = True,
    on_step: Step = None,
) -> int:
    """``execute_run`` in the caller's transaction (the portal stores a revision and judges it in one)."""
    from .scoring import score_run

    run_id = int(
        conn.execute(
            insert(t.runs)
            .values(
                ruleset_id=ruleset.id,
                ruleset_version=ruleset.version,
                ruleset_sha256=ruleset.sha256,
                ruleset_text=ruleset.text,
                tool_version=__version__,
                as_of=as_of,
                started_at=_now(),
                selection=selection.as_json(),
                texts=capture(ruleset.rules()),
            )
            .returning(t.runs.c.id)
        ).scalar_one()
    )
    _select_scope(conn, run_id, selection)
    keep_in_scope(conn, run_id, ruleset)
    rs = t.run_submissions.c
    if conn.execute(select(rs.id).where(rs.run_id == run_id).limit(1)).first() is None:
        raise NothingToCheck(selection.as_json())
    _flag_stale(conn, run_id, ruleset)
    if reusable or incremental:
        reuse_keys(conn, run_id, ruleset, as_of, dispensations)
    if incremental:
        take_over(conn, run_id)
    refresh_statistics(conn)
    evaluate_rules(conn, run_id, ruleset, ruleset.rules(), on_step)
    apply_dispensations(conn, run_id, as_of, dispensations)
    if on_step is not None:
        on_step("dispensations")
    score_run(conn, run_id, ruleset)
    if on_step is not None:
        on_step("scores")
    conn.execute(update(t.runs).where(t.runs.c.id == run_id).values(finished_at=_now()))
    return run_id
