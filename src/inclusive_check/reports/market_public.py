"""The public view of the market (``market --public``, the portal's /public/market), rendered only: text, CSV
and HTML from the published ``PublicMarket`` shape (market_public.py computes it). Nothing names an insurer."""

from __future__ import annotations

import csv
import io
from typing import Any

from markupsafe import Markup

from ..contract.market_outputs import PublicMarket
from .page import Bilingual, environment
from .views import table

COLUMNS = (
    "period",
    "series",
    "table",
    "key",
    "parent",
    "name_en",
    "name_zh",
    "insurers",
    "policies",
    "insured_persons",
    "premium_cny",
    "claims_paid_cny",
    "loss_ratio",
    "suppressed",
)
LABELS: dict[str, dict[str, str]] = {
    "public": {"en": "Inclusive insurance market: public figures", "zh": "普惠保险市场公开数据"},
    "public_note": {
        "en": "Item 18: results reported to the public. Aggregates of the insurers' latest submissions; no insurer "
        "is named. A cell is withheld (✱) when fewer than {k} insurers make it up or one insurer holds more than "
        "{p}% of any of its figures, and further cells (†) are withheld so that totals cannot reveal it. "
        "Thresholds from {since}: ruleset {ruleset}{interpretation}.",
        "zh": "第（十八）项：向社会通报。数据为各机构最新报送的汇总，不列示任何机构。"
        "少于{k}家机构或单一机构占任一数值超过{p}%的单元格不予公布（✱），并另行隐去其他单元格（†），使合计无法推出被隐去的数值。"
        "阈值自{since}起适用，见规则集{ruleset}{interpretation}。",
    },
    "interpretation": {"en": " (our interpretation)", "zh": "（本工具的解释）"},
    "market": {"en": "Whole market", "zh": "全市场"},
    "region": {"en": "By region (province)", "zh": "按地区（省级）"},
    "city": {"en": "Separately listed cities within their province", "zh": "计划单列市（含于所在省）"},
    "line": {"en": "By line", "zh": "按险种"},
    "annual": {"en": "annual", "zh": "年度"},
    "quarterly": {"en": "quarterly", "zh": "季度"},
    "period": {"en": "period", "zh": "报告期"},
    "key": {"en": "code", "zh": "代码"},
    "name": {"en": "name", "zh": "名称"},
    "insurers": {"en": "insurers", "zh": "机构数"},
    "policies": {"en": "policies", "zh": "保单数"},
    "insured_persons": {"en": "insured persons", "zh": "被保险人数"},
    "premium_cny": {"en": "premium (CNY)", "zh": "保费（元）"},
    "claims_paid_cny": {"en": "claims paid (CNY)", "zh": "赔款（元）"},
    "loss_ratio": {"en": "loss ratio", "zh": "赔付率"},
    "primary": {"en": "✱ withheld", "zh": "✱ 不予公布"},
    "complementary": {"en": "† withheld (protects another cell)", "zh": "† 不予公布（保护其他单元格）"},
    "csv": {"en": "Download CSV", "zh": "下载 CSV"},
    "nothing": {"en": "(none)", "zh": "（无）"},
}
FIGURES = ("insurers", "policies", "insured_persons", "premium_cny", "claims_paid_cny", "loss_ratio")
MARK = {"primary": "✱", "complementary": "†"}


def note(m: PublicMarket, lang: str) -> str:
    method = m.method
    return LABELS["public_note"][lang].format(
        k=method.min_insurers,
        p=method.dominance_percent,
        since=method.from_,
        ruleset=f"{method.ruleset.id} {method.ruleset.version}",
        interpretation=LABELS["interpretation"][lang] if method.interpretation else "",
    )


def _cell(value: Any, suppressed: str | None) -> str:
    if suppressed:
        return MARK[suppressed]
    return "—" if value is None else str(value)


def public_text(m: PublicMarket, lang: str = "en") -> str:
    """One table per period and table kind, withheld cells marked."""
    out = [f"== {LABELS['public'][lang]}", note(m, lang)]
    for period in m.periods:
        for kind in ("market", "region", "city", "line"):
            cells = [c for c in m.cells if c.period == period and c.table == kind]
            if not cells:
                continue
            heads = [LABELS[k][lang] for k in ("key", "name", *FIGURES)]
            rows = [
                dict(
                    zip(
                        heads,
                        [c.key, dict(c.name)[lang], *(_cell(getattr(c, f), c.suppressed) for f in FIGURES)],
                        strict=True,
                    )
                )
                for c in cells
            ]
            out += ["", f"== {period} ({LABELS[cells[0].series][lang]}) — {LABELS[kind][lang]}", table(rows, heads)]
    return "\n".join(out)


def public_csv(m: PublicMarket) -> str:
    """Every published cell, one line each; a withheld cell's figures are empty and ``suppressed`` says why."""
    from .tabular import _csv_cell

    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for c in m.cells:
        record = c.model_dump(mode="json")
        name = record.pop("name")
        record |= {"name_en": name["en"], "name_zh": name["zh"]}
        writer.writerow([_csv_cell(record.get(k)) for k in COLUMNS])
    return buffer.getvalue()


def section(m: PublicMarket, lang: str, csv_href: str | None = None) -> Markup:
    """The public tables as markup (the portal's /public/market and ``market --public --format html``)."""

    text = Bilingual(lang)
    return Markup(
        environment()
        .get_template("public_market_section.html.j2")
        .render(
            m=m,
            t=lambda key: text.pair(LABELS[key]),
            pair=text.pair,
            note=text.pair({lg: note(m, lg) for lg in ("en", "zh")}),
            figures=FIGURES,
            kinds=("market", "region", "city", "line"),
            mark=MARK,
            csv_href=csv_href,
        )
    )


def public_html(m: PublicMarket, lang: str = "both") -> str:
    """A page of its own, styled as the audit report, nothing fetched, no script."""

    return (
        environment()
        .get_template("market.html.j2")
        .render(
            section=section(m, lang),
            lang=lang,
            html_lang={"en": "en", "zh": "zh-CN", "both": "zh-CN"}[lang],
            title=LABELS["public"]["zh" if lang == "zh" else "en"],
        )
    )
