"""Impact analysis: what a changed ruleset would do to the stored submissions of a run (``what_if``), and the
scratch run and finding-by-finding comparison that a reproduction (``reproduce.py``) shares. What two rulesets
state differently is ``impact_diff.py``.

A what-if and a reproduction evaluate into a *scratch run*: a ``runs`` row with its findings and scores, written
in one transaction that is always rolled back. It is never committed, so no other connection ever sees it: it is
not listed by ``runs``, is never the latest run, and leaves nothing to delete. It takes the base run's
documents as that run recorded them (``run_submissions``: each document, its insurer context, its binding date),
its as-of date and the dispensations it applied (``run_dispensations.record``).

A what-if evaluates again only the rules whose policy differs between the base run's ruleset and the what-if
ruleset (every rule when the severity table differs); the other rules' findings are the base run's, which
scoring borrows (``scoring.score_run(..., borrowed=...)``). A reproduction evaluates every rule.

Findings of two runs are matched by document, rule, subject and key, streamed one document at a time in
submission order (memory stays bounded by one document's findings).
"""

from __future__ import annotations

import difflib
import itertools
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import yaml
from sqlalchemy import Connection, Engine, Row, func, insert, literal, select

from . import __version__
from . import rules as registry
from .bounds import era_problem
from .contract.dispensations import Dispensation
from .contract.outputs import (
    DiffRun,
    DimensionChange,
    FindingChange,
    FindingState,
    ImpactSummary,
    LangText,
    RuleImpact,
    RulesetRef,
    ScoreChange,
    WhatIf,
)
from .engine import FINDING_COLUMNS, OutOfScope, _now, apply_dispensations, evaluate_rules, keep_in_scope
from .figures import exact, finding_texts, number, shown
from .impact_diff import diff_rulesets
from .periods import period_bounds
from .results import _change, fingerprint, stable_subject  # the diff's signed change of a score
from .rules.base import RuleModule
from .ruleset import Ruleset, RulesetError, load_ruleset_text, load_stored_ruleset, with_legacy_policy
from .run_texts import capture
from .scoring import score_run
from .store import tables as t
from .store.db import writing
from .store.queries import OF_THE_STORE

OPEN = ("fail", "indeterminate")
# What a what-if compares: a flip of status or severity (a strength that changes alone changes the score's weights,
# which the score changes show, not a verdict: a market's passes would all be listed). A reproduction compares
# every stored field.
POLICY_FIELDS = ("status", "severity")
STORED_FIELDS = tuple(c for c in FINDING_COLUMNS if c not in ("run_id", "submission_id", "rule_id"))
DIMENSIONS = ("compliance", "variety", "coverage", "protection", "service")


class ImpactError(Exception):
    """A what-if or reproduction that cannot be made as asked (no such run, an unknown rule or parameter, a value
    the ruleset refuses); the message says why and, for a name, the closest ones."""


# --- the runs: base, scratch ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BaseRun:
    id: int
    ruleset: Ruleset
    tool_version: str
    as_of: date
    started_at: str
    documents: int
    first_binding: date | None  # the earliest binding date of its documents

    def ref(self) -> DiffRun:
        ruleset = RulesetRef(id=self.ruleset.id, version=self.ruleset.version, sha256=self.ruleset.sha256)
        return DiffRun(
            id=self.id,
            ruleset=ruleset,
            as_of=self.as_of.isoformat(),
            started_at=self.started_at,
            documents=self.documents,
        )


def base_run(engine: Engine, run_id: int | None = None) -> BaseRun:
    """A stored run (default: the latest) with the ruleset it stored."""
    r, rs = t.runs.c, t.run_submissions.c
    with engine.connect() as conn:
        if run_id is None:
            run_id = conn.execute(select(func.max(r.id)).where(OF_THE_STORE)).scalar()
            if run_id is None:
                raise ImpactError("no runs stored yet; `inclusive-check run` makes one")
        row = conn.execute(select(t.runs).where(r.id == run_id)).first()
        if row is None:
            raise ImpactError(f"no stored run {run_id}")
        docs, first = conn.execute(select(func.count(), func.min(rs.binding_date)).where(rs.run_id == run_id)).one()
    try:
        ruleset = load_stored_ruleset(row.ruleset_text, f"the ruleset stored with run {run_id}")
    except RulesetError as exc:
        raise ImpactError(f"run {run_id}: its stored ruleset can no longer be read: {exc}") from None
    return BaseRun(row.id, ruleset, row.tool_version, row.as_of, row.started_at.isoformat(), int(docs), first)


