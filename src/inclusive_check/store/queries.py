"""Read-only queries behind the listing commands."""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any

import yaml
from sqlalchemy import Connection, Engine, func, select

from . import tables as t


def latest_submission_raw(engine: Engine, insurer_code: str) -> tuple[str, str] | None:
    """(source, raw text) of the insurer's latest stored submission, by period end."""
    s, i, d = t.submissions.c, t.insurers.c, t.documents.c
    with engine.connect() as conn:
        row = conn.execute(
            select(s.source, d.raw)
            .join(t.insurers, i.id == s.insurer_id)
            .join(t.documents, d.submission_id == s.id)
            .where(i.code == insurer_code, s.kind == "submission", s.is_latest.is_(True))
            .order_by(s.period_end.desc(), s.id.desc())
            .limit(1)
        ).first()
    return None if row is None else (f"{row.source} (stored)", row.raw)


def list_submissions(engine: Engine, insurer: str | None = None, all_revisions: bool = False) -> list[dict[str, Any]]:
    s, i = t.submissions.c, t.insurers.c
    query = (
        select(s.id, i.code, s.kind, s.document_key, s.revision, s.is_latest, s.sha256, s.source, s.ingested_at)
        .join(t.insurers, i.id == s.insurer_id)
        .order_by(i.code, s.kind, s.document_key, s.revision)
    )
    if insurer:
        query = query.where(i.code == insurer)
    if not all_revisions:
        query = query.where(s.is_latest.is_(True))
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def list_runs(engine: Engine) -> list[dict[str, Any]]:
    r, rs, f = t.runs.c, t.run_submissions.c, t.findings.c
    docs = select(func.count()).where(rs.run_id == r.id).scalar_subquery()
    judged = select(func.count()).where(rs.run_id == r.id, rs.findings_run_id == r.id).scalar_subquery()
    # an encouraged obligation not met is counted apart, never as a failure (store.run_reads.OUTCOME)
    mine = (t.held_by(t.findings, r.id), f.status == "fail")
    fails = select(func.count()).where(*mine, f.strength != "encouraged").scalar_subquery()
    not_covered = select(func.count()).where(*mine, f.strength == "encouraged").scalar_subquery()
    query = select(
        r.id,
        r.ruleset_id,
        r.ruleset_version,
        r.tool_version,
        r.as_of,
        r.started_at,
        r.finished_at,
        docs.label("documents"),
        judged.label("judged"),
        fails.label("failures"),
        not_covered.label("not_covered"),
    ).order_by(r.id)
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def list_quarantine(engine: Engine) -> list[dict[str, Any]]:
    """Quarantined files in the order they came, each with its ``problems`` decoded (pointer, message...)."""
    q = t.quarantine.c
    with engine.connect() as conn:
        rows = conn.execute(select(t.quarantine).order_by(q.id)).all()
    return [{**row._mapping, "problems": json.loads(row.problems)} for row in rows]


# A run of the stored documents (`run`), not one that judged documents named by id (a portal upload's): what
# commands take by default. Selection.as_json writes the ids as a list, and null for a run of the store.
OF_THE_STORE = t.runs.c.selection.not_like('%"submission_ids": [%')


def latest_run_id(engine: Engine) -> int | None:
    """The latest run of the stored documents (see ``OF_THE_STORE``)."""
    with engine.connect() as conn:
        value = conn.execute(select(func.max(t.runs.c.id)).where(OF_THE_STORE)).scalar()
    return None if value is None else int(value)


_INSURER_OBJECT = re.compile(r'"insurer"\s*:\s*(?=\{)')


def document_insurer_name(raw: str, code: str) -> str | None:
    """The insurer name a stored submission document declares (its own, whatever later revisions say).

    JSON: the ``insurer`` object alone is decoded, found by its key and checked by its code (a document can run
    to megabytes); otherwise, or for YAML, the whole document is parsed.
    """
    found = _insurer_object_name(raw, code)
    if found is not None:
        return found
    try:
        data = json.loads(raw)
    except ValueError:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        try:
            data = yaml.load(raw, Loader=loader)
        except yaml.YAMLError:
            return None
    insurer = data.get("insurer") if isinstance(data, dict) else None
    name = insurer.get("name") if isinstance(insurer, dict) else None
    return name if isinstance(name, str) else None


def _insurer_object_name(text: str, code: str) -> str | None:
    """The name in the first ``"insurer": {...}`` object of ``text`` when it is whole there and has ``code``."""
    match = _INSURER_OBJECT.search(text)
    if match is not None:
        with contextlib.suppress(ValueError):
            found, _ = json.JSONDecoder().raw_decode(text, match.end())
            if isinstance(found, dict) and found.get("code") == code and isinstance(found.get("name"), str):
                return str(found["name"])
    return None


# How much of a document's text is read first for its insurer object (which comes first in a generated or
# hand-written submission); a document whose object is not whole within it is read in full.
_HEAD_CHARS = 65_536


def insurer_names_as_filed(conn: Connection, subs: list[tuple[int, int, str, int | None]]) -> dict[int, str]:
    """The insurer name each document was checked under: ``subs`` are (submission id, insurer id, insurer code,
    id of the submission that names the insurer: itself, or a filing's context). Only for insurers with more
    than one stored submission (the others' name is the ``insurers`` row's, which the latest ingest sets)."""
    s, d = t.submissions.c, t.documents.c
    insurers = {insurer for _, insurer, _, _ in subs}
    if not insurers:
        return {}
    several = set(
        conn.execute(
            select(s.insurer_id)
            .where(s.kind == "submission", s.insurer_id.in_(insurers))
            .group_by(s.insurer_id)
            .having(func.count() > 1)
        ).scalars()
    )
    wanted = {named: code for _, insurer, code, named in subs if insurer in several and named is not None}
    # As ingest recorded it; a submission stored before migration 0009 has it only in its text.
    recorded = select(s.id, s.insurer_name).where(s.id.in_(wanted), s.insurer_name.is_not(None))
    names: dict[int, str] = {sid: name for sid, name in conn.execute(recorded)}
    legacy = [sid for sid in wanted if sid not in names]
    head = select(d.submission_id, func.substr(d.raw, 1, _HEAD_CHARS)).where(d.submission_id.in_(legacy))
    for sid, text in conn.execute(head) if legacy else ():
        if (name := _insurer_object_name(text, wanted[sid])) is not None:
            names[sid] = name
    rest = [sid for sid in wanted if sid not in names]
    for sid, raw in conn.execute(select(d.submission_id, d.raw).where(d.submission_id.in_(rest))) if rest else ():
        name = document_insurer_name(raw, wanted[sid])
        if name is not None:
            names[sid] = name
    return {sid: names[named] for sid, _, _, named in subs if named is not None and named in names}


def straddling(engine: Engine, period: str, insurer: str | None = None) -> list[str]:
    """The latest stored documents a run with ``--period period`` leaves out although their period overlaps it:
    longer than it and reaching beyond it (an annual submission under a quarter), as ``CODE PERIOD`` labels."""
    from ..periods import period_bounds

    start, end = period_bounds(period)
    s, i = t.submissions.c, t.insurers.c
    query = (
        select(i.code, s.document_key)
        .join(t.insurers, i.id == s.insurer_id)
        .where(s.is_latest.is_(True), s.period_start <= end, s.period_end >= start)
        .where((s.period_start < start) | (s.period_end > end))
        .order_by(i.code, s.document_key)
    )
    if insurer:
        query = query.where(i.code == insurer)
    with engine.connect() as conn:
        return [f"{row.code} {row.document_key}" for row in conn.execute(query)]
