"""The market picture (``inclusive-check market``, and the audit report's market section), rendered only: text,
CSV, XLSX and HTML from the published ``Market`` shape (market.py computes it)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from markupsafe import Markup

from ..contract.outputs import Market
from . import charts
from .page import Bilingual, environment
from .views import table

DIMENSIONS = ("variety", "coverage", "protection", "service")
ROW_COLUMNS = (
    "period",
    "series",
    "key",
    "name_en",
    "name_zh",
    "parent",
    "separately_listed",
    "insurers",
    "submissions",
    "inclusive_products",
    "policies",
    "insured_persons",
    "premium_cny",
    "claims_paid_cny",
    "loss_ratio",
    "scored",
    "blocking",
    "scores_basis",
    "weight",
    "compliance",
    *DIMENSIONS,
    "index",
    "depth",
    "density",
    "market_depth",
    "market_density",
)
PEER_COLUMNS = (
    "period",
    "insurer",
    "name",
    "category",
    "group",
    "state_owned",
    "run_id",
    "compliance",
    "blocking",
    *DIMENSIONS,
    "index",
    *(f"{d}_percentile" for d in DIMENSIONS),
    *(f"{d}_position" for d in DIMENSIONS),
)
TEXT_COLUMNS = ("period", "key", "name", "insurers", "policies", "insured_persons", "premium_cny", "loss_ratio")
DEPTH_COLUMNS = ("depth", "density", "market_depth", "market_density")
WEIGHTS = {
    "premium_cny": {"en": "premium", "zh": "保费"},
    "insured_persons": {"en": "insured persons", "zh": "被保险人数"},
    "policies": {"en": "policies", "zh": "保单数"},
}
SCORE_COLUMNS = ("compliance", *DIMENSIONS, "index")
_INTEGERS = frozenset({"insurers", "submissions", "inclusive_products", "policies", "insured_persons", "scored"})

LABELS: dict[str, dict[str, str]] = {
    "market": {"en": "Market monitoring", "zh": "普惠保险市场监测"},
    "market_note": {
        "en": "Item 18: inclusive insurance by region, field and institution, over the stored periods. Figures sum "
        "the latest revision of each stored submission; scores are each submission's from the latest run that "
        "scored it. Weights, bands and groups: ruleset {ruleset} (our interpretation).",
        "zh": "第（十八）项：按地区、领域、机构反映普惠保险发展情况及其随报告期的变化。"
        "数字为每份已存报送最新版本的合计；"
        "得分取最近一次对该报送评分的运行。权重、分档与分组见规则集 {ruleset}（本工具的解释）。",
    },
    "by_region": {
        "en": "By region (province; separately listed cities flagged)",
        "zh": "按地区（省级；计划单列市单列）",
    },
    "by_prefecture": {"en": "By prefecture", "zh": "按地市"},
    "weighted_note": {
        "en": "Figures and loss ratios are what insurers reported for each row; the scores of a region or line "
        "weigh each submission by its {weight} there (ruleset market.row_weight{interpretation}). ✦: a separately "
        "listed city, also counted in its province.",
        "zh": "各行数字与赔付率为机构就该行报送的数据；地区或险种的得分按各报送在该行的{weight}加权"
        "（规则集 market.row_weight{interpretation}）。✦：计划单列市，同时计入所在省。",
    },
    "interpretation": {"en": ", our interpretation", "zh": "，本工具的解释"},
    "crosstab": {"en": "Region x line (allocated)", "zh": "地区 × 险种（分摊）"},
    "crosstab_note": {
        "en": "The contract carries no figure per region and line: each submission's regional figures are shared "
        "over its lines in proportion to each line's part of the same figure.",
        "zh": "报送格式不含地区与险种交叉数据：各报送的地区数据按其各险种在同一数值中的占比分摊。",
    },
    "yoy": {"en": "Year on year over a fixed panel", "zh": "同比（固定样本）"},
    "yoy_note": {
        "en": "The same period a year before, over the insurers that filed for both (the panel).",
        "zh": "与上年同期比较，仅含两期均有报送的机构（样本）。",
    },
    "previous": {"en": "previous", "zh": "上年同期"},
    "annual": {"en": "annual", "zh": "年度"},
    "quarterly": {"en": "quarterly", "zh": "季度"},
    "panel": {"en": "panel", "zh": "样本机构"},
    "change": {"en": "change", "zh": "变化"},
    "depth": {"en": "depth", "zh": "普惠保险深度"},
    "density": {"en": "density (CNY)", "zh": "普惠保险密度（元/人）"},
    "market_depth": {"en": "market depth", "zh": "全市场保险深度"},
    "market_density": {"en": "market density (CNY)", "zh": "全市场保险密度（元/人）"},
    "reference": {"en": "Reference figures used", "zh": "所用参考数据"},
    "targets": {"en": "Targets", "zh": "目标"},
    "indicator": {"en": "indicator", "zh": "指标"},
    "year": {"en": "year", "zh": "年份"},
    "value": {"en": "value", "zh": "数值"},
    "value_year": {"en": "value's year", "zh": "数值年份"},
    "target": {"en": "target", "zh": "目标值"},
    "gap": {"en": "gap", "zh": "差距"},
    "source": {"en": "source", "zh": "来源"},
    "citation": {"en": "citation", "zh": "出处"},
    "region": {"en": "region", "zh": "地区"},
    "line": {"en": "line", "zh": "险种"},
    "by_line": {"en": "By line (field)", "zh": "按险种（领域）"},
    "by_category": {"en": "By institution group (item 9)", "zh": "按机构类型（第（九）项）"},
    "by_ownership": {"en": "By ownership", "zh": "按所有制"},
    "by_insurer": {"en": "By insurer", "zh": "按机构"},
    "trend": {"en": "Market trend over the periods", "zh": "全市场各报告期趋势"},
    "insurer_trend": {"en": "Insurer trend over the periods", "zh": "机构各报告期趋势"},
    "peers": {
        "en": "Peer positions (percentile among the period's insurers)",
        "zh": "同业位置（在同期机构中的百分位）",
    },
    "peers_note": {
        "en": "Percentile: the share of the period's scored insurers at or below the insurer; leading at or above "
        "{leading}, lagging at or below {lagging}.",
        "zh": "百分位：同期已评分机构中得分不高于该机构的比例；不低于{leading}为领先，不高于{lagging}为落后。",
    },
    "nothing": {"en": "(none)", "zh": "（无）"},
    "period": {"en": "period", "zh": "报告期"},
    "key": {"en": "code", "zh": "代码"},
    "name": {"en": "name", "zh": "名称"},
    "insurer": {"en": "insurer", "zh": "机构"},
    "insurers": {"en": "insurers", "zh": "机构数"},
    "submissions": {"en": "submissions", "zh": "报送数"},
    "inclusive_products": {"en": "inclusive products", "zh": "普惠产品数"},
    "policies": {"en": "policies", "zh": "保单数"},
    "insured_persons": {"en": "insured persons", "zh": "被保险人数"},
    "premium_cny": {"en": "premium (CNY)", "zh": "保费（元）"},
    "claims_paid_cny": {"en": "claims paid (CNY)", "zh": "赔款（元）"},
    "loss_ratio": {"en": "loss ratio", "zh": "赔付率"},
    "blocking": {"en": "blocking", "zh": "阻断"},
    "compliance": {"en": "compliance", "zh": "合规得分"},
    "variety": {"en": "variety", "zh": "产品种类"},
    "coverage": {"en": "coverage", "zh": "覆盖范围"},
    "protection": {"en": "protection", "zh": "保障情况"},
    "service": {"en": "service", "zh": "服务质量"},
    "index": {"en": "index", "zh": "综合指数"},
    "leading": {"en": "leading", "zh": "领先"},
    "middle": {"en": "middle", "zh": "居中"},
    "lagging": {"en": "lagging", "zh": "落后"},
}
TREND_COLOURS = {"compliance": "#37474f", "index": "#ef8f00", **charts.DIMENSION_COLOURS}


def _by_label(by: str) -> str:
    return f"by_{by}"


def _dash(value: Any) -> str:
    return "—" if value is None else str(value)


def _position(value: str | None, position: str | None, lang: str) -> str:
    if value is None:
        return "—"
    return f"{value} {LABELS[position][lang]}" if position else value


# --- text ------------------------------------------------------------------------------------------------


def market_text(m: Market, lang: str = "en") -> str:
    """The breakdown, the market's trend and the peer positions as three tables, headed in ``lang``."""

    def head(key: str) -> str:
        return LABELS[key][lang]

    def rows_of(rows: Sequence[Any], columns: Sequence[str]) -> str:
        shown = [{head(c): (_name(r, lang) if c == "name" else _dash(getattr(r, c))) for c in columns} for r in rows]
        return table(shown, [head(c) for c in columns]) if shown else head("nothing")

    depth = tuple(c for c in DEPTH_COLUMNS if any(getattr(r, c) is not None for r in m.rows))

    ruleset = f"{m.method.ruleset.id} {m.method.ruleset.version}"
    out = [
        f"== {head('market')} — {head(_by_label(m.by))}"
        + (f" — {m.period}" if m.period else "")
        + (f" — {m.insurer}" if m.insurer else ""),
        LABELS["market_note"][lang].format(ruleset=ruleset),
        weighted_note(m, lang),
        "",
        rows_of(m.rows, (*TEXT_COLUMNS, *SCORE_COLUMNS, *depth)),
        "",
        f"== {head('trend')}",
        rows_of(m.market, ("period", "insurers", "submissions", *TEXT_COLUMNS[4:], "blocking", *SCORE_COLUMNS)),
        *_extra_text(m, lang),
        "",
        f"== {head('peers')}",
        LABELS["peers_note"][lang].format(leading=m.method.leading_at_least, lagging=m.method.lagging_at_most),
    ]
    peers = [
        {
            head("period"): p.period,
            head("insurer"): p.insurer,
            head("compliance"): _dash(p.compliance),
            head("index"): _dash(p.index),
            **{head(d): _position(p.percentiles.get(d), p.positions.get(d), lang) for d in DIMENSIONS},  # type: ignore[call-overload]
        }
        for p in m.peers
    ]
    columns = [head(c) for c in ("period", "insurer", "compliance", "index", *DIMENSIONS)]
    out.append(table(peers, columns) if peers else head("nothing"))
    return "\n".join(out)


