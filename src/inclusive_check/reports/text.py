"""The text view of results: for people at a terminal or reading a CI log.

Every text that comes from data (names, paths, subjects, keys, messages, warnings) goes through
``safetext.clean``: control characters are shown escaped, so a line of data stays one inert line.
"""

from __future__ import annotations

from typing import Any

from ..safetext import clean as c

MARK = {"pass": "ok  ", "fail": "FAIL", "indeterminate": "????", "waived": "WAIV", "not_applicable": "n/a "}


BANDS = {"en": {"good": "good", "fair": "fair", "poor": "poor"}, "zh": {"good": "良好", "fair": "一般", "poor": "较差"}}
WORDS = {
    "score": {"en": "score", "zh": "评分"}, "compliance": {"en": "compliance", "zh": "合规得分"},
    "not_scored": {"en": "not scored", "zh": "未评分"}, "blocking": {"en": "BLOCKING", "zh": "阻断"},
    "blocking_fail": {"en": "BLOCKING FAILURE", "zh": "阻断性违规"},
    "indicators": {"en": "item 18 indicators", "zh": "第（十八）项指标"},
    "variety": {"en": "variety", "zh": "产品丰富度"},
    "coverage": {"en": "coverage", "zh": "覆盖面"}, "protection": {"en": "protection", "zh": "保障水平"},
    "service": {"en": "service", "zh": "服务质量"},
    "rules": {"en": "rules below full share", "zh": "未完全通过的规则"},
}


def _score_lines(score: dict[str, Any], lang: str) -> list[str]:
    """The score as stored: the compliance number and its band (or why it is not scored), blocking with its
    reasons, the rules that did not fully pass, and item 18's indicators."""
    w = {k: v[lang] for k, v in WORDS.items()}
    comp = score["breakdown"].get("compliance") or {}
    if score["compliance"] is None:
        reason = (score.get("not_scored") or {}).get(lang)
        head = reason or w["not_scored"]
    else:
        band = BANDS[lang].get(comp.get("score_band", ""), "")
        head = f"{w['compliance']} {score['compliance']}/100" + (f" ({band})" if band else "")
    reasons = comp.get("blocking_reasons")
    if score["blocking"]:
        why = "; ".join(r[lang] for r in reasons) if reasons else ", ".join(comp.get("blocking_failures", []))
        mark = w["blocking_fail"] if comp.get("blocking_failures", True) else w["blocking"]
        head += f"  {mark}: {why}" if why else f"  {mark}"
    ind = "" if score["variety"] is None else (
        f"; {w['indicators']}: {w['variety']} {score['variety']}, {w['coverage']} {score['coverage']}, "
        f"{w['protection']} {score['protection']}, {w['service']} {score['service']}")
    lines = [f"   {w['score']}: {head}{ind}"]
    short = [f"{r['rule_id']} {r['passed']}/{r['counted']}" for r in comp.get("rules", [])
             if r["scored"] and r["passed"] < r["counted"]]
    if short:
        lines.append(f"   {w['rules']}: " + ", ".join(short))
    return lines


def render(results: dict[str, Any], lang: str = "en", show_passes: bool = False) -> str:
    lines: list[str] = []
    for sub in results["submissions"]:
        who = f"{c(sub['insurer']['code'])} {c(sub['insurer']['name'] or '')}".strip()
        what = c(sub["period"]) if sub["kind"] == "submission" else f"filing {c(sub['document_key'])}"
        lines.append(f"== {who} — {what} (rev {sub['revision']}) — {c(sub['source'])}")
        for warning in sub["warnings"]:
            lines.append(f"   warning: {c(warning)}")
        shown = [f for f in sub["findings"] if show_passes or f["status"] not in ("pass", "not_applicable")]
        for f in shown:
            lines.append(f"   {MARK[f['status']]} {f['severity']:<7} {f['rule_id']:<24} item {f['clause']:<2} "
                         f"{c(f['message'][lang])}")
        hidden = len(sub["findings"]) - len(shown)
        if hidden:
            lines.append(f"   ({hidden} passing or not-applicable check(s) not shown; --show-passes lists them)")
        score = sub["score"]
        if score:
            lines.extend(_score_lines(score, lang))
        lines.append("")
    for d in results.get("dispensations", []):
        soon = f"; expires in {d['expires_in_days']} day(s)" if d["expiring_soon"] else ""
        scope = ", ".join(c(x) for x in (d["rule"], d["insurer"], d["subject"], d["period"]) if x)
        lines.append(f"dispensation {c(d['id'])} ({scope}): {d['status']}, {d['covered']} failure(s) covered, "
                     f"expires {d['expires']}{soon}")
    summary = results["summary"]
    counts = ", ".join(f"{n} {s}" for s, n in summary["status"].items()) or "no findings"
    lines.append(f"{summary['submissions']} document(s) checked with {c(results['run']['ruleset']['id'])} "
                 f"{c(results['run']['ruleset']['version'])}: {counts}")
    return "\n".join(lines)
