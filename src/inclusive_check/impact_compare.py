"""Two runs compared: their findings matched by document, rule, subject and key, streamed one document at a
time in submission order (memory stays bounded by one document's findings), and their scores document by
document. A what-if (``impact.py``) compares a verdict's status and severity; a reproduction (``reproduce.py``)
every stored field.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Row, select

from .contract.outputs import (
    DimensionChange,
    FindingChange,
    FindingState,
    ScoreChange,
)
from .engine import FINDING_COLUMNS
from .figures import exact, finding_texts, number
from .results import _change, fingerprint, stable_subject  # the diff's signed change of a score
from .store import tables as t

OPEN = ("fail", "indeterminate")
# What a what-if compares: a flip of status or severity (a strength that changes alone changes the score's weights,
# which the score changes show, not a verdict: a market's passes would all be listed). A reproduction compares
# every stored field.
POLICY_FIELDS = ("status", "severity")
STORED_FIELDS = tuple(c for c in FINDING_COLUMNS if c not in ("run_id", "submission_id", "rule_id"))
DIMENSIONS = ("compliance", "variety", "coverage", "protection", "service")


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