def _name(r: Any, lang: str) -> str:
    return f"{r.name[lang]} ✦" if getattr(r, "separately_listed", False) else str(r.name[lang])


def weighted_note(m: Market, lang: str) -> str:
    method = m.method
    return LABELS["weighted_note"][lang].format(
        weight=WEIGHTS[method.row_weight][lang],
        interpretation=LABELS["interpretation"][lang] if method.row_weight_interpretation else "",
    )


def yoy_dicts(m: Market) -> list[dict[str, Any]]:
    """Year-on-year panels as flat records (one per period), the panel's insurers joined by spaces."""
    figures = ("policies", "insured_persons", "premium_cny", "claims_paid_cny")
    return [
        {
            "period": y.period,
            "previous": y.previous,
            "panel": " ".join(y.panel) or str(y.panel_size),
            **{f: getattr(y.current, f) for f in figures},
            **{f"previous_{f}": getattr(y.before, f) for f in figures},
            **{f"change_{f}": y.change.get(f) for f in figures},
        }
        for y in m.year_on_year
    ]


def _extra_text(m: Market, lang: str) -> list[str]:
    """The cross-tab, year-on-year panels, reference figures and targets, each under its heading."""

    def head(key: str) -> str:
        return LABELS[key][lang]

    out: list[str] = []
    if m.crosstab:
        heads = [head(k) for k in ("period", "region", "line", "name", "insurers", "policies", "insured_persons")]
        heads.append(head("premium_cny"))
        cells = [
            dict(
                zip(
                    heads,
                    [
                        c.period,
                        c.region,
                        c.line,
                        dict(c.name)[lang],
                        c.insurers,
                        c.policies,
                        c.insured_persons,
                        c.premium_cny,
                    ],
                    strict=True,
                )
            )
            for c in m.crosstab
        ]
        out += ["", f"== {head('crosstab')}", head("crosstab_note"), table(cells, heads)]
    if m.year_on_year:
        rows = yoy_dicts(m)
        columns = ["period", "previous", "panel", "premium_cny", "previous_premium_cny", "change_premium_cny"]
        columns += ["insured_persons", "change_insured_persons"]
        out += ["", f"== {head('yoy')}", head("yoy_note"), table(rows, columns)]
    if m.reference:
        heads = [head(k) for k in ("region", "year", "indicator", "value", "source")]
        refs = [dict(zip(heads, [r.region, r.year, r.indicator, r.value, r.source], strict=True)) for r in m.reference]
        out += ["", f"== {head('reference')}", table(refs, heads)]
    if m.targets is not None:
        heads = [head(k) for k in ("region", "indicator", "year", "target", "value", "value_year", "gap", "citation")]
        goals = [
            dict(
                zip(
                    heads,
                    [
                        g.region,
                        g.indicator,
                        g.year,
                        g.target,
                        _dash(g.value),
                        _dash(g.value_year),
                        _dash(g.gap),
                        g.citation,
                    ],
                    strict=True,
                )
            )
            for g in m.targets
        ]
        out += ["", f"== {head('targets')}", table(goals, heads) if goals else head("nothing")]
    return out


