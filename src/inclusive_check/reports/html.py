"""The HTML audit report of a stored run: one self-contained file that works offline.

No script, stylesheet, font or image is fetched: CSS and SVG charts are inline, and the only
script is a few inline lines that switch the language when the report is bilingual. Layout:

- a market overview: summary tiles, a table of insurers, and three charts (compliance score by
  insurer, open findings by guidance item, the four item-18 indicator dimensions);
- the dispensations of the run (status applied, expired or unused, failures covered, approver,
  reference, expiry), those expiring within the warning window highlighted;
- one section (a printed page) per insurer: for each of its documents the score with its
  breakdown, then the open findings grouped by guidance item, with evidence and citations; then the encouraged
  items not covered, apart (scored, never counted open or as failures); then
  the findings waived by a dispensation, apart; passing and not-applicable checks are listed folded.

Bounded at market scale: a document lists at most ``OPEN_LIST_LIMIT`` open findings (errors first)
and ``WAIVED_LIST_LIMIT`` waived ones, the report at most ``REPORT_ROW_LIMIT`` finding rows in all;
what is left out is counted per rule, with a note saying how many more there are and where they
are all listed (CSV, XLSX, ``findings``). Passing and not-applicable checks are listed only up to
``CLOSED_LIST_LIMIT`` per document (and only when the loader fetched them: ``stored.load_run``
counts them per rule instead, in ``closed_counts``, when a run has more than it lists), else counted
per rule. ``write`` streams the page to a file as the template generates it.

``lang`` is ``en``, ``zh`` or ``both`` (both languages, switchable in the page).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from markupsafe import Markup

from ..contract.outputs import Market, Results
from ..i18n import cite
from ..store.run_reads import ClosedCounts
from . import charts
from .common import NOT_COVERED, OPEN_STATUSES, citations, margin_text
from .market import section as market_section
from .page import Bilingual, environment

LANGS = ("en", "zh", "both")
OPEN_LIST_LIMIT = 200  # open findings listed per document; the others are counted per rule
WAIVED_LIST_LIMIT = 200  # waived findings listed per document
CLOSED_LIST_LIMIT = 200  # passed and not-applicable checks listed per document; beyond, counted per rule
REPORT_ROW_LIMIT = 20_000  # finding rows (open, waived and closed) listed in the whole report
DIMENSIONS = ("variety", "coverage", "protection", "service")
STATUS_ORDER = {"fail": 0, "indeterminate": 1, "not_covered": 2, "waived": 3, "pass": 4, "not_applicable": 5}
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}

LABELS: dict[str, dict[str, str]] = {
    "title": {"en": "Inclusive-insurance compliance report", "zh": "普惠保险合规检查报告"},
    "subtitle": {
        "en": "2024 NFRA guidance on high-quality development of inclusive insurance",
        "zh": "国家金融监督管理总局关于推进普惠保险高质量发展的指导意见（2024）",
    },
    "run": {"en": "Run", "zh": "检查批次"},
    "ruleset": {"en": "Ruleset", "zh": "规则集"},
    "as_of": {"en": "Dispensations judged on", "zh": "豁免判定日"},
    "checked_at": {"en": "Checked at (UTC)", "zh": "检查时间（UTC）"},
    "tool": {"en": "Tool version", "zh": "工具版本"},
    "overview": {"en": "Market overview", "zh": "市场概览"},
    "summary": {"en": "Summary", "zh": "概要"},
    "scores_more": {"en": "Scores and charts", "zh": "评分与图表"},
    "market": {"en": "Market monitoring", "zh": "普惠保险市场监测"},
    "insurers": {"en": "Insurers", "zh": "机构"},
    "documents": {"en": "Documents", "zh": "文件"},
    "open_errors": {"en": "Open errors", "zh": "未解决错误"},
    "open_warnings": {"en": "Open warnings", "zh": "未解决警告"},
    "open_info": {"en": "Open notes", "zh": "提示"},
    "blocking_docs": {"en": "Blocking failures", "zh": "阻断性违规"},
    "chart_scores": {"en": "Compliance score by insurer (0–100)", "zh": "各机构合规得分（0–100）"},
    "chart_scores_note": {
        "en": "Bars: ≥ {good} green, ≥ {fair} amber, lower red (bands of ruleset {ruleset}); a "
        "blocking failure or an undetermined blocking rule (item 19) is drawn red and marked, "
        "whatever the score; grey: not scored.",
        "zh": "≥{good} 绿色，≥{fair} 橙色，其余红色（规则集 {ruleset} 的分档）；"
        "阻断性违规或无法判定的阻断性规则（第（十九）项）无论得分均以红色标示；灰色：未评分。",
    },
    "chart_scores_note_unbanded": {
        "en": "The ruleset stored with this run sets no score bands: bars are grey; a "
        "blocking document is marked, whatever the score.",
        "zh": "该批次存储的规则集未设定得分分档：柱形为灰色；阻断性文件无论得分均予标示。",
    },
    "chart_items": {"en": "Open findings by guidance item", "zh": "按指导意见各项统计的未解决问题"},
    "chart_items_note": {
        "en": "Failures and indeterminate checks, stacked by severity.",
        "zh": "未通过及无法判定的检查，按严重程度堆叠。",
    },
    "chart_indicators": {"en": "Item 18 indicator dimensions (0–100)", "zh": "第（十八）项指标体系各维度（0–100）"},
    "variety": {"en": "product variety", "zh": "产品丰富度"},
    "coverage": {"en": "coverage", "zh": "覆盖面"},
    "protection": {"en": "protection", "zh": "保障水平"},
    "service": {"en": "service quality", "zh": "服务质量"},
    "insurer": {"en": "Insurer", "zh": "机构"},
    "code": {"en": "Code", "zh": "机构代码"},
    "period": {"en": "Period", "zh": "报告期"},
    "compliance": {"en": "Compliance", "zh": "合规得分"},
    "open": {"en": "Open findings", "zh": "未解决问题"},
    "submission": {"en": "Submission", "zh": "报送材料"},
    "product_filing": {"en": "Product filing", "zh": "产品备案"},
    "revision": {"en": "revision", "zh": "版本"},
    "source": {"en": "Source", "zh": "来源文件"},
    "score": {"en": "Score", "zh": "评分"},
    "breakdown": {"en": "Score breakdown", "zh": "评分明细"},
    "strength": {"en": "Strength", "zh": "效力"},
    "weight": {"en": "Weight", "zh": "权重"},
    "passed": {"en": "Passed", "zh": "通过"},
    "counted": {"en": "Counted", "zh": "计入"},
    "dimension": {"en": "Dimension", "zh": "维度"},
    "details": {"en": "Details", "zh": "明细"},
    "findings": {"en": "Findings by guidance item", "zh": "按指导意见各项列示的检查结果"},
    "no_open": {"en": "No open findings.", "zh": "无未解决问题。"},
    "status": {"en": "Status", "zh": "状态"},
    "severity": {"en": "Severity", "zh": "严重程度"},
    "rule": {"en": "Rule", "zh": "规则"},
    "subject": {"en": "Subject", "zh": "对象"},
    "product": {"en": "product", "zh": "产品"},
    "line_column": {"en": "line:column", "zh": "行:列"},
    "finding": {"en": "Finding", "zh": "结论"},
    "evidence": {"en": "Evidence", "zh": "证据"},
    "expected": {"en": "expected", "zh": "要求"},
    "actual": {"en": "actual", "zh": "实际"},
    "margin": {"en": "margin", "zh": "差距"},
    "dispensation": {"en": "dispensation", "zh": "豁免"},
    "citations": {"en": "Citations", "zh": "依据"},
    "closed_checks": {"en": "passed and not-applicable checks", "zh": "项通过或不适用的检查"},
    "closed_counted": {
        "en": "Counted per rule, not listed one by one (more than {limit} in this document, or "
        "too many in the report).",
        "zh": "按规则计数，不逐项列示（本文件超过{limit}项，或报告总量过大）。",
    },
    "more_open": {
        "en": "{n} more open finding(s) not listed here: the report lists at most {limit} per document and "
        "{total} in all, errors first. The CSV and XLSX reports and `inclusive-check findings` list "
        "every one. Not listed, by rule:",
        "zh": "另有{n}项未解决问题未在此列示：本报告每份文件最多列示{limit}项、全部最多{total}项，错误优先。"
        "CSV、XLSX 报告及 `inclusive-check findings` 列示全部。未列示部分按规则统计：",
    },
    "more_waived": {
        "en": "{n} more waived finding(s) not listed here; the CSV and XLSX reports list every one. "
        "Not listed, by rule:",
        "zh": "另有{n}项已豁免问题未在此列示；CSV、XLSX 报告列示全部。未列示部分按规则统计：",
    },
    "count": {"en": "Count", "zh": "数量"},
    "waived_total": {"en": "Waived by dispensation", "zh": "已豁免"},
    "waived_group": {"en": "Waived by dispensation", "zh": "已豁免"},
    "waived_note": {
        "en": "Failures of principle (原则上) duties that a supervisor's dispensation covers. They are not "
        "open and do not fail the check, but they are not passes either.",
        "zh": "监管豁免所覆盖的“原则上”义务未达标项：不计为未解决问题，亦不影响检查结果，但不视为通过。",
    },
    "dispensations": {"en": "Dispensations", "zh": "豁免"},
    "dispensations_note": {
        "en": "Every dispensation this run considered, judged on {as_of} (expiry is inclusive): "
        "applied — it waived the failures it covers; expired — those failures stand; "
        "unused — it covered no failure.",
        "zh": "本批次考虑的全部豁免，判定日为{as_of}（到期日当天仍有效）："
        "已适用——所覆盖的未达标项已豁免；已过期——所覆盖的未达标项仍成立；"
        "未使用——未覆盖任何未达标项。",
    },
    "expiry_window": {
        "en": "Highlighted: expiring within {n} day(s) of {as_of}.",
        "zh": "标示：自{as_of}起{n}天内到期。",
    },
    "no_dispensations": {"en": "No dispensation was considered in this run.", "zh": "本批次未涉及豁免。"},
    "dispensation_id": {"en": "Dispensation", "zh": "豁免编号"},
    "scope": {"en": "Scope", "zh": "范围"},
    "covered": {"en": "Failures covered", "zh": "覆盖未达标项"},
    "approved_by": {"en": "Approved by", "zh": "批准机构"},
    "reference": {"en": "Reference", "zh": "文号"},
    "expires": {"en": "Expires", "zh": "到期日"},
    "reason": {"en": "Reason", "zh": "理由"},
    "whole_document": {"en": "whole submission", "zh": "整份材料"},
    "expiring_soon_count": {"en": "expiring soon", "zh": "即将到期"},
    "applied": {"en": "applied", "zh": "已适用"},
    "expired": {"en": "expired", "zh": "已过期"},
    "unused": {"en": "unused", "zh": "未使用"},
    "warnings": {"en": "Warnings", "zh": "警示"},
    "blocking": {"en": "blocking failure", "zh": "阻断性违规"},
    "blocking_short": {"en": "blocking", "zh": "阻断"},
    "back": {"en": "back to overview", "zh": "返回概览"},
    "no_score": {"en": "no score stored", "zh": "无评分"},
    "not_scored": {"en": "not scored", "zh": "未评分"},
    "share": {"en": "Share passed", "zh": "通过比例"},
    "rules_counted": {"en": "Rules", "zh": "规则数"},
    "earned": {"en": "Earned", "zh": "得分"},
    "possible": {"en": "Possible", "zh": "满分"},
    "total": {"en": "Total", "zh": "合计"},
    "blocking_undetermined": {"en": "blocking until shown otherwise", "zh": "在证明合规之前视为阻断"},
    "fingerprint": {"en": "fingerprint", "zh": "指纹"},
    "language": {"en": "Language", "zh": "语言"},
    "both": {"en": "both", "zh": "双语"},
    "footer": {
        "en": "Rendered from the findings and scores stored for this run; nothing here was recomputed. "
        "Messages are ours, not the text of the guidance.",
        "zh": "本报告依据该批次存储的检查结果与评分生成，未作重新计算。文字为本工具表述，非指导意见原文。",
    },
    "pass": {"en": "pass", "zh": "通过"},
    "fail": {"en": "fail", "zh": "未通过"},
    "indeterminate": {"en": "indeterminate", "zh": "无法判定"},
    "waived": {"en": "waived", "zh": "已豁免"},
    "not_applicable": {"en": "not applicable", "zh": "不适用"},
    "not_covered": {"en": "not covered", "zh": "未覆盖"},
    "not_covered_total": {"en": "Not covered (encouraged, scored)", "zh": "未覆盖（鼓励类，计入评分）"},
    "more_not_covered": {
        "en": "{n} more item(s) not covered not listed here; the CSV and XLSX reports list every one.",
        "zh": "另有{n}项未覆盖事项未在此列示；CSV、XLSX 报告列示全部。",
    },
    "not_covered_note": {
        "en": "Encouraged items of the guidance that this document does not cover. They count in the score as "
        "not passed, but they are not breaches and are never counted as failures.",
        "zh": "本文件未覆盖的指导意见鼓励类事项：在评分中按未通过计算，但不属违规，不计为不合规。",
    },
    "error": {"en": "error", "zh": "错误"},
    "warning": {"en": "warning", "zh": "警告"},
    "info": {"en": "info", "zh": "提示"},
    "mandatory": {"en": "mandatory", "zh": "强制"},
    "principle": {"en": "principle", "zh": "原则上"},
    "encouraged": {"en": "encouraged", "zh": "鼓励"},
    "flag": {"en": "supervisory flag", "zh": "监管关注"},
}


def item_label(clause: int) -> dict[str, str]:
    return {lang: cite(clause, lang).capitalize() for lang in ("en", "zh")}


def slug(text: str) -> str:
    return "ins-" + re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")


def _dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


class _Text(Bilingual):
    """A pair in the chosen language, or both; and this report's labels."""

    def label(self, key: str) -> Markup:
        return self.pair(LABELS[key])

    def plain(self, key: str) -> str:
        """One language for places that take no markup (chart titles): English in a bilingual report."""
        return LABELS[key]["en" if self.lang == "both" else self.lang] + (
            f" / {LABELS[key]['zh']}" if self.lang == "both" else ""
        )


