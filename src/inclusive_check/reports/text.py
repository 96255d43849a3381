"""The text view of results: for people at a terminal or reading a CI log.

Every text that comes from data (names, paths, subjects, keys, messages, warnings) goes through
``safetext.clean``: control characters are shown escaped, so a line of data stays one inert line.

Each line is built as styled segments: ``render`` joins their text (files, pipes, CI logs), ``render_styled``
gives them their colours (a terminal, see ``colour_wanted``), so that both read the same words.
"""

from __future__ import annotations

import os
import unicodedata
from typing import IO, TYPE_CHECKING

from ..contract.outputs import Finding, Results, Score, in_lang
from ..figures import shown_margin
from ..i18n import cite
from ..safetext import clean as c
from ..wording import SEVERITY, STATUS

if TYPE_CHECKING:
    from rich.text import Text

# A finding's mark: its status in words (an encouraged item that is missed is "not covered", never FAIL).
MARK = {
    "en": {
        "pass": "ok",
        "fail": "FAIL",
        "indeterminate": "INDETERMINATE",
        "waived": "WAIVED",
        "not_applicable": "n/a",
        "not_covered": "not covered",
    },
    "zh": STATUS["zh"],
}
# Colours on a terminal (rich style names): the status, the severity, a blocking score and the band.
STATUS_STYLE = {
    "pass": "green",
    "fail": "bold red",
    "indeterminate": "bold magenta",
    "waived": "cyan",
    "not_applicable": "dim",
    "not_covered": "blue",
}
SEVERITY_STYLE = {"error": "red", "warning": "yellow", "info": "blue"}
BAND_STYLE = {"good": "green", "fair": "yellow", "poor": "red"}

Segment = tuple[str, str]  # (text, rich style; "" for none)
Line = list[Segment]


def width(text: str) -> int:
    """Columns ``text`` takes on a terminal: East Asian wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, columns: int) -> str:
    return text + " " * max(columns - width(text), 0)


BANDS = {"en": {"good": "good", "fair": "fair", "poor": "poor"}, "zh": {"good": "良好", "fair": "一般", "poor": "较差"}}
WORDS = {
    "authority": {"en": " [rule of {who}]", "zh": " [{who}的规则]"},  # an overlay authority's value (overlay.py)
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
    "product": {"en": "product {code} ({name}) — ", "zh": "产品 {code}（{name}）— "},
    "margin": {"en": " (margin {margin})", "zh": "（差距{margin}）"},
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
    "taken_over": {
        "en": " ({judged} judged in this run; {kept} unchanged since an earlier run, its findings kept)",
        "zh": "（本次判定{judged}份；{kept}份自前次运行以来未变，沿用其结果）",
    },
    "no_findings": {"en": "no findings", "zh": "无检查结果"},
    "run_warning": {"en": "warning: {text}", "zh": "警告：{text}"},
}
DISPENSATION_STATUS = {
    "en": {"applied": "applied", "expired": "expired", "unused": "unused"},
    "zh": {"applied": "已适用", "expired": "已过期", "unused": "未使用"},
}


def _score_lines(score: Score, lang: str) -> list[Line]:
    """The score as stored: the compliance number and its band (or why it is not scored), blocking with its
    reasons, the rules that did not fully pass, and item 18's indicators."""
    w = {k: v[lang] for k, v in WORDS.items()}
    comp = score.breakdown.get("compliance") or {}
    head: Line
    if score.compliance is None:
        reason = in_lang(score.not_scored, lang) if score.not_scored else None
        head = [(reason or w["not_scored"], "yellow")]
    else:
        band_key = comp.get("band") or comp.get("score_band", "")  # a blocked document's band is poor, never good
        band = BANDS[lang].get(band_key, "")
        head = [(f"{w['compliance']} {score.compliance}/100", "bold")]
        if band:
            head += [(" (", ""), (band, BAND_STYLE.get(band_key, "")), (")", "")]
    reasons = comp.get("blocking_reasons")
    if score.blocking:
        why = "; ".join(r[lang] for r in reasons) if reasons else ", ".join(comp.get("blocking_failures", []))
        mark = w["blocking_fail"] if comp.get("blocking_failures", True) else w["blocking"]
        head += [("  ", ""), (mark, "bold red")] + ([(f": {why}", "")] if why else [])
    if score.variety is not None:
        head.append(
            (
                f"; {w['indicators']}: {w['variety']} {score.variety}, {w['coverage']} {score.coverage}, "
                f"{w['protection']} {score.protection}, {w['service']} {score.service}",
                "",
            )
        )
    lines: list[Line] = [[(f"   {w['score']}: ", ""), *head]]
    short = [
        f"{r['rule_id']} {r['passed']}/{r['counted']}"
        for r in comp.get("rules", [])
        if r["scored"] and r["passed"] < r["counted"]
    ]
    if short:
        lines.append([(f"   {w['rules']}: " + ", ".join(short), "")])
    return lines


