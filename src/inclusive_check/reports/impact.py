"""Views of impact analysis (impact.py computes; this only renders): a what-if as text, CSV or an HTML section
in the audit report's style, a ruleset diff and a reproduction as text."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from ..contract.outputs import FindingChange, FindingState, Reproduction, RulesetChange, RulesetDiff, WhatIf, in_lang
from ..safetext import clean

FLIPS = {
    "newly_fails": {"en": "newly fails", "zh": "新增未通过"},
    "newly_passes": {"en": "newly passes", "zh": "新通过"},
    "changes": {"en": "changes", "zh": "其他变化"},
}
DIMENSIONS = ("compliance", "variety", "coverage", "protection", "service")


def _dated(values: Any) -> str:
    """Dated values as one line: '0.05 from 2024-05-29 until 2025-12-30; 0.06 from 2025-12-31'."""
    if values is None:
        return "(not stated)"
    if not isinstance(values, list):
        return clean(json.dumps(values, ensure_ascii=False, default=str))
    parts = []
    for v in values:
        value = v.get("value")
        shown = "" if value is None else json.dumps(value, ensure_ascii=False, default=str) + " "
        until = f" until {v['until']}" if v.get("until") else ""
        parts.append(f"{shown}from {v['from']}{until}")
    return clean("; ".join(parts)) or "(none)"


def _policy_lines(changes: list[RulesetChange]) -> list[str]:
    lines = []
    for change in changes:
        lines.append(f"   {clean(change.path)} ({change.kind})")
        lines.append(f"      before: {_dated(change.before)}")
        lines.append(f"      after:  {_dated(change.after)}")
        cited = {change.citation_before, change.citation_after} - {None}
        for citation in sorted(c for c in cited if c):
            lines.append(f"      citation: {clean(citation)}")
    return lines


def ruleset_diff_text(diff: RulesetDiff) -> str:
    a, b = diff.before, diff.after
    lines = [
        f"ruleset diff: {clean(a.id)} {clean(a.version)} ({a.sha256[:12]}) -> "
        f"{clean(b.id)} {clean(b.version)} ({b.sha256[:12]})"
    ]
    lines += _policy_lines(diff.changes)
    lines.append(f"{len(diff.changes)} difference(s)" if diff.changes else "no differences")
    return "\n".join(lines)


def _state(state: FindingState | None) -> str:
    if state is None:
        return "(none)"
    return f"{state.status}/{state.severity}/{state.strength}"


def _finding_line(f: FindingChange, lang: str) -> str:
    subject = (f.subject or "/") + (f" [{f.key}]" if f.key else "")
    doc = f.document_key if f.kind == "submission" else f"filing {f.document_key}"
    state = f.after or f.before
    actual = state.actual if state is not None else ""
    return clean(
        f"   {FLIPS[f.flip][lang]:<13} {f.insurer} {doc} {f.rule_id} {subject}: "
        f"{_state(f.before)} -> {_state(f.after)} ({actual})"
    )


def _score_lines(scores: list[Any]) -> list[str]:
    lines = []
    for score in scores:
        doc = score.document_key if score.kind == "submission" else f"filing {score.document_key}"
        parts = []
        for name in DIMENSIONS:
            v = getattr(score, name)
            if v.before == v.after:
                continue
            change = f" ({v.change})" if v.change is not None else ""
            parts.append(f"{name} {v.before or '—'} -> {v.after or '—'}{change}")
        if score.blocking_before != score.blocking_after:
            parts.append(f"blocking {score.blocking_before} -> {score.blocking_after}")
        lines.append(clean(f"   {score.insurer} {doc}: " + "; ".join(parts)))
    return lines


def whatif_text(w: WhatIf, lang: str = "en") -> str:
    b = w.base
    period = f", period {w.period}" if w.period else ""
    lines = [
        f"what-if over run {b.id} ({clean(b.ruleset.id)} {clean(b.ruleset.version)}, as of {b.as_of}, "
        f"{b.documents} document(s){period}); nothing is stored",
        f"ruleset: {clean(w.ruleset.id)} {clean(w.ruleset.version)}"
        + (f"; --set values from {w.effective_from}" if w.effective_from else ""),
        "policy changes:" if w.policy else "policy changes: none",
        *_policy_lines(w.policy),
        f"rules evaluated again: {', '.join(w.rules_evaluated) or 'none'}",
    ]
    lines += [f"warning: {clean(x)}" for x in w.warnings]
    named = {change.rule_id for change in w.policy}
    for rule in w.rules:  # the rules a change names, and any other whose findings flip (a severity table change)
        flips = [f for f in w.findings if f.rule_id == rule.rule_id]
        if flips or rule.rule_id in named:
            lines.append(clean(in_lang(rule.summary, lang)))
            lines += [_finding_line(f, lang) for f in flips]
    if w.scores:
        lines.append("scores that change:" if lang == "en" else "评分变化：")
        lines += _score_lines(w.scores)
    s = w.summary
    lines.append(
        f"{s.newly_fails} newly fail, {s.newly_passes} newly pass, {s.changes} change otherwise; "
        f"{s.scores_changed} score(s) change"
        if lang == "en"
        else f"新增未通过 {s.newly_fails} 项，新通过 {s.newly_passes} 项，其他变化 {s.changes} 项；"
        f"评分变化 {s.scores_changed} 份"
    )
    return "\n".join(lines)


CSV_COLUMNS = (
    "flip",
    "insurer",
    "kind",
    "document_key",
    "rule_id",
    "clause",
    "subject",
    "key",
    "product_code",
    "status_before",
    "severity_before",
    "strength_before",
    "actual_before",
    "threshold_before",
    "status_after",
    "severity_after",
    "strength_after",
    "actual_after",
    "threshold_after",
    "fingerprint",
)


def whatif_csv(w: WhatIf) -> str:
    """One row per finding that flips (scores are in the text, JSON and HTML views)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for f in w.findings:
        row: dict[str, Any] = {name: getattr(f, name) for name in CSV_COLUMNS if hasattr(f, name)}
        for side, state in (("before", f.before), ("after", f.after)):
            for name in ("status", "severity", "strength", "actual", "threshold"):
                row[f"{name}_{side}"] = None if state is None else getattr(state, name)
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return buffer.getvalue()


