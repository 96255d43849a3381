"""What changed between two stored runs: each open finding new, fixed or persisting; score change per document.

Findings are matched by their fingerprint (insurer, document kind and key, rule, subject and key;
results.fingerprint), never by their position in a list, so a breach in one product cannot hide or
stand in for a breach in another. Only open findings (fail, indeterminate) are compared:

- ``new``: open in the later run, and not open in the earlier one (passed, was absent, or the
  document was not checked then);
- ``fixed``: open in the earlier run; the later run checked the same document and the finding is
  no longer open (it passes, is waived or not applicable, or the subject is gone);
- ``persisting``: open in both (the status may move between fail and indeterminate);
- ``not_rechecked``: open in the earlier run, but the later run did not check that document at
  all, so nothing can be said (it is not counted as fixed).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select

from .common import OPEN_STATUSES

DIFF_SCHEMA = "inclusive-check/diff/1"
CHANGES = ("new", "fixed", "persisting", "not_rechecked")
DIMENSIONS = ("compliance", "variety", "coverage", "protection", "service")


class DiffError(Exception):
    """The runs to compare cannot be found; the message says which."""


def last_two_runs(engine: Engine) -> tuple[int, int]:
    from ..store import tables as t

    with engine.connect() as conn:
        ids = [int(i) for i in conn.execute(select(t.Run.id).order_by(t.Run.id.desc()).limit(2)).scalars()]
    if len(ids) < 2:
        raise DiffError(f"diff needs two stored runs; the database has {len(ids)}")
    return ids[1], ids[0]


def _doc_key(sub: dict[str, Any]) -> tuple[str, str, str]:
    return sub["insurer"]["code"], sub["kind"], sub["document_key"]


def _change(before: str | None, after: str | None) -> str | None:
    if before is None or after is None:
        return None
    delta = Decimal(after) - Decimal(before)
    text = format(delta.normalize(), "f") if delta else "0"
    return text if delta <= 0 else "+" + text


def _run_info(results: dict[str, Any]) -> dict[str, Any]:
    run = results["run"]
    return {"id": run["id"], "ruleset": run["ruleset"], "as_of": run["as_of"], "started_at": run["started_at"],
            "documents": len(results["submissions"])}


def _entry(change: str, sub: dict[str, Any], before: dict[str, Any] | None, after: dict[str, Any] | None
           ) -> dict[str, Any]:
    shown = after if after is not None else before
    assert shown is not None
    return {
        "change": change, "fingerprint": shown["fingerprint"], "insurer": sub["insurer"]["code"],
        "kind": sub["kind"], "document_key": sub["document_key"], "rule_id": shown["rule_id"],
        "clause": shown["clause"], "subject": shown["subject"], "key": shown["key"],
        "severity": shown["severity"], "status_before": before["status"] if before else None,
        "status_after": after["status"] if after else None, "expected": shown["expected"],
        "actual_before": before["actual"] if before else None, "actual_after": after["actual"] if after else None,
        "message": shown["message"],
    }


def diff_results(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Compare two results dicts (results.run_results, passes included) of the earlier and the later run."""
    docs_before = {_doc_key(s): s for s in before["submissions"]}
    docs_after = {_doc_key(s): s for s in after["submissions"]}
    findings: list[dict[str, Any]] = []
    scores: list[dict[str, Any]] = []
    order = sorted(set(docs_before) | set(docs_after), key=lambda k: (k[0], k[1] != "submission", k[2]))
    for key in order:
        sub_b, sub_a = docs_before.get(key), docs_after.get(key)
        by_fp_b = {f["fingerprint"]: f for f in sub_b["findings"]} if sub_b else {}
        by_fp_a = {f["fingerprint"]: f for f in sub_a["findings"]} if sub_a else {}
        entries = []
        for fp, f in by_fp_a.items():
            if f["status"] not in OPEN_STATUSES:
                continue
            old = by_fp_b.get(fp)
            was_open = old is not None and old["status"] in OPEN_STATUSES
            entries.append(_entry("persisting" if was_open else "new", sub_a or {}, old, f))
        for fp, old in by_fp_b.items():
            if old["status"] not in OPEN_STATUSES:
                continue
            now = by_fp_a.get(fp)
            if sub_a is None:
                entries.append(_entry("not_rechecked", sub_b or {}, old, None))
            elif now is None or now["status"] not in OPEN_STATUSES:
                entries.append(_entry("fixed", sub_a, old, now))
        entries.sort(key=lambda e: (CHANGES.index(e["change"]), e["clause"], e["rule_id"], e["subject"], e["key"]))
        findings.extend(entries)
        score_b = (sub_b or {}).get("score") or {}
        score_a = (sub_a or {}).get("score") or {}
        scores.append({
            "insurer": key[0], "kind": key[1], "document_key": key[2],
            "in_before": sub_b is not None, "in_after": sub_a is not None,
            "blocking_before": score_b.get("blocking"), "blocking_after": score_a.get("blocking"),
            **{name: {"before": score_b.get(name), "after": score_a.get(name),
                      "change": _change(score_b.get(name), score_a.get(name))} for name in DIMENSIONS},
        })
    return {
        "schema": DIFF_SCHEMA,
        "before": _run_info(before),
        "after": _run_info(after),
        "summary": {change: sum(1 for f in findings if f["change"] == change) for change in CHANGES},
        "findings": findings,
        "scores": scores,
    }


