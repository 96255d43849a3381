"""Dispensations for "in principle" (原则上) rules: scoped, approved, expiring — never for mandatory rules.

A dispensation names one principle rule, one insurer, optionally a subject (a JSON Pointer; it
covers that node and everything under it, never a neighbour such as /products/10 for /products/1)
and a period, with the reason, the approver, the supervisor's reference and an inclusive expiry
date judged at ``--as-of``. In a run, a failing finding it covers becomes ``waived``; an expired one
leaves the failure standing and adds a warning; one that covers nothing is ``unused``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from sqlalchemy import Connection, Engine, func, insert, or_, select, update

from . import rules as registry
from .store import tables as t

if TYPE_CHECKING:  # loaded at run time only where a file is parsed
    from .contract.load import Problem

_NO_NUL = r"^[^\u0000]*$"  # PostgreSQL text cannot hold U+0000
# Every length limit is the stored column's (store/tables.py Dispensation), so the database is never first to say no.
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "urn:inclusive-check:schema:dispensations:1.0",
    "title": "inclusive-check dispensations",
    "description": "Supervisor-approved dispensations for principle (原则上) rules. Mandatory rules cannot be "
                   "dispensed. Expiry is inclusive.",
    "type": "object",
    "additionalProperties": False,
    "required": ["dispensations"],
    "properties": {
        "dispensations": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["id", "rule", "insurer", "reason", "approved_by", "reference", "expires"],
                "properties": {
                    "id": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$"},
                    "rule": {"type": "string", "minLength": 1, "maxLength": 40},
                    "insurer": {"type": "string", "pattern": "^[A-Z0-9][A-Z0-9-]{1,39}$"},
                    "subject": {"type": ["string", "null"], "maxLength": 200,
                                "pattern": r"^(/[^\u0000\n\r\u2028\u2029]*)?$"},
                    "period": {"type": ["string", "null"], "pattern": "^(19|20|21)[0-9]{2}(-Q[1-4])?$"},
                    "reason": {"type": "string", "minLength": 1, "maxLength": 5000, "pattern": _NO_NUL},
                    "approved_by": {"type": "string", "minLength": 1, "maxLength": 500, "pattern": _NO_NUL},
                    "reference": {"type": "string", "minLength": 1, "maxLength": 500, "pattern": _NO_NUL},
                    "expires": {"type": "string", "format": "date",
                                "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
                },
            },
        },
    },
}


class DispensationError(Exception):
    """The dispensation file is not valid; ``problems`` are located."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.where()}: {p.pointer}: {p.message}" for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Dispensation:
    id: str
    rule: str
    insurer: str
    reason: str
    approved_by: str
    reference: str
    expires: date
    subject: str | None = None
    period: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "rule": self.rule, "insurer": self.insurer, "subject": self.subject,
                "period": self.period, "reason": self.reason, "approved_by": self.approved_by,
                "reference": self.reference, "expires": self.expires.isoformat()}

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.as_dict(), sort_keys=True).encode()).hexdigest()