# --- CSV and XLSX ----------------------------------------------------------------------------------------


def row_dicts(m: Market, which: str = "rows") -> list[dict[str, Any]]:
    """The breakdown's rows (``rows``) or the market's (``market``) as flat records, names per language."""
    out = []
    for r in getattr(m, which):
        record = r.model_dump(mode="json")
        name = record.pop("name")
        out.append({**{c: record.get(c) for c in ROW_COLUMNS}, "name_en": name["en"], "name_zh": name["zh"]})
    return out


def peer_dicts(m: Market) -> list[dict[str, Any]]:
    out = []
    for p in m.peers:
        record = p.model_dump(mode="json")
        percentiles, positions = record.pop("percentiles"), record.pop("positions")
        record |= {f"{d}_percentile": percentiles.get(d) for d in DIMENSIONS}
        record |= {f"{d}_position": positions.get(d) for d in DIMENSIONS}
        out.append({c: record.get(c) for c in PEER_COLUMNS})
    return out


def market_csv(m: Market) -> str:
    """The breakdown's rows, one line each (UTF-8 with a byte-order mark, as the findings' CSV)."""
    from .tabular import _csv_cell

    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(ROW_COLUMNS)
    for record in row_dicts(m):
        writer.writerow([_csv_cell(record[c]) for c in ROW_COLUMNS])
    return buffer.getvalue()