def _cell(value: Any) -> str:
    """A CSV cell; text a spreadsheet would run as a formula starts with an apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") and not _numeric(text) else text


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def whatif_html(w: WhatIf, lang: str = "both") -> str:
    """The what-if as one self-contained page, in the audit report's style (its CSS and language switch)."""
    from .html import LABELS, _Text, item_label
    from .page import environment

    text = _Text(lang)
    labels = {
        **LABELS,
        "whatif": {"en": "What-if: impact of a policy change", "zh": "政策变化影响分析"},
        "base_run": {"en": "Base run", "zh": "基准批次"},
        "policy": {"en": "Policy changes", "zh": "政策变化"},
        "impact": {"en": "Impact by rule", "zh": "按规则的影响"},
        "flips": {"en": "Findings that flip", "zh": "结论变化"},
        "scores": {"en": "Scores that change", "zh": "评分变化"},
        "before": {"en": "before", "zh": "变化前"},
        "after": {"en": "after", "zh": "变化后"},
        "nothing_stored": {
            "en": "Evaluated in a transaction that was rolled back: nothing of this what-if is stored.",
            "zh": "在回滚的事务中评估：本分析不存储任何结果。",
        },
        **FLIPS,
    }
    template = environment().get_template("whatif.html.j2")
    return template.render(
        w=w.model_dump(mode="json", by_alias=True),
        lang=lang,
        html_lang={"en": "en", "zh": "zh-CN", "both": "zh-CN"}[lang],
        t=lambda key: text.pair(labels[key]),
        pair=text.pair,
        item_label=item_label,
        dated=_dated,
        dimensions=DIMENSIONS,
    )


def reproduction_text(r: Reproduction, lang: str = "en") -> str:
    run = r.run
    lines = [
        f"reproduce run {run.id} ({clean(run.ruleset.id)} {clean(run.ruleset.version)}, as of {run.as_of}, "
        f"{run.documents} document(s)); nothing is stored",
    ]
    if r.tool_version_then != r.tool_version_now:
        lines.append(
            f"the run was made by version {clean(r.tool_version_then)}; this is version {clean(r.tool_version_now)}"
        )
    lines += [_finding_line(f, lang) for f in r.findings]
    if r.scores:
        lines.append("scores that differ:")
        lines += _score_lines(r.scores)
    lines += [f"   {clean(note)}" for note in r.notes]
    if r.identical:
        lines.append(f"identical: every one of {r.findings_compared} finding(s) and every score")
    else:
        lines.append(
            f"differs: {len(r.findings)} finding(s) and {len(r.scores)} score(s) of {r.findings_compared} "
            "finding(s) compared"
        )
    return "\n".join(lines)