def _finding_line(f: Finding, lang: str, mark_width: int, where_width: int) -> Line:
    """status, severity, rule, guidance item, line:column in the document, the product by code and name, the
    message, and the margin in its unit."""
    w = {k: v[lang] for k, v in WORDS.items()}
    shown = f.status
    where = "-" if f.line is None else f"{f.line}:{f.column}"
    product = "" if f.product is None else w["product"].format(code=c(f.product["code"]), name=c(f.product["name"]))
    line: Line = [
        ("   ", ""),
        (pad(MARK[lang][shown], mark_width), STATUS_STYLE[shown]),
        (" ", ""),
        (pad(SEVERITY[lang][f.severity], 7), SEVERITY_STYLE[f.severity]),
        (f" {f.rule_id:<24} ", ""),
        (pad(cite(f.clause, lang), 8), ""),
        (" ", ""),
        (pad(where, where_width), "dim"),
        (" ", ""),
        (product, "bold"),
        (c(in_lang(f.message, lang)), ""),
    ]
    if f.margin is not None:
        margin = shown_margin(f.margin, f.unit, lang, f.value, f.threshold)
        line.append((w["margin"].format(margin=margin), "dim"))
    authorities = sorted({p.authority for p in f.parameters.values() if p.authority})
    if authorities:
        line.append((w["authority"].format(who=c(", ".join(authorities))), "dim"))
    return line


def lines(results: Results, lang: str = "en", show_passes: bool = False) -> list[Line]:
    """The text view as styled segments, line by line."""
    w = {k: v[lang] for k, v in WORDS.items()}
    mark_width = max(width(m) for m in MARK[lang].values())
    out: list[Line] = [[(w["run_warning"].format(text=c(warning)), "yellow")] for warning in results.run.warnings]
    for sub in results.submissions:
        who = f"{c(sub.insurer.code)} {c(sub.insurer.name or '')}".strip()
        what = c(sub.period or "") if sub.kind == "submission" else f"{w['filing']} {c(sub.document_key)}"
        out.append([(f"== {who} — {what} ({w['rev']} {sub.revision}) — {c(sub.source)}", "bold")])
        for warning in sub.warnings:
            out.append([(f"   {w['warning']}: {c(warning)}", "yellow")])
        shown = [f for f in sub.findings if show_passes or f.status not in ("pass", "not_applicable")]
        where_width = max((len(f"{f.line}:{f.column}") for f in shown if f.line is not None), default=1)
        out.extend(_finding_line(f, lang, mark_width, where_width) for f in shown)
        hidden = len(sub.findings) - len(shown)
        if hidden:
            out.append([("   " + w["hidden"].format(n=hidden), "dim")])
        if sub.score:
            out.extend(_score_lines(sub.score, lang))
        out.append([])
    for d in results.dispensations:
        soon = w["soon"].format(days=d.expires_in_days) if d.expiring_soon else ""
        scope = ", ".join(c(x) for x in (d.rule, d.insurer, d.subject, d.period) if x)
        status = DISPENSATION_STATUS[lang].get(d.status, d.status)
        text = w["dispensation"].format(
            id=c(d.id), scope=scope, status=status, covered=d.covered, expires=d.expires, soon=soon
        )
        out.append([(text, "yellow" if d.expiring_soon or d.status == "expired" else "")])
    summary, judged = results.summary, results.run.judged
    taken_over = ""
    if judged is not None and judged < summary.submissions:
        taken_over = w["taken_over"].format(judged=judged, kept=summary.submissions - judged)
    counts = ", ".join(f"{n} {STATUS[lang].get(s, s)}" for s, n in summary.status.items()) or w["no_findings"]
    out.append(
        [
            (
                w["summary"].format(
                    n=summary.submissions,
                    ruleset=c(results.run.ruleset.id),
                    version=c(results.run.ruleset.version),
                    counts=counts,
                )
                + taken_over,
                "bold",
            )
        ]
    )
    return out


def render(results: Results, lang: str = "en", show_passes: bool = False) -> str:
    """The text view as plain text (no colour): for files, pipes and CI logs."""
    return "\n".join("".join(text for text, _ in line) for line in lines(results, lang, show_passes))


def render_styled(results: Results, lang: str = "en", show_passes: bool = False) -> Text:
    """The text view with its colours, for a terminal (rich is imported only then)."""
    from rich.text import Text

    out = Text()
    for i, line in enumerate(lines(results, lang, show_passes)):
        if i:
            out.append("\n")
        for text, style in line:
            out.append(text, style or None)
    return out


def colour_wanted(choice: str, stream: IO[str]) -> bool:
    """``--color``: ``always``, ``never``, or ``auto``: on a terminal, unless ``NO_COLOR`` is set to anything but
    the empty string (https://no-color.org) or the terminal says it is dumb. An explicit choice wins over both."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR", "") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def print_styled(text: Text, stream: IO[str]) -> None:
    """``text`` with its colours as ANSI sequences on ``stream``, neither wrapped nor cropped."""
    from rich.console import Console

    console = Console(file=stream, force_terminal=True, color_system="standard", highlight=False, no_color=False)
    console.print(text, soft_wrap=True)
