"""The runs an impact analysis works on: a stored base run with the ruleset it stored (``base_run``), and the
scratch run a what-if (``impact.py``) or a reproduction (``reproduce.py``) evaluates into. The scratch run is
written in a transaction the caller always rolls back; it takes the base run's documents as that run recorded
them, its as-of date and the dispensations it applied.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, Engine, func, insert, literal, select

from . import __version__
from .contract.dispensations import Dispensation
from .contract.outputs import (
    DiffRun,
    RulesetRef,
)
from .engine import OutOfScope, _now, keep_in_scope
from .periods import period_bounds
from .ruleset import Ruleset, RulesetError, load_stored_ruleset
from .run_texts import capture
from .store import tables as t
from .store.queries import OF_THE_STORE


class ImpactError(Exception):
    """A what-if or reproduction that cannot be made as asked (no such run, an unknown rule or parameter, a value
    the ruleset refuses); the message says why and, for a name, the closest ones."""


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
