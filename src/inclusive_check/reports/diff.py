"""What changed between two stored runs: each open or waived finding new, fixed, waived or persisting; score change
per document; dispensations of the later run about to expire.

Findings are matched by their fingerprint (insurer, document kind and key, rule, subject and key;
results.fingerprint), never by their position in a list, so a breach in one product cannot hide or
stand in for a breach in another. Open findings (fail, indeterminate) and waived ones are compared:

- ``new``: open in the later run, and not open in the earlier one (passed, was absent, the
  document was not checked then, or it was waived and its dispensation has lapsed);
- ``fixed``: open in the earlier run; the later run checked the same document and the finding is
  no longer open and not waived (it passes or is not applicable, or the subject is gone);
- ``waived``: waived by a dispensation in the later run, whatever it was before (open — newly
  waived, waived — still waived, or passing/absent — a new breach already covered). A waived
  breach is not fixed;
- ``persisting``: open in both (the status may move between fail and indeterminate);
- ``not_rechecked``: open in the earlier run, but the later run did not check that document at
  all, so nothing can be said (it is not counted as fixed).

``expiring_dispensations`` lists the later run's dispensations that expire within
``expiry_warning_days`` of its as-of date (expiry inclusive, so 0 days is the last valid day).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select

from ..safetext import clean
from .common import OPEN_STATUSES

DIFF_SCHEMA = "inclusive-check/diff/1"
CHANGES = ("new", "fixed", "waived", "persisting", "not_rechecked")
WAIVED = "waived"
DIMENSIONS = ("compliance", "variety", "coverage", "protection", "service")


class DiffError(Exception):
    """The runs to compare cannot be found; the message says which."""


def last_two_runs(engine: Engine) -> tuple[int, int]:
    from ..store import tables as t

    with engine.connect() as conn:
        ids = [int(i) for i in conn.execute(select(t.runs.c.id).order_by(t.runs.c.id.desc()).limit(2)).scalars()]
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
        "dispensation_before": before["dispensation"] if before else None,
        "dispensation_after": after["dispensation"] if after else None,
        "message": shown["message"],
    }


def diff_results(before: dict[str, Any], after: dict[str, Any], expiry_warning_days: int | None = None
                 ) -> dict[str, Any]:
    """Compare two results dicts (results.run_results, passes included) of the earlier and the later run.

    ``expiry_warning_days`` is the window the later results' ``expiring_soon`` was judged with; it is
    only recorded in the output.
    """
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
            old = by_fp_b.get(fp)
            if f["status"] == WAIVED:
                entries.append(_entry(WAIVED, sub_a or {}, old, f))
                continue
            if f["status"] not in OPEN_STATUSES:
                continue
            was_open = old is not None and old["status"] in OPEN_STATUSES
            entries.append(_entry("persisting" if was_open else "new", sub_a or {}, old, f))
        for fp, old in by_fp_b.items():
            if old["status"] not in OPEN_STATUSES:
                continue
            now = by_fp_a.get(fp)
            if sub_a is None:
                entries.append(_entry("not_rechecked", sub_b or {}, old, None))
            elif now is None or now["status"] not in (*OPEN_STATUSES, WAIVED):
                entries.append(_entry("fixed", sub_a, old, now))
        entries.sort(key=lambda e: (CHANGES.index(e["change"]), e["clause"], e["rule_id"], e["subject"], e["key"]))
        findings.extend(entries)
        score_b = (sub_b or {}).get("score") or {}
        score_a = (sub_a or {}).get("score") or {}
        scores.append({
            "insurer": key[0], "kind": key[1], "document_key": key[2],
            "in_before": sub_b is not None, "in_after": sub_a is not None,
            "blocking_before": score_b.get("blocking"), "blocking_after": score_a.get("blocking"),
            # a document checked but not scored (compliance null, with the reason) is not a missing document
            "not_scored_before": score_b.get("not_scored") if score_b and score_b.get("compliance") is None else None,
            "not_scored_after": score_a.get("not_scored") if score_a and score_a.get("compliance") is None else None,
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
        "expiry_warning_days": expiry_warning_days,
        "expiring_dispensations": [d for d in after.get("dispensations", []) if d["expiring_soon"]],
    }


def diff_runs(engine: Engine, run_before: int | None = None, run_after: int | None = None,
              insurer: str | None = None, expiry_warning_days: int = 90) -> dict[str, Any]:
    """Diff two stored runs (default: the last two), optionally for one insurer; dispensations of the later run
    expiring within ``expiry_warning_days`` are listed."""
    from ..results import run_results

    if run_before is None or run_after is None:
        run_before, run_after = last_two_runs(engine)
    with engine.connect() as conn:
        try:
            before = run_results(conn, run_before, insurer=insurer, expiry_warning_days=expiry_warning_days)
            after = run_results(conn, run_after, insurer=insurer, expiry_warning_days=expiry_warning_days)
        except LookupError as exc:
            raise DiffError(str(exc).replace("no run", "no stored run")) from None
    return diff_results(before, after, expiry_warning_days)


WORDS = {
    "new": {"en": "new", "zh": "新增"}, "fixed": {"en": "fixed", "zh": "已整改"},
    "waived": {"en": "waived", "zh": "已豁免"},
    "persisting": {"en": "persisting", "zh": "仍存在"}, "not_rechecked": {"en": "not rechecked", "zh": "未复查"},
}

NOT_SCORED = {"en": "not scored", "zh": "未评分"}

DISPENSATION_WORDS = {"applied": "已适用", "expired": "已过期", "unused": "未使用"}


def render_text(diff: dict[str, Any], lang: str = "en") -> str:
    b, a = diff["before"], diff["after"]
    c = clean
    lines = [f"diff: run {b['id']} ({b['started_at'][:19]}, {c(b['ruleset']['id'])} {c(b['ruleset']['version'])}, "
             f"{b['documents']} document(s)) -> run {a['id']} ({a['started_at'][:19]}, {c(a['ruleset']['id'])} "
             f"{c(a['ruleset']['version'])}, {a['documents']} document(s))"]
    for score in diff["scores"]:
        doc = score["document_key"] if score["kind"] == "submission" else f"filing {score['document_key']}"
        entries = [f for f in diff["findings"] if (f["insurer"], f["kind"], f["document_key"]) ==
                   (score["insurer"], score["kind"], score["document_key"])]
        presence = "" if score["in_before"] and score["in_after"] else (
            " (only in the later run)" if score["in_after"] else " (not checked in the later run)")
        lines.append(f"== {c(score['insurer'])} {c(doc)}{presence}")
        for f in entries:
            subject = (f["subject"] or "/") + (f" [{f['key']}]" if f["key"] else "")
            status = f["status_after"] if f["status_after"] in (*OPEN_STATUSES, WAIVED) else f["status_before"]
            message = f["message"][lang]
            where = "" if message.startswith(f["subject"] or "\0") else f"{subject}: "
            lines.append(f"   {WORDS[f['change']][lang]:<13} {f['severity']:<7} {status:<13} {f['rule_id']:<24} "
                         f"{c(where)}{c(message)}")
        parts = []
        unscored = NOT_SCORED[lang]
        for name in DIMENSIONS:
            v = score[name]
            shown_b = v["before"] if v["before"] is not None else (
                unscored if name == "compliance" and score.get("not_scored_before") else "—")
            shown_a = v["after"] if v["after"] is not None else (
                unscored if name == "compliance" and score.get("not_scored_after") else "—")
            if shown_b == "—" and shown_a == "—":
                continue
            change = f" ({v['change']})" if v["change"] is not None else ""
            parts.append(f"{name} {shown_b} -> {shown_a}{change}")
        if score["in_before"] and score["in_after"] and score["blocking_before"] != score["blocking_after"]:
            parts.append(f"blocking {score['blocking_before']} -> {score['blocking_after']}")
        if parts:
            lines.append("   score: " + "; ".join(parts))
    expiring = diff.get("expiring_dispensations", [])
    if expiring:
        window = diff.get("expiry_warning_days")
        within = ("soon" if window is None else f"within {window} day(s)") if lang == "en" else (
            "" if window is None else f"（{window}天内）")
        lines.append(f"dispensations of run {a['id']} expiring {within}:" if lang == "en" else
                     f"批次 {a['id']} 即将到期的豁免{within}：")
        for d in expiring:
            scope = c(", ".join(x for x in (d["rule"], d["insurer"], d["subject"], d["period"]) if x))
            days = d["expires_in_days"]
            if lang == "en":
                when = "today" if days == 0 else f"in {days} day(s)"
                lines.append(f"   {c(d['id'])} ({scope}): {d['status']}, {d['covered']} failure(s) covered, "
                             f"expires {d['expires']} ({when}); {c(d['reference'])}")
            else:
                when = "今日" if days == 0 else f"{days}天后"
                lines.append(f"   {c(d['id'])}（{scope}）：{DISPENSATION_WORDS.get(d['status'], d['status'])}，"
                             f"覆盖 {d['covered']} 项未达标，"
                             f"{d['expires']}到期（{when}）；{c(d['reference'])}")
    summary = diff["summary"]
    lines.append(", ".join(f"{summary[c]} {WORDS[c][lang]}" for c in CHANGES))
    return "\n".join(lines)