def parse_dispensations(text: str, source: str) -> list[Dispensation]:
    import jsonschema

    from .contract.load import Problem, YamlLoader, locate_messages  # the contract's models load only here

    try:
        data = yaml.load(text, Loader=YamlLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise DispensationError([Problem(source, "", f"not valid YAML/JSON: {exc}",
                                         mark.line + 1 if mark else None, mark.column + 1 if mark else None)]
                                ) from None
    messages: list[tuple[str, str]] = []
    validator = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    for error in validator.iter_errors(data):
        messages.append(("".join(f"/{p}" for p in error.absolute_path), error.message))
    if not messages:
        strengths = {r.ID: r.STRENGTH for r in registry.ALL_RULES}
        seen: dict[str, int] = {}
        for i, item in enumerate(data["dispensations"]):
            strength = strengths.get(item["rule"])
            if strength is None:
                messages.append((f"/dispensations/{i}/rule", f"unknown rule {item['rule']!r}"))
            elif strength != "principle":
                messages.append((f"/dispensations/{i}/rule",
                                 f"{item['rule']} is a {strength} rule; only principle (原则上) rules can be "
                                 "dispensed"))
            if item["id"] in seen:
                messages.append((f"/dispensations/{i}/id", f"id {item['id']} already used by /dispensations/"
                                                           f"{seen[item['id']]}"))
            seen.setdefault(item["id"], i)
    if messages:
        raise DispensationError(locate_messages(source, text, True, messages))
    return [Dispensation(id=d["id"], rule=d["rule"], insurer=d["insurer"], reason=d["reason"],
                         approved_by=d["approved_by"], reference=d["reference"],
                         expires=date.fromisoformat(d["expires"]), subject=d.get("subject") or None,
                         period=d.get("period") or None) for d in data["dispensations"]]


def load_dispensations(path: Path) -> list[Dispensation]:
    from .contract.load import Problem

    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DispensationError([Problem(str(path), "", f"cannot read the file: {exc}")]) from None
    return parse_dispensations(text, str(path))


@dataclass(frozen=True)
class DispensationSet:
    items: tuple[Dispensation, ...]

    def apply(self, conn: Connection, run_id: int, as_of: date) -> None:
        """Waive the failures each live dispensation covers; record every dispensation's status for the run."""
        f, s, i, rs = t.findings.c, t.submissions.c, t.insurers.c, t.run_submissions.c
        rows = []
        for d in self.items:
            insurer_docs = select(s.id).join(t.insurers, i.id == s.insurer_id).where(i.code == d.insurer)
            if d.period:
                insurer_docs = insurer_docs.where(s.period == d.period)
            scope = [f.run_id == run_id, f.rule_id == d.rule, f.status == "fail", f.submission_id.in_(insurer_docs)]
            if d.subject:
                scope.append(or_(f.subject == d.subject, f.subject.like(_like_prefix(d.subject), escape="\\")))
            covered = int(conn.execute(select(func.count()).select_from(t.findings).where(*scope)).scalar_one())
            expired = d.expires < as_of
            if expired:
                status = "expired"
                if covered:
                    warning = (f"dispensation {d.id} for {d.rule} expired on {d.expires.isoformat()}; "
                               f"{covered} failure(s) it covered stand")
                    affected = select(f.submission_id).where(*scope).distinct()
                    for (sid,) in conn.execute(affected).all():
                        current = conn.execute(select(rs.warnings).where(rs.run_id == run_id,
                                                                         rs.submission_id == sid)).scalar_one()
                        conn.execute(update(t.run_submissions).where(rs.run_id == run_id, rs.submission_id == sid)
                                     .values(warnings=json.dumps([*json.loads(current), warning],
                                                                 ensure_ascii=False)))
            elif covered:
                status = "applied"
                conn.execute(update(t.findings).where(*scope).values(status="waived", dispensation_id=d.id))
            else:
                status = "unused"
            rows.append({"run_id": run_id, "dispensation_id": d.id, "status": status, "covered": covered,
                         "expires": d.expires, "record": json.dumps(d.as_dict(), ensure_ascii=False)})
        if rows:
            conn.execute(insert(t.run_dispensations), rows)


def _like_prefix(subject: str) -> str:
    escaped = subject.rstrip("/").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "/%"


def import_dispensations(engine: Engine, items: Iterable[Dispensation], source: str) -> dict[str, int]:
    """Store dispensations with history: a changed one becomes a new version; the same one again is a no-op."""
    d_t = t.dispensations.c
    counts = {"new": 0, "changed": 0, "unchanged": 0}
    now = datetime.now(UTC).replace(tzinfo=None)
    from .store.db import advisory_lock, writing

    # Importers take turns (SQLite: BEGIN IMMEDIATE; PostgreSQL: a lock per id, taken in id order so that two
    # imports of overlapping files never deadlock): each reads the latest version only after the previous
    # importer committed, so no version is lost or numbered twice.
    items = sorted(items, key=lambda d: d.id)
    with writing(engine).begin() as conn:
        for d in items:
            advisory_lock(conn, "dispensation", d.id)
        for d in items:
            latest = conn.execute(select(d_t.version, d_t.digest).where(d_t.dispensation_id == d.id)
                                  .order_by(d_t.version.desc()).limit(1)).first()
            if latest is not None and latest.digest == d.digest():
                counts["unchanged"] += 1
                continue
            if latest is not None:
                conn.execute(update(t.dispensations).where(d_t.dispensation_id == d.id).values(is_current=False))
            conn.execute(insert(t.dispensations).values(
                dispensation_id=d.id, version=(latest.version + 1) if latest else 1, is_current=True,
                digest=d.digest(), rule_id=d.rule, insurer_code=d.insurer, subject=d.subject, period=d.period,
                reason=d.reason, approved_by=d.approved_by, reference=d.reference, expires=d.expires,
                source=source, imported_at=now))
            counts["changed" if latest else "new"] += 1
    return counts


def stored_dispensations(engine: Engine) -> DispensationSet | None:
    d_t = t.dispensations.c
    with engine.connect() as conn:
        rows = conn.execute(select(t.dispensations).where(d_t.is_current.is_(True)).order_by(d_t.id)).all()
    if not rows:
        return None
    return DispensationSet(tuple(Dispensation(
        id=r.dispensation_id, rule=r.rule_id, insurer=r.insurer_code, reason=r.reason, approved_by=r.approved_by,
        reference=r.reference, expires=r.expires, subject=r.subject, period=r.period) for r in rows))


def run_dispensations(conn: Connection, run_id: int, as_of: date, warn_days: int) -> list[dict[str, Any]]:
    rd = t.run_dispensations.c
    out = []
    for r in conn.execute(select(t.run_dispensations).where(rd.run_id == run_id).order_by(rd.id)):
        record = json.loads(r.record)
        days = (r.expires - as_of).days
        out.append({**record, "status": r.status, "covered": r.covered, "expires_in_days": days,
                    "expiring_soon": 0 <= days <= warn_days})
    return out