def _scratch(conn: Connection, base: BaseRun, ruleset: Ruleset, period: str | None) -> int:
    """A run row for the evaluation, with the base run's documents (of ``period``), as it recorded them."""
    r, rs, s = t.runs.c, t.run_submissions.c, t.submissions.c
    stored = conn.execute(select(r.selection).where(r.id == base.id)).scalar_one()
    run_id = int(
        conn.execute(
            insert(t.runs)
            .values(
                ruleset_id=ruleset.id,
                ruleset_version=ruleset.version[:40],
                ruleset_sha256=ruleset.sha256,
                ruleset_text=ruleset.text,
                tool_version=__version__,
                as_of=base.as_of,
                started_at=_now(),
                selection=stored,
                texts=capture(ruleset.rules()),
            )
            .returning(r.id)
        ).scalar_one()
    )
    chosen = select(
        literal(run_id), rs.submission_id, rs.context_submission_id, rs.binding_date, literal("[]"), literal(run_id)
    ).where(rs.run_id == base.id)
    if period is not None:  # as `run --period`: every document whose period lies within it
        start, end = period_bounds(period)
        chosen = chosen.join(t.submissions, s.id == rs.submission_id).where(
            s.period_start >= start, s.period_end <= end
        )
    conn.execute(
        insert(t.run_submissions).from_select(
            ["run_id", "submission_id", "context_submission_id", "binding_date", "warnings", "findings_run_id"], chosen
        )
    )
    try:
        keep_in_scope(conn, run_id, ruleset)  # an overlay judges only its authority's insurers
    except OutOfScope as exc:
        raise ImpactError(f"run {base.id}: {exc}") from None
    return run_id


def _dispensations(conn: Connection, run_id: int) -> tuple[Dispensation, ...]:
    """The dispensations a run considered, as it recorded them."""
    rd = t.run_dispensations.c
    out = []
    for (record,) in conn.execute(select(rd.record).where(rd.run_id == run_id).order_by(rd.id)):
        item = json.loads(record)
        out.append(Dispensation(**{**item, "expires": date.fromisoformat(item["expires"])}))
    return tuple(out)


def _documents(conn: Connection, run_id: int) -> set[int]:
    rs = t.run_submissions.c
    return set(conn.execute(select(rs.submission_id).where(rs.run_id == run_id)).scalars())


# --- matching the findings of two runs ----------------------------------------------------------------------


def _stream(
    conn: Connection, run_id: int, rules: Sequence[str] | None, fields: Sequence[str]
) -> Iterator[tuple[int, list[Row[Any]]]]:
    f = t.findings.c
    query = select(f.id, f.submission_id, f.rule_id, f.subject, f.key, *(f[c] for c in fields)).where(
        t.held_by(t.findings, run_id)
    )
    if rules is not None:
        query = query.where(f.rule_id.in_(rules))
    rows = conn.execute(query.order_by(f.submission_id, f.id), execution_options={"yield_per": 10_000})
    for sid, group in itertools.groupby(rows, key=lambda row: int(row.submission_id)):
        yield sid, list(group)


def _keyed(rows: list[Row[Any]]) -> dict[tuple[Any, ...], Row[Any]]:
    """Each finding by (rule, subject, key, n): n tells apart findings that share the rest, in stored order."""
    seen: dict[tuple[str, str, str], int] = {}
    out = {}
    for row in rows:
        base = (row.rule_id, row.subject, row.key)
        n = seen[base] = seen.get(base, -1) + 1
        out[(*base, n)] = row
    return out


def _flip(before: Row[Any] | None, after: Row[Any] | None) -> str:
    was = before is not None and before.status in OPEN
    now = after is not None and after.status in OPEN
    return "newly_fails" if now and not was else "newly_passes" if was and not now else "changes"