class _Budget:
    """Finding rows the whole report may still list."""

    def __init__(self, rows: int) -> None:
        self.left = rows

    def take(self, items: list[dict[str, Any]], limit: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(listed, left out): at most ``limit`` of ``items``, within what the report may still list."""
        n = max(min(limit, self.left), 0)
        self.left -= min(n, len(items))
        return items[:n], items[n:]


def _by_rule(findings: list[dict[str, Any]]) -> list[tuple[str, int, str, int]]:
    """(rule, guidance item, status, count) of findings left out of a list."""
    counts = Counter((f["rule_id"], f["clause"], f["status"]) for f in findings)
    return [
        (rule, clause, status, n)
        for (rule, clause, status), n in sorted(
            counts.items(), key=lambda kv: (kv[0][1], kv[0][0], STATUS_ORDER[kv[0][2]])
        )
    ]


def _document(sub: dict[str, Any], budget: _Budget) -> dict[str, Any]:
    open_all: list[dict[str, Any]] = []
    waived_all: list[dict[str, Any]] = []
    uncovered: list[dict[str, Any]] = []  # not covered: listed by guidance item beside the open, never counted open
    closed: list[dict[str, Any]] = []
    for f in sub["findings"]:
        if f["status"] in OPEN_STATUSES:
            open_all.append(f)
        elif f["status"] == NOT_COVERED:
            uncovered.append(f)
        elif f["status"] == "waived":
            waived_all.append(f)
        else:
            closed.append(f)
    # Errors first, so that what a bounded list leaves out is the least severe.
    open_all.sort(
        key=lambda f: (
            SEVERITY_ORDER[f["severity"]],
            STATUS_ORDER[f["status"]],
            f["clause"],
            f["rule_id"],
            f["subject"],
            f["key"],
        )
    )
    listed, open_more = budget.take(open_all, OPEN_LIST_LIMIT)
    uncovered.sort(key=lambda f: (f["clause"], f["rule_id"], f["subject"], f["key"]))
    groups: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for f in listed:
        groups[f["clause"]].append(f)
    waived_all.sort(key=lambda f: (f["clause"], SEVERITY_ORDER[f["severity"]], f["rule_id"], f["subject"], f["key"]))
    waived, waived_more = budget.take(waived_all, WAIVED_LIST_LIMIT)
    closed_counts = [(c.rule_id, c.clause, c.status, c.count) for c in sub["closed_counts"]]
    closed_total = len(closed) + sum(c[3] for c in closed_counts)
    if closed and not closed_counts and len(closed) <= min(CLOSED_LIST_LIMIT, budget.left):
        closed.sort(key=lambda f: (STATUS_ORDER[f["status"]], f["clause"], f["rule_id"], f["subject"], f["key"]))
        budget.left -= len(closed)
    elif closed:
        closed_counts = sorted([*closed_counts, *_by_rule(closed)], key=lambda c: (c[1], c[0], STATUS_ORDER[c[2]]))
        closed = []
    open_counts = Counter(f["severity"] for f in open_all)
    score = sub["score"]
    return {
        "sub": sub,
        "anchor": slug(f"{sub['insurer']['code']}-{sub['kind']}-{sub['document_key']}"),
        "groups": [(clause, item_label(clause), groups[clause]) for clause in sorted(groups)],
        "open_more": len(open_more),
        "open_more_by_rule": _by_rule(open_more),
        "waived": waived,
        "waived_total": len(waived_all),
        "waived_more": len(waived_more),
        "waived_more_by_rule": _by_rule(waived_more),
        "closed": closed,
        "closed_counts": closed_counts,
        "closed_total": closed_total,
        "open_counts": open_counts,
        "not_covered": len(uncovered),
        "uncovered_all": uncovered,  # listed by _context once every document's open findings are (_list_uncovered)
        "uncovered": [],
        "uncovered_more": 0,
        "score": score,
        "band": score["band"] if score else "none",  # as the run's scoring stored it
        "indicator_details": _indicator_details(score),
    }


def _list_uncovered(documents: list[dict[str, Any]], budget: _Budget) -> None:
    """Each document's items not covered, listed within what the report may list once the open findings of every
    document are: an open finding is never left out for an item that is no breach."""
    for doc in documents:
        listed, more = budget.take(doc.pop("uncovered_all"), OPEN_LIST_LIMIT)
        doc["uncovered"], doc["uncovered_more"] = listed, len(more)


def _indicator_details(score: dict[str, Any] | None) -> list[tuple[str, str, str]]:
    """(dimension, score, details) rows from the stored breakdown."""
    if not score or not score["breakdown"].get("indicators"):
        return []
    rows = []
    for name in DIMENSIONS:
        detail = score["breakdown"]["indicators"].get(name) or {}
        facts = ", ".join(f"{k} {_fmt(v)}" for k, v in detail.items() if k != "score")
        rows.append((name, str(detail.get("score", score.get(name))), facts))
    return rows


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def _dispensation_anchor(dispensation_id: str | None) -> str:
    return "disp-" + re.sub(r"[^A-Za-z0-9._-]+", "-", dispensation_id or "")


def _scope(d: dict[str, Any]) -> str:
    return " · ".join(x for x in (d["insurer"], d["subject"], d["period"]) if x)


def _context(
    typed: Results,
    lang: str,
    expiry_warning_days: int | None = None,
    closed_counts: ClosedCounts | None = None,
    market: Market | None = None,
) -> dict[str, Any]:
    results = typed.model_dump(mode="json")  # the template reads the published JSON form
    for sub in results["submissions"]:
        sub["closed_counts"] = (closed_counts or {}).get(sub["submission_id"], [])
    insurers: dict[str, dict[str, Any]] = {}
    budget = _Budget(REPORT_ROW_LIMIT)
    for sub in results["submissions"]:
        code = sub["insurer"]["code"]
        entry = insurers.setdefault(
            code, {"code": code, "name": sub["insurer"]["name"] or "", "anchor": slug(code), "documents": []}
        )
        entry["documents"].append(_document(sub, budget))
    _list_uncovered([d for i in insurers.values() for d in i["documents"]], budget)
    by_item: dict[int, Counter[str]] = defaultdict(Counter)
    open_total: Counter[str] = Counter()
    for sub in results["submissions"]:
        for f in sub["findings"]:
            if f["status"] in OPEN_STATUSES:
                by_item[f["clause"]][f["severity"]] += 1
                open_total[f["severity"]] += 1
    scored = [d for ins in insurers.values() for d in ins["documents"] if d["sub"]["kind"] == "submission"]
    if not scored:  # filings only: show each filing's score
        scored = [d for ins in insurers.values() for d in ins["documents"]]
    text = _Text(lang)
    dispensations = sorted(results.get("dispensations", []), key=lambda d: (d["expires"], d["id"]))
    as_of = results["run"]["as_of"]

    def fill(key: str, **values: Any) -> Markup:
        return text.pair({k: v.format(**values) for k, v in LABELS[key].items()})

    def expires_in(days: int) -> Markup:
        if days == 0:
            return text.pair({"en": "expires today", "zh": "今日到期"})
        return text.pair({"en": f"expires in {days} day(s)", "zh": f"{days}天后到期"})

    def bar_label(doc: dict[str, Any]) -> str:
        sub = doc["sub"]
        return f"{sub['insurer']['code']} {sub['period'] if sub['kind'] == 'submission' else sub['document_key']}"

    score_chart = charts.score_bars(
        "chart-scores",
        text.plain("chart_scores"),
        [
            charts.Bar(
                bar_label(d),
                _dec(d["score"]["compliance"]) if d["score"] else None,
                "#" + d["anchor"],
                bool(d["score"] and d["score"]["blocking"]),
                d["band"],
                text.plain("not_scored") if d["score"] else "—",
            )
            for d in scored
        ],
        blocking_mark=text.plain("blocking_short"),
    )
    scoring = results["run"].get("scoring")
    if scoring and scoring.get("bands"):
        bands = scoring["bands"]
        ruleset = f"{scoring['ruleset']['id']} {scoring['ruleset']['version']}"
        scores_note = fill(
            "chart_scores_note", good=bands["good_at_least"], fair=bands["fair_at_least"], ruleset=ruleset
        )
    else:
        scores_note = text.label("chart_scores_note_unbanded")
    item_chart = charts.stacked_columns(
        "chart-items", text.plain("chart_items"), [(str(clause), dict(by_item[clause])) for clause in sorted(by_item)]
    )
    indicator_rows = [
        (bar_label(d), "#" + d["anchor"], {n: _dec(d["score"][n]) for n in DIMENSIONS})
        for d in scored
        if d["score"] and d["sub"]["kind"] == "submission"
    ]
    indicator_chart = charts.grouped_bars("chart-indicators", text.plain("chart_indicators"), indicator_rows)
    return {
        "results": results,
        "run": results["run"],
        "lang": lang,
        "html_lang": {"en": "en", "zh": "zh-CN", "both": "zh-CN"}[lang],
        "t": text.label,
        "pair": text.pair,
        "ev": lambda f, part: text.pair({lang: f["evidence"][lang][part] for lang in ("en", "zh")}),
        "margin": lambda f: text.pair({lang: margin_text(f, lang) or "" for lang in ("en", "zh")}),
        "item_label": item_label,
        "citations": lambda f: citations(f, "zh" if lang == "zh" else "en"),
        "insurers": list(insurers.values()),
        "documents": sum(len(i["documents"]) for i in insurers.values()),
        "open_total": open_total,
        "blocking_docs": sum(
            1 for i in insurers.values() for d in i["documents"] if d["score"] and d["score"]["blocking"]
        ),
        "score_chart": score_chart,
        "scores_note": scores_note,
        "reason": lambda pair: text.pair(pair) if pair else "",
        "item_chart": item_chart,
        "indicator_chart": indicator_chart if indicator_rows else None,
        "severity_colours": charts.SEVERITY_COLOURS,
        "dimension_colours": charts.DIMENSION_COLOURS,
        "dimensions": DIMENSIONS,
        "waived_total": sum(d["waived_total"] for i in insurers.values() for d in i["documents"]),
        "not_covered_total": sum(d["not_covered"] for i in insurers.values() for d in i["documents"]),
        "limits": {"open": OPEN_LIST_LIMIT, "closed": CLOSED_LIST_LIMIT, "total": REPORT_ROW_LIMIT},
        "dispensations": dispensations,
        "dispensations_by_id": {d["id"]: d for d in dispensations},
        "expiring_soon": sum(1 for d in dispensations if d["expiring_soon"]),
        "expiry_warning_days": expiry_warning_days,
        "dispensation_anchor": _dispensation_anchor,
        "scope": _scope,
        "fill": fill,
        "expires_in": expires_in,
        "as_of": as_of,
        # One insurer: the report opens on its findings; the market's pictures are for reports over several.
        "single": len(insurers) == 1,
        "market_section": None if market is None or len(insurers) == 1 else market_section(market, lang),
    }


def generate(
    results: Results,
    lang: str = "both",
    expiry_warning_days: int | None = None,
    closed_counts: ClosedCounts | None = None,
    market: Market | None = None,
) -> Iterator[str]:
    """The report, piece by piece as the template renders it; ``expiry_warning_days`` is the window the results'
    ``expiring_soon`` was judged with (named in the dispensations section when given); ``closed_counts``
    (submission id -> [{rule_id, clause, status, count}]) counts passes the results do not list
    (stored.load_run); ``market`` the market picture its market section shows (none without it)."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}")
    context = _context(results, lang, expiry_warning_days, closed_counts, market)
    return environment().get_template("report.html.j2").generate(**context)


def render(
    results: Results,
    lang: str = "both",
    expiry_warning_days: int | None = None,
    closed_counts: ClosedCounts | None = None,
    market: Market | None = None,
) -> str:
    """The whole report as one string (small runs, tests); ``write`` streams it to a file instead."""
    return "".join(generate(results, lang, expiry_warning_days, closed_counts, market))


def write(
    results: Results,
    path: Path,
    lang: str = "both",
    expiry_warning_days: int | None = None,
    closed_counts: ClosedCounts | None = None,
    market: Market | None = None,
) -> None:
    """Stream the report into ``path``: the page is never held whole in memory."""
    pieces = generate(results, lang, expiry_warning_days, closed_counts, market)
    with path.open("w", encoding="utf-8") as handle:
        buffer: list[str] = []
        size = 0
        for piece in pieces:
            buffer.append(piece)
            size += len(piece)
            if size >= 1 << 16:
                handle.write("".join(buffer))
                buffer, size = [], 0
        handle.write("".join(buffer))
