"""``run --reproduce RUN``: a stored run evaluated again from what it recorded, and its stored documents checked.

Two kinds of difference make a reproduction differ (exit 1), each named:

- a stored document (each document the run judged, and each document it read as an insurer's context) whose
  text no longer has the SHA-256 recorded for it (altered text, or an altered hash), or that no longer parses as
  a valid document, or whose facts parsed again from the text differ from the facts stored for it (what the
  rules read); these are listed in ``notes``, each with the insurer, kind and key of the document;
- a finding or a score that differs when every rule is evaluated again with the run's stored ruleset, as-of
  date, documents and dispensations (nothing is stored: the scratch run is rolled back).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from . import __version__
from .contract.load import parse_bytes
from .contract.outputs import Reproduction
from .engine import apply_dispensations, evaluate_rules
from .impact_compare import STORED_FIELDS, _changes, compare_findings, compare_scores
from .impact_runs import BaseRun, _dispensations, _documents, _scratch
from .scoring import score_run
from .store import tables as t
from .store.db import writing
from .store.facts import document_facts

# Facts of the ``submissions`` row that are bookkeeping, not read from the document's text.
_NOT_FROM_TEXT = {"id", "insurer_id", "revision", "is_latest", "sha256", "source", "ingested_at"}


def _same_value(stored: Any, parsed: Any) -> bool:
    if stored == parsed:
        return True
    numbers = (Decimal, float, int)
    if isinstance(stored, numbers) and isinstance(parsed, numbers) and not isinstance(stored, bool):
        return Decimal(repr(stored) if isinstance(stored, float) else stored) == Decimal(
            repr(parsed) if isinstance(parsed, float) else parsed
        )
    return False


def _suffix(source: str, text: str) -> str:
    lowered = source.lower()
    if lowered.endswith((".yaml", ".yml")):
        return ".yaml"
    return ".json" if text.lstrip().startswith("{") else ".yaml"


def document_problems(conn: Connection, run_id: int) -> Iterator[str]:
    """What differs between each stored document of the run and what was recorded for it, one line per
    document, naming it (insurer, kind, key, revision, submission id)."""
    rs, s, i, d = t.run_submissions.c, t.submissions.c, t.insurers.c, t.documents.c
    ids = (
        select(rs.submission_id)
        .where(rs.run_id == run_id)
        .union(select(rs.context_submission_id).where(rs.run_id == run_id, rs.context_submission_id.is_not(None)))
    )
    p = t.products.c
    grouped = select(p.submission_id, func.count()).where(p.submission_id.in_(ids)).group_by(p.submission_id)
    counts = {int(sid): int(n) for sid, n in conn.execute(grouped)}
    rows = conn.execute(
        select(t.submissions, i.code.label("insurer_code"), d.raw)
        .join(t.insurers, i.id == s.insurer_id)
        .outerjoin(t.documents, d.submission_id == s.id)
        .where(s.id.in_(ids))
        .order_by(s.id),
        execution_options={"yield_per": 64},  # a market's texts are streamed, never all in memory
    )
    for row in rows:
        label = f"{row.insurer_code} {row.kind} {row.document_key} (revision {row.revision}, document {row.id})"
        if row.raw is None:
            yield f"{label}: its stored text is missing"
            continue
        raw = str(row.raw).encode("utf-8")
        actual = hashlib.sha256(raw).hexdigest()
        if actual != row.sha256:
            yield (
                f"{label}: its stored text does not match the SHA-256 recorded for it "
                f"(recorded {row.sha256}, the text now hashes to {actual}): the text or the hash was altered"
            )
            continue
        loaded = parse_bytes(raw, row.source, _suffix(row.source, str(row.raw)))
        if not loaded.ok or loaded.document is None:
            first = loaded.problems[0] if loaded.problems else None
            why = "" if first is None else f": {first.pointer or '/'}: {first.message}"
            yield f"{label}: its stored text no longer parses as a valid document{why}"
            continue
        facts = document_facts(loaded.document, raw=raw)
        differ = sorted(
            name
            for name, value in facts.submission.items()
            if name not in _NOT_FROM_TEXT and name in row._mapping and not _same_value(row._mapping[name], value)
        )
        if facts.insurer_code != row.insurer_code:
            differ.insert(0, "insurer code")
        products = counts.get(row.id, 0)
        if products != len(facts.products):
            differ.append(f"products ({products} stored, {len(facts.products)} in the text)")
        if differ:
            yield f"{label}: the facts stored for it differ from its text parsed again: {', '.join(differ)}"


def reproduce(engine: Engine, base: BaseRun) -> Reproduction:
    """The stored run's documents checked against their recorded SHA-256 and parsed again, and the run evaluated
    again (every rule) with its stored ruleset, as-of date, documents and dispensations, compared with what it
    stored; nothing is stored."""
    with writing(engine).connect() as conn:
        transaction = conn.begin()  # always rolled back: the scratch run is never stored
        try:
            stored = list(document_problems(conn, base.id))
            run_id = _scratch(conn, base, base.ruleset, None)
            documents = _documents(conn, run_id)
            evaluate_rules(conn, run_id, base.ruleset, base.ruleset.rules())
            apply_dispensations(conn, run_id, base.as_of, _dispensations(conn, base.id))
            score_run(conn, run_id, base.ruleset)
            pairs, compared = compare_findings(conn, base.id, run_id, documents, None, STORED_FIELDS)
            findings = _changes(conn, pairs)
            scores, notes = compare_scores(conn, base.id, run_id, documents, breakdowns=True)
        finally:
            transaction.rollback()
    notes = [*stored, *notes]
    return Reproduction(
        run=base.ref(),
        identical=not (findings or scores or notes),
        tool_version_then=base.tool_version,
        tool_version_now=__version__,
        findings_compared=compared,
        findings=findings,
        scores=scores,
        notes=notes,
    )


__all__ = ["document_problems", "reproduce"]