def _number(value: Any) -> Decimal | None:
    """A stored figure as an exact decimal (SQLite hands back floats), None for anything else."""
    if isinstance(value, bool) or not isinstance(value, Decimal | float | int):
        return None
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _same(before: Row[Any], after: Row[Any], fields: Sequence[str], policy: bool) -> bool:
    if policy and before.status == after.status == "not_applicable":
        return True  # judges nothing: its strength or wording is no flip
    for name in fields:
        x, y = getattr(before, name), getattr(after, name)
        if x != y and (_number(x) is None or _number(x) != _number(y)):
            return False
    return True


Pair = tuple[str, int | None, int | None]


def _pairs(before: list[Row[Any]], after: list[Row[Any]], fields: Sequence[str], policy: bool) -> Iterator[Pair]:
    """The findings of one document that differ between two runs.

    ``policy`` (a what-if): a not-applicable finding judges nothing, so one left without a counterpart is
    dropped, unless it stands for the rule no longer (or only now) applying to the document: then it is the
    counterpart of the judged findings the other run has for that rule (a pass that becomes not applicable)."""
    old, new = _keyed(before), _keyed(after)
    added = []
    for key, row in new.items():
        was = old.pop(key, None)
        if was is None:
            added.append(row)
        elif not _same(was, row, fields, policy):
            yield _flip(was, row), was.id, row.id
    removed = list(old.values())
    if not policy:
        yield from ((_flip(row, None), row.id, None) for row in removed)
        yield from ((_flip(None, row), None, row.id) for row in added)
        return
    na_before = {row.rule_id: row for row in removed if row.status == "not_applicable"}
    na_after = {row.rule_id: row for row in added if row.status == "not_applicable"}
    for row in removed:
        if row.status != "not_applicable":
            other = na_after.get(row.rule_id)
            yield _flip(row, other), row.id, None if other is None else other.id
    for row in added:
        if row.status != "not_applicable":
            other = na_before.get(row.rule_id)
            yield _flip(other, row), None if other is None else other.id, row.id


def compare_findings(
    conn: Connection,
    before_run: int,
    after_run: int,
    documents: set[int],
    rules: Sequence[str] | None,
    fields: Sequence[str],
    policy: bool = False,
) -> tuple[list[Pair], int]:
    """(flip, finding id before, finding id after) of every finding of ``rules`` (None: all) that differs in
    ``fields`` between the runs, over ``documents`` (``policy``: see _pairs); and how many findings of the later
    run were compared."""
    out: list[Pair] = []
    compared = 0
    before = _stream(conn, before_run, rules, fields)
    after = _stream(conn, after_run, rules, fields)
    b, a = next(before, None), next(after, None)
    while b is not None or a is not None:
        if a is None or (b is not None and b[0] < a[0]):
            assert b is not None
            if b[0] in documents:
                out.extend(_pairs(b[1], [], fields, policy))
            b = next(before, None)
        elif b is None or a[0] < b[0]:
            compared += len(a[1])
            out.extend(_pairs([], a[1], fields, policy))
            a = next(after, None)
        else:
            compared += len(a[1])
            out.extend(_pairs(b[1], a[1], fields, policy))
            b, a = next(before, None), next(after, None)
    return out, compared


def _detail_rows(conn: Connection, ids: list[int]) -> dict[int, Row[Any]]:
    f, p, s, i = t.findings.c, t.products.c, t.submissions.c, t.insurers.c
    out: dict[int, Row[Any]] = {}
    for start in range(0, len(ids), 1000):
        query = (
            select(
                t.findings,
                p.pointer.label("product_pointer"),
                p.code.label("product_code"),
                p.dedicated_inclusive.label("product_dedicated"),
                s.kind.label("doc_kind"),
                s.document_key.label("doc_key"),
                i.code.label("insurer_code"),
            )
            .join(t.submissions, s.id == f.submission_id)
            .join(t.insurers, i.id == s.insurer_id)
            .outerjoin(t.products, p.id == f.product_id)
            .where(f.id.in_(ids[start : start + 1000]))
        )
        out.update({row.id: row for row in conn.execute(query)})
    return out