def diff_runs(engine: Engine, run_before: int | None = None, run_after: int | None = None,
              insurer: str | None = None) -> dict[str, Any]:
    """Diff two stored runs (default: the last two), optionally for one insurer."""
    from ..results import run_results

    if run_before is None or run_after is None:
        run_before, run_after = last_two_runs(engine)
    with engine.connect() as conn:
        try:
            before = run_results(conn, run_before, insurer=insurer)
            after = run_results(conn, run_after, insurer=insurer)
        except LookupError as exc:
            raise DiffError(str(exc).replace("no run", "no stored run")) from None
    return diff_results(before, after)


WORDS = {
    "new": {"en": "new", "zh": "新增"}, "fixed": {"en": "fixed", "zh": "已整改"},
    "persisting": {"en": "persisting", "zh": "仍存在"}, "not_rechecked": {"en": "not rechecked", "zh": "未复查"},
}


def render_text(diff: dict[str, Any], lang: str = "en") -> str:
    b, a = diff["before"], diff["after"]
    lines = [f"diff: run {b['id']} ({b['started_at'][:19]}, {b['ruleset']['id']} {b['ruleset']['version']}, "
             f"{b['documents']} document(s)) -> run {a['id']} ({a['started_at'][:19]}, {a['ruleset']['id']} "
             f"{a['ruleset']['version']}, {a['documents']} document(s))"]
    for score in diff["scores"]:
        doc = score["document_key"] if score["kind"] == "submission" else f"filing {score['document_key']}"
        entries = [f for f in diff["findings"] if (f["insurer"], f["kind"], f["document_key"]) ==
                   (score["insurer"], score["kind"], score["document_key"])]
        presence = "" if score["in_before"] and score["in_after"] else (
            " (only in the later run)" if score["in_after"] else " (not checked in the later run)")
        lines.append(f"== {score['insurer']} {doc}{presence}")
        for f in entries:
            subject = (f["subject"] or "/") + (f" [{f['key']}]" if f["key"] else "")
            status = f["status_after"] if f["status_after"] in OPEN_STATUSES else f["status_before"]
            message = f["message"][lang]
            where = "" if message.startswith(f["subject"] or "\0") else f"{subject}: "
            lines.append(f"   {WORDS[f['change']][lang]:<13} {f['severity']:<7} {status:<13} {f['rule_id']:<24} "
                         f"{where}{message}")
        parts = []
        for name in DIMENSIONS:
            v = score[name]
            if v["before"] is None and v["after"] is None:
                continue
            change = f" ({v['change']})" if v["change"] is not None else ""
            parts.append(f"{name} {v['before'] if v['before'] is not None else '—'} -> "
                         f"{v['after'] if v['after'] is not None else '—'}{change}")
        if score["in_before"] and score["in_after"] and score["blocking_before"] != score["blocking_after"]:
            parts.append(f"blocking {score['blocking_before']} -> {score['blocking_after']}")
        if parts:
            lines.append("   score: " + "; ".join(parts))
    summary = diff["summary"]
    lines.append(", ".join(f"{summary[c]} {WORDS[c][lang]}" for c in CHANGES))
    return "\n".join(lines)
