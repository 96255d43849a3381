"""The text view of results: for people at a terminal or reading a CI log.

Every text that comes from data (names, paths, subjects, keys, messages, warnings) goes through
``safetext.clean``: control characters are shown escaped, so a line of data stays one inert line.
"""

from __future__ import annotations

from typing import Any

from ..safetext import clean as c

MARK = {"pass": "ok  ", "fail": "FAIL", "indeterminate": "????", "waived": "WAIV", "not_applicable": "n/a "}


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
            block = "  BLOCKING FAILURE" if score["blocking"] else ""
            ind = "" if score["variety"] is None else (
                f"; item 18 indicators: variety {score['variety']}, coverage {score['coverage']}, "
                f"protection {score['protection']}, service {score['service']}")
            lines.append(f"   score: compliance {score['compliance']}/100{block}{ind}")
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