def _figure(value: Any) -> str | None:
    return None if value is None else number(exact(value))


def _state(row: Row[Any]) -> FindingState:
    expected, actual = finding_texts(row, "en")
    return FindingState(
        status=row.status,
        severity=row.severity,
        strength=row.strength,
        expected=expected,
        actual=actual,
        threshold=_figure(row.threshold),
        margin=_figure(row.margin),
        unit=row.unit,
        dispensation=row.dispensation_id,
    )


def _changes(conn: Connection, pairs: list[Pair]) -> list[FindingChange]:
    rows = _detail_rows(conn, [x for _, b, a in pairs for x in (b, a) if x is not None])
    out = []
    for flip, b, a in pairs:
        before, after = rows.get(b) if b else None, rows.get(a) if a else None
        shown_row = after if after is not None else before
        assert shown_row is not None
        named = bool(shown_row.product_dedicated) and (shown_row.product_pointer or "").startswith("/products/")
        subject = stable_subject(
            shown_row.subject, shown_row.product_pointer if named else None, shown_row.product_code
        )
        out.append(
            FindingChange(
                flip=flip,
                fingerprint=fingerprint(
                    shown_row.insurer_code,
                    shown_row.doc_kind,
                    shown_row.doc_key,
                    shown_row.rule_id,
                    subject,
                    shown_row.key,
                ),
                insurer=shown_row.insurer_code,
                kind=shown_row.doc_kind,
                document_key=shown_row.doc_key,
                rule_id=shown_row.rule_id,
                clause=shown_row.clause,
                subject=shown_row.subject,
                key=shown_row.key,
                product_code=shown_row.product_code,
                before=None if before is None else _state(before),
                after=None if after is None else _state(after),
            )
        )
    flips = ("newly_fails", "newly_passes", "changes")
    out.sort(key=lambda c: (flips.index(c.flip), c.clause, c.rule_id, c.insurer, c.document_key, c.subject, c.key))
    return out


def _dimension(row: Row[Any] | None, name: str) -> str | None:
    value = None if row is None else getattr(row, name)
    return None if value is None else number(Decimal(str(value)))


def compare_scores(
    conn: Connection, before_run: int, after_run: int, documents: set[int], breakdowns: bool = False
) -> tuple[list[ScoreChange], list[str]]:
    """Each document of ``documents`` whose score (or blocking state) differs between the runs; with
    ``breakdowns``, a note for each document whose stored breakdown differs while its scores do not."""
    sc, s, i = t.scores.c, t.submissions.c, t.insurers.c

    def scores(run_id: int) -> dict[int, Row[Any]]:
        query = (
            select(t.scores, s.kind, s.document_key, i.code.label("insurer_code"))
            .join(t.submissions, s.id == sc.submission_id)
            .join(t.insurers, i.id == s.insurer_id)
            .where(t.held_by(t.scores, run_id))
        )
        return {row.submission_id: row for row in conn.execute(query) if row.submission_id in documents}

    old, new = scores(before_run), scores(after_run)
    out, notes = [], []
    for sid in sorted(old.keys() | new.keys()):
        b, a = old.get(sid), new.get(sid)
        shown_row = a if a is not None else b
        assert shown_row is not None
        dims = {name: (_dimension(b, name), _dimension(a, name)) for name in DIMENSIONS}
        same = b is not None and a is not None and b.blocking == a.blocking and all(x == y for x, y in dims.values())
        label = f"{shown_row.insurer_code} {shown_row.kind} {shown_row.document_key}"
        if same:
            assert b is not None and a is not None
            if breakdowns and json.loads(b.breakdown) != json.loads(a.breakdown):
                notes.append(f"{label}: the score breakdown differs (its scores do not)")
            continue

        def not_scored(row: Row[Any] | None) -> Any:
            if row is None or row.compliance is not None:
                return None
            return (json.loads(row.breakdown).get("compliance") or {}).get("not_scored")

        out.append(
            ScoreChange(
                insurer=shown_row.insurer_code,
                kind=shown_row.kind,
                document_key=shown_row.document_key,
                in_before=b is not None,
                in_after=a is not None,
                blocking_before=None if b is None else b.blocking,
                blocking_after=None if a is None else a.blocking,
                not_scored_before=not_scored(b),
                not_scored_after=not_scored(a),
                **{name: DimensionChange(before=x, after=y, change=_change(x, y)) for name, (x, y) in dims.items()},
            )
        )
    out.sort(key=lambda c: (c.insurer, c.kind != "submission", c.document_key))
    return out, notes


