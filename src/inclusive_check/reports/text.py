"""The text view of results: for people at a terminal or reading a CI log."""

from __future__ import annotations

from typing import Any

MARK = {"pass": "ok  ", "fail": "FAIL", "indeterminate": "????", "waived": "WAIV", "not_applicable": "n/a "}


def render(results: dict[str, Any], lang: str = "en", show_passes: bool = False) -> str:
    lines: list[str] = []
    for sub in results["submissions"]:
        who = f"{sub['insurer']['code']} {sub['insurer']['name'] or ''}".strip()
        what = sub["period"] if sub["kind"] == "submission" else f"filing {sub['document_key']}"
        lines.append(f"== {who} — {what} (rev {sub['revision']}) — {sub['source']}")
        for warning in sub["warnings"]:
            lines.append(f"   warning: {warning}")
        shown = [f for f in sub["findings"] if show_passes or f["status"] not in ("pass", "not_applicable")]
        for f in shown:
            lines.append(f"   {MARK[f['status']]} {f['severity']:<7} {f['rule_id']:<24} item {f['clause']:<2} "
                         f"{f['message'][lang]}")
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
        scope = ", ".join(x for x in (d["rule"], d["insurer"], d["subject"], d["period"]) if x)
        lines.append(f"dispensation {d['id']} ({scope}): {d['status']}, {d['covered']} failure(s) covered, "
                     f"expires {d['expires']}{soon}")
    summary = results["summary"]
    counts = ", ".join(f"{n} {s}" for s, n in summary["status"].items()) or "no findings"
    lines.append(f"{summary['submissions']} document(s) checked with {results['run']['ruleset']['id']} "
                 f"{results['run']['ruleset']['version']}: {counts}")
    return "\n".join(lines)
