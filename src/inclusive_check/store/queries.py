"""Read-only queries behind the listing commands."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select

from . import tables as t


def latest_submission_raw(engine: Engine, insurer_code: str) -> tuple[str, str] | None:
    """(source, raw text) of the insurer's latest stored submission, by period end."""
    s, i, d = t.Submission, t.Insurer, t.Document
    with engine.connect() as conn:
        row = conn.execute(
            select(s.source, d.raw).join(i, i.id == s.insurer_id).join(d, d.submission_id == s.id)
            .where(i.code == insurer_code, s.kind == "submission", s.is_latest.is_(True))
            .order_by(s.period_end.desc(), s.id.desc()).limit(1)).first()
    return None if row is None else (f"{row.source} (stored)", row.raw)


def list_submissions(engine: Engine, insurer: str | None = None, all_revisions: bool = False) -> list[dict[str, Any]]:
    s, i = t.Submission, t.Insurer
    query = select(s.id, i.code, s.kind, s.document_key, s.revision, s.is_latest, s.sha256, s.source,
                   s.ingested_at).join(i, i.id == s.insurer_id).order_by(i.code, s.kind, s.document_key, s.revision)
    if insurer:
        query = query.where(i.code == insurer)
    if not all_revisions:
        query = query.where(s.is_latest.is_(True))
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def list_runs(engine: Engine) -> list[dict[str, Any]]:
    r, rs, f = t.Run, t.RunSubmission, t.Finding
    docs = select(func.count()).where(rs.run_id == r.id).scalar_subquery()
    fails = select(func.count()).where(f.run_id == r.id, f.status == "fail").scalar_subquery()
    query = select(r.id, r.ruleset_id, r.ruleset_version, r.tool_version, r.as_of, r.started_at, r.finished_at,
                   docs.label("documents"), fails.label("failures")).order_by(r.id)
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def list_quarantine(engine: Engine) -> list[dict[str, Any]]:
    q = t.Quarantine
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(select(q).order_by(q.id))]


def latest_run_id(engine: Engine) -> int | None:
    with engine.connect() as conn:
        value = conn.execute(select(func.max(t.Run.id))).scalar()
    return None if value is None else int(value)