# --- what-if ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """One ``--set TARGET=VALUE``: a rule's parameter, strength, severity, in-force date or deactivation, or a cell
    of the ruleset's severity table."""

    target: str
    value: Any


ATTRIBUTES = ("strength", "in_force", "deactivated", "severity.fail", "severity.indeterminate")


def parse_setting(text: str) -> Setting:
    target, sep, value = text.partition("=")
    if not sep or not target.strip() or "." not in target:
        raise ImpactError(
            f"--set {text!r}: expected RULE.NAME=VALUE (a parameter, strength, severity.fail, in_force or "
            "deactivated of a rule) or severity.STATUS.STRENGTH=VALUE"
        )
    try:
        parsed = yaml.safe_load(value) if value.strip() else None
    except yaml.YAMLError:
        parsed = value
    return Setting(target.strip(), parsed)


def _closest(name: str, names: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, list(names), n=3, cutoff=0.5)
    return f"; did you mean {' or '.join(close)}?" if close else f"; one of {', '.join(names)}"


def _dated(param: dict[str, Any], start: date, value: Any, cell: Sequence[str] = ()) -> None:
    """Insert a dated ``value`` from ``start`` (``cell``: set only that cell of the mapping in force then): earlier
    values stay (one in force on ``start`` ends the day before), values dated later are replaced."""
    values = param.setdefault("values", [])
    current = None
    for v in values:
        if v["from"] <= start and (v.get("until") is None or v["until"] >= start):
            current = v.get("value")
    kept = [dict(v) for v in values if v["from"] < start]
    if kept and kept[-1].get("until") is not None and kept[-1]["until"] >= start:
        kept[-1]["until"] = start - timedelta(days=1)
    param["values"] = [*kept, {"from": start, "value": _with(current, cell, value) if cell else value}]


def _with(current: Any, path: Sequence[str], value: Any) -> Any:
    out = json.loads(json.dumps(current, default=str)) if isinstance(current, dict) else {}
    node = out
    for name in path[:-1]:
        node = node.setdefault(name, {})
    node[path[-1]] = value
    return out


