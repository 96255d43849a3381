"""The text view of results: for people at a terminal or reading a CI log.

Every text that comes from data (names, paths, subjects, keys, messages, warnings) goes through
``safetext.clean``: control characters are shown escaped, so a line of data stays one inert line.
"""

from __future__ import annotations

from ..contract.outputs import Results, Score, in_lang
from ..safetext import clean as c
from ..wording import SEVERITY, STATUS, shown_status

# A finding's mark: its status in words (an encouraged item that is missed is "not covered", never FAIL).
MARK = {
    "en": {
        "pass": "ok",
        "fail": "FAIL",
        "indeterminate": "UNDETERMINED",
        "waived": "WAIVED",
        "not_applicable": "n/a",
        "not_covered": "not covered",
    },
    "zh": STATUS["zh"],
}


BANDS = {"en": {"good": "good", "fair": "fair", "poor": "poor"}, "zh": {"good": "良好", "fair": "一般", "poor": "较差"}}
WORDS = {
    "score": {"en": "score", "zh": "评分"},
    "compliance": {"en": "compliance", "zh": "合规得分"},
    "not_scored": {"en": "not scored", "zh": "未评分"},
    "blocking": {"en": "BLOCKING", "zh": "阻断"},
    "blocking_fail": {"en": "BLOCKING FAILURE", "zh": "阻断性违规"},
    "indicators": {"en": "item 18 indicators", "zh": "第（十八）项指标"},
    "variety": {"en": "variety", "zh": "产品丰富度"},
    "coverage": {"en": "coverage", "zh": "覆盖面"},
    "protection": {"en": "protection", "zh": "保障水平"},
    "service": {"en": "service", "zh": "服务质量"},
    "rules": {"en": "rules below full share", "zh": "未完全通过的规则"},
    "filing": {"en": "filing", "zh": "产品备案"},
    "rev": {"en": "rev", "zh": "修订版"},
    "warning": {"en": "warning", "zh": "警告"},
    "item": {"en": "item {n}", "zh": "第{n}项"},
    "hidden": {
        "en": "({n} passing or not-applicable check(s) not shown; --show-passes lists them)",
        "zh": "（另有{n}项通过或不适用的检查未列出；--show-passes 可列出）",
    },
    "dispensation": {
        "en": "dispensation {id} ({scope}): {status}, {covered} failure(s) covered, expires {expires}{soon}",
        "zh": "豁免 {id}（{scope}）：{status}，覆盖{covered}项不合规，{expires}到期{soon}",
    },
    "soon": {"en": "; expires in {days} day(s)", "zh": "；{days}天后到期"},
    "summary": {
        "en": "{n} document(s) checked with {ruleset} {version}: {counts}",
        "zh": "已用规则集 {ruleset} {version} 检查{n}份文件：{counts}",
    },
    "no_findings": {"en": "no findings", "zh": "无检查结果"},
    "run_warning": {"en": "warning: {text}", "zh": "警告：{text}"},
}
DISPENSATION_STATUS = {
    "en": {"applied": "applied", "expired": "expired", "unused": "unused"},
    "zh": {"applied": "已适用", "expired": "已过期", "unused": "未使用"},
}


def _score_lines(score: Score, lang: str) -> list[str]:
    """The score as stored: the compliance number and its band (or why it is not scored), blocking with its
    reasons, the rules that did not fully pass, and item 18's indicators."""
    w = {k: v[lang] for k, v in WORDS.items()}
    comp = score.breakdown.get("compliance") or {}
    if score.compliance is None:
        reason = in_lang(score.not_scored, lang) if score.not_scored else None
        head = reason or w["not_scored"]
    else:
        band = BANDS[lang].get(comp.get("score_band", ""), "")
        head = f"{w['compliance']} {score.compliance}/100" + (f" ({band})" if band else "")
    reasons = comp.get("blocking_reasons")
    if score.blocking:
        why = "; ".join(r[lang] for r in reasons) if reasons else ", ".join(comp.get("blocking_failures", []))
        mark = w["blocking_fail"] if comp.get("blocking_failures", True) else w["blocking"]
        head += f"  {mark}: {why}" if why else f"  {mark}"
    ind = (
        ""
        if score.variety is None
        else (
            f"; {w['indicators']}: {w['variety']} {score.variety}, {w['coverage']} {score.coverage}, "
            f"{w['protection']} {score.protection}, {w['service']} {score.service}"
        )
    )
    lines = [f"   {w['score']}: {head}{ind}"]
    short = [
        f"{r['rule_id']} {r['passed']}/{r['counted']}"
        for r in comp.get("rules", [])
        if r["scored"] and r["passed"] < r["counted"]
    ]
    if short:
        lines.append(f"   {w['rules']}: " + ", ".join(short))
    return lines


def render(results: Results, lang: str = "en", show_passes: bool = False) -> str:
    w = {k: v[lang] for k, v in WORDS.items()}
    mark, severity = MARK[lang], SEVERITY[lang]
    width = max(len(m) for m in mark.values())
    lines: list[str] = [w["run_warning"].format(text=c(warning)) for warning in results.run.warnings]
    for sub in results.submissions:
        who = f"{c(sub.insurer.code)} {c(sub.insurer.name or '')}".strip()
        what = c(sub.period or "") if sub.kind == "submission" else f"{w['filing']} {c(sub.document_key)}"
        lines.append(f"== {who} — {what} ({w['rev']} {sub.revision}) — {c(sub.source)}")
        for warning in sub.warnings:
            lines.append(f"   {w['warning']}: {c(warning)}")
        shown = [f for f in sub.findings if show_passes or f.status not in ("pass", "not_applicable")]
        for f in shown:
            status = mark[shown_status(f.status, f.strength)]
            item = w["item"].format(n=f.clause)
            lines.append(
                f"   {status:<{width}} {severity[f.severity]:<7} {f.rule_id:<24} {item:<7} "
                f"{c(in_lang(f.message, lang))}"
            )
        hidden = len(sub.findings) - len(shown)
        if hidden:
            lines.append("   " + w["hidden"].format(n=hidden))
        if sub.score:
            lines.extend(_score_lines(sub.score, lang))
        lines.append("")
    for d in results.dispensations:
        soon = w["soon"].format(days=d.expires_in_days) if d.expiring_soon else ""
        scope = ", ".join(c(x) for x in (d.rule, d.insurer, d.subject, d.period) if x)
        status = DISPENSATION_STATUS[lang].get(d.status, d.status)
        lines.append(
            w["dispensation"].format(
                id=c(d.id), scope=scope, status=status, covered=d.covered, expires=d.expires, soon=soon
            )
        )
    summary = results.summary
    counts = ", ".join(f"{n} {STATUS[lang].get(s, s)}" for s, n in summary.status.items()) or w["no_findings"]
    lines.append(
        w["summary"].format(
            n=summary.submissions,
            ruleset=c(results.run.ruleset.id),
            version=c(results.run.ruleset.version),
            counts=counts,
        )
    )
    return "\n".join(lines)