def _typed(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Figures as numbers (numeric cells that sort and sum); text stays text."""
    out = []
    for record in records:
        typed = {}
        for key, value in record.items():
            if isinstance(value, str) and key not in (
                "period",
                "key",
                "name_en",
                "name_zh",
                "insurer",
                "name",
                "parent",
                "region",
                "panel",
                "previous",
            ):
                try:
                    typed[key] = Decimal(value) if not key.endswith(("_position", "category", "group")) else value
                except ArithmeticError:
                    typed[key] = value
            else:
                typed[key] = value
        out.append(typed)
    return out


def write_market_xlsx(m: Market, handle: Any) -> None:
    """Sheets ``rows`` (the breakdown), ``market`` (the trend) and ``peers`` (positions), typed cells."""
    from openpyxl import Workbook

    from .tabular import _sheet

    workbook = Workbook()
    _sheet(workbook, "rows", ROW_COLUMNS, _typed(row_dicts(m)), first=True)
    _sheet(workbook, "market", ROW_COLUMNS, _typed(row_dicts(m, "market")), first=False)
    _sheet(workbook, "peers", PEER_COLUMNS, _typed(peer_dicts(m)), first=False)
    crosstab = [{**c.model_dump(mode="json", exclude={"name"})} for c in m.crosstab]
    if crosstab:
        _sheet(workbook, "crosstab", tuple(crosstab[0]), _typed(crosstab), first=False)
    yoy = yoy_dicts(m)
    if yoy:
        _sheet(workbook, "year_on_year", tuple(yoy[0]), _typed(yoy), first=False)
    workbook.save(handle)


def market_xlsx(m: Market) -> bytes:
    buffer = io.BytesIO()
    write_market_xlsx(m, buffer)
    return buffer.getvalue()


# --- HTML ------------------------------------------------------------------------------------------------


def _dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _trend_chart(element_id: str, title: str, periods: list[str], rows: Sequence[Any]) -> Markup:
    by_period = {r.period: r for r in rows}
    series = [
        (name, TREND_COLOURS[name], [_dec(getattr(by_period[p], name)) if p in by_period else None for p in periods])
        for name in ("compliance", "index", *DIMENSIONS)
    ]
    return charts.trend_lines(element_id, title, periods, series)


def section_context(m: Market, lang: str) -> dict[str, Any]:
    """What the market section's template needs (``market_section.html.j2``)."""

    text = Bilingual(lang)

    def t(key: str) -> Markup:
        return text.pair(LABELS[key])

    def plain(key: str) -> str:
        return LABELS[key]["zh" if lang == "zh" else "en"]

    latest = m.peers[-1].period if m.peers else m.periods[-1]  # peers come by period, oldest first
    peer_rows = [
        (p.insurer, "", {d: _dec(p.percentiles.get(d)) for d in DIMENSIONS})  # type: ignore[call-overload]
        for p in m.peers
        if p.period == latest
    ]
    insurer_rows = [r for r in m.rows if m.by == "insurer" and r.key == m.insurer]
    annual = [p for p in m.periods if "-Q" not in p]
    quarterly = [p for p in m.periods if "-Q" in p]
    return {
        "m": m,
        "t": t,
        "pair": text.pair,
        "note": text.pair(
            {
                k: v.format(ruleset=f"{m.method.ruleset.id} {m.method.ruleset.version}")
                for k, v in LABELS["market_note"].items()
            }
        ),
        "peers_note": text.pair(
            {
                k: v.format(leading=m.method.leading_at_least, lagging=m.method.lagging_at_most)
                for k, v in LABELS["peers_note"].items()
            }
        ),
        "by_title": t(_by_label(m.by)),
        "dimensions": DIMENSIONS,
        "colours": TREND_COLOURS,
        "trend_chart": _trend_chart("chart-market-trend", f"{plain('trend')} ({plain('annual')})", annual, m.market)
        if annual
        else None,
        "quarter_chart": _trend_chart(
            "chart-market-quarters", f"{plain('trend')} ({plain('quarterly')})", quarterly, m.market
        )
        if quarterly
        else None,
        "insurer_chart": _trend_chart("chart-insurer-trend", plain("insurer_trend"), m.periods, insurer_rows)
        if insurer_rows
        else None,
        "peer_chart": charts.grouped_bars("chart-peers", f"{plain('peers')} {latest}", peer_rows)
        if peer_rows
        else None,
        "latest": latest,
        "weighted_note": text.pair({lg: weighted_note(m, lg) for lg in ("en", "zh")}),
        "depth_columns": tuple(c for c in DEPTH_COLUMNS if any(getattr(r, c) is not None for r in m.rows)),
        "yoy": yoy_dicts(m),
        "position": lambda p, d: text.pair(
            {lg: _position(p.percentiles.get(d), p.positions.get(d), lg) for lg in ("en", "zh")}
        ),
    }


def section(m: Market, lang: str) -> Markup:
    """The market section as markup (the audit report's, and the body of ``market --format html``)."""

    return Markup(environment().get_template("market_section.html.j2").render(**section_context(m, lang)))


def market_html(m: Market, lang: str = "both") -> str:
    """A page of its own: the market section, styled as the audit report, nothing fetched, no script."""

    return (
        environment()
        .get_template("market.html.j2")
        .render(
            section=section(m, lang),
            lang=lang,
            html_lang={"en": "en", "zh": "zh-CN", "both": "zh-CN"}[lang],
            title=LABELS["market"]["zh" if lang == "zh" else "en"],
        )
    )