class _Written(yaml.SafeDumper):
    """Writes every value out: a ruleset refuses YAML aliases, which the dumper would make for a repeated date."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def apply_settings(base: Ruleset, settings: Sequence[Setting], start: date) -> Ruleset:
    """``base`` with each setting applied from ``start``, validated as any ruleset is (its version marked
    ``+what-if``)."""
    if reason := next(
        filter(None, map(era_problem, [start, *(x.value for x in settings if isinstance(x.value, date))])), None
    ):
        raise ImpactError(f"--set/--from: {reason}")
    raw = with_legacy_policy(yaml.load(base.text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    rules_by_id = {registry.canonical(key): key for key in raw["rules"]}
    for setting in settings:
        head, _, rest = setting.target.partition(".")
        if head == "severity":
            parts = rest.split(".")
            if len(parts) != 2 or parts[0] not in ("fail", "indeterminate"):
                raise ImpactError(
                    f"--set {setting.target}: the severity table is set as severity.STATUS.STRENGTH "
                    "(STATUS fail or indeterminate)"
                )
            _dated(raw["severity"], start, setting.value, parts)
            continue
        rule_id = registry.canonical(head.upper())
        if rule_id not in rules_by_id:
            raise ImpactError(
                f"--set {setting.target}: no rule {head} in the ruleset {base.id} {base.version}"
                + _closest(head.upper(), sorted(rules_by_id))
            )
        entry = raw["rules"][rules_by_id[rule_id]]
        params = entry.setdefault("params", {})
        if rest in params:
            _dated(params[rest], start, setting.value)
        elif rest == "strength":
            _dated(entry["strength"], start, setting.value)
        elif rest in ("severity.fail", "severity.indeterminate"):
            status = rest.split(".")[1]
            override = entry.setdefault("severity", {"citation": "what-if (--set)", "values": []})
            _dated(override, start, setting.value, [status])
        elif rest == "in_force":
            if not isinstance(setting.value, date):
                raise ImpactError(f"--set {setting.target}: in_force takes a date (YYYY-MM-DD), not {setting.value!r}")
            entry["in_force"]["values"] = [{"from": setting.value}]
        elif rest == "deactivated":
            deactivated = entry.setdefault("deactivated", {"citation": "what-if (--set)", "values": []})
            _dated(deactivated, start, setting.value)
        else:
            raise ImpactError(
                f"--set {setting.target}: {rule_id} has no parameter {rest!r}"
                + _closest(rest, [*sorted(params), *ATTRIBUTES])
            )
    raw["version"] = f"{raw.get('version')}+what-if"
    text = yaml.dump(raw, Dumper=_Written, allow_unicode=True, sort_keys=False)
    try:
        return load_ruleset_text(text, "what-if ruleset", allow_partial=True)
    except RulesetError as exc:  # its lines are of a text no one wrote: say where by path only
        raise ImpactError(
            f"the what-if ruleset is not valid: {re.sub(r'what-if ruleset:[0-9]+: ', '', str(exc))}"
        ) from None


def _policy_rules(before: Ruleset, after: Ruleset) -> tuple[list[RuleModule], list[str]]:
    """The rules to evaluate again (policy differs, or new) and the rules the what-if ruleset leaves out."""
    gone = [rule_id for rule_id in before.data.rules if rule_id not in after.data.rules]
    if before.data.severity != after.data.severity:
        return list(after.rules()), gone
    changed = [
        rule
        for rule in after.rules()
        if rule.ID not in before.data.rules or before.entry(rule.ID) != after.entry(rule.ID)
    ]
    return changed, gone


def what_if(
    engine: Engine, base: BaseRun, ruleset: Ruleset, period: str | None = None, effective_from: date | None = None
) -> WhatIf:
    """The base run's documents evaluated under ``ruleset``, compared with the base run; nothing is stored."""
    evaluated, gone = _policy_rules(base.ruleset, ruleset)
    compared = [*(r.ID for r in evaluated), *gone]
    borrowed = [r.ID for r in ruleset.rules() if r not in evaluated]
    with writing(engine).connect() as conn:
        transaction = conn.begin()  # always rolled back: the scratch run is never stored
        try:
            run_id = _scratch(conn, base, ruleset, period)
            documents = _documents(conn, run_id)
            if not documents:
                raise ImpactError(f"run {base.id} checked no document of period {period}")
            evaluate_rules(conn, run_id, ruleset, evaluated)
            apply_dispensations(conn, run_id, base.as_of, _dispensations(conn, base.id))
            score_run(conn, run_id, ruleset, borrowed=(base.id, borrowed))
            pairs, _ = compare_findings(conn, base.id, run_id, documents, compared, POLICY_FIELDS, policy=True)
            findings = _changes(conn, pairs)
            scores, _ = compare_scores(conn, base.id, run_id, documents)
            impacts = _rule_impacts(conn, base.id, run_id, documents, compared, findings)
        finally:
            transaction.rollback()
    marked = ruleset.version == f"{base.ruleset.version}+what-if"
    warnings = []
    if base.tool_version != __version__:
        warnings.append(
            f"run {base.id} was made by version {base.tool_version}; the rules evaluated again here ran as version "
            f"{__version__}, so a flip may come from a change of code too (`run --reproduce {base.id}` shows those)"
        )
    return WhatIf(
        base=base.ref(),
        ruleset=RulesetRef(id=ruleset.id, version=ruleset.version, sha256=ruleset.sha256),
        tool_version=__version__,
        effective_from=None if effective_from is None else effective_from.isoformat(),
        period=period,
        # the version the what-if ruleset is marked with (+what-if) is no change of policy
        policy=[c for c in diff_rulesets(base.ruleset, ruleset).changes if c.path != "version" or not marked],
        rules_evaluated=[r.ID for r in evaluated],
        summary=ImpactSummary(
            newly_fails=sum(1 for f in findings if f.flip == "newly_fails"),
            newly_passes=sum(1 for f in findings if f.flip == "newly_passes"),
            changes=sum(1 for f in findings if f.flip == "changes"),
            scores_changed=len(scores),
        ),
        rules=impacts,
        findings=findings,
        scores=scores,
        warnings=warnings,
    )


def _insurers(
    conn: Connection, run_id: int, documents: set[int], rules: Sequence[str], statuses: Sequence[str]
) -> dict[str, int]:
    f, s = t.findings.c, t.submissions.c
    query = (
        select(f.rule_id, f.submission_id, s.insurer_id)
        .join(t.submissions, s.id == f.submission_id)
        .where(t.held_by(t.findings, run_id), f.rule_id.in_(rules), f.status.in_(statuses))
        .distinct()
    )
    seen: dict[str, set[int]] = {}
    for rule_id, sid, insurer in conn.execute(query):
        if sid in documents:
            seen.setdefault(rule_id, set()).add(insurer)
    return {rule_id: len(insurers) for rule_id, insurers in seen.items()}


def _threshold(conn: Connection, run_id: int, rule_id: str) -> str | None:
    """The one threshold a rule's findings are held to in a run, as people read it; None when several or none."""
    f = t.findings.c
    rows = conn.execute(
        select(f.threshold, f.unit)
        .where(t.held_by(t.findings, run_id), f.rule_id == rule_id, f.threshold.is_not(None))
        .distinct()
        .limit(2)
    ).all()
    if len(rows) != 1:
        return None
    value = exact(rows[0][0])
    return None if value is None else shown(value, rows[0][1], "en")


def _rule_impacts(
    conn: Connection,
    before_run: int,
    after_run: int,
    documents: set[int],
    rules: Sequence[str],
    findings: list[FindingChange],
) -> list[RuleImpact]:
    judged = _insurers(conn, after_run, documents, rules, ("pass", "fail", "indeterminate", "waived"))
    failing_before = _insurers(conn, before_run, documents, rules, ("fail",))
    failing_after = _insurers(conn, after_run, documents, rules, ("fail",))
    out = []
    for rule_id in rules:
        try:
            rule: RuleModule | None = registry.get(rule_id)
        except registry.UnknownRule:
            rule = None
        mine = [f for f in findings if f.rule_id == rule_id]
        counts = {flip: sum(1 for f in mine if f.flip == flip) for flip in ("newly_fails", "newly_passes", "changes")}
        n, was, now = judged.get(rule_id, 0), failing_before.get(rule_id, 0), failing_after.get(rule_id, 0)
        held_then, held_now = _threshold(conn, before_run, rule_id), _threshold(conn, after_run, rule_id)
        against = {"en": "", "zh": ""}
        if held_now is not None and held_then is not None and held_now != held_then:
            against = {"en": f", held to {held_now} (now {held_then})", "zh": f"，标准为{held_now}（现为{held_then}）"}
        summary = {
            "en": f"{rule_id}: {now} of {n} insurer(s) it judges would fail{against['en']}; {was} fail it now. "
            f"{counts['newly_fails']} finding(s) newly fail, {counts['newly_passes']} newly pass, "
            f"{counts['changes']} change otherwise.",
            "zh": f"{rule_id}：其适用的{n}家机构中将有{now}家未通过{against['zh']}；目前为{was}家。"
            f"新增未通过{counts['newly_fails']}项，新通过{counts['newly_passes']}项，其他变化{counts['changes']}项。",
        }
        out.append(
            RuleImpact(
                rule_id=rule_id,
                clause=rule.CLAUSE if rule is not None else (mine[0].clause if mine else 0),
                insurers_judged=n,
                insurers_failing_before=was,
                insurers_failing_after=now,
                summary=LangText(en=summary["en"], zh=summary["zh"]),
                **counts,
            )
        )
    return out
