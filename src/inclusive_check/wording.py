"""Words shown to people, per language: statuses, severities, and a finding's evidence in Chinese.

A status is named as the results give it: ``not_covered`` (an encouraged obligation not met) is an outcome of its
own, decided once where findings become results (``store.run_reads.OUTCOME``), never a failure renamed here.

Rules write their evidence (``expected``, ``actual``) once, in a small, fixed English vocabulary: numbers,
dates, JSON Pointers, codes and field or enum names joined by a few phrases. ``localize`` turns that
vocabulary into Chinese when results are read, so that ``--lang zh`` is Chinese throughout while the
stored findings stay one canonical text. JSON Pointers, product codes and names from the documents are
kept as filed. A test renders every rule case in Chinese and fails on any English word left over.
"""

from __future__ import annotations

import re
from collections.abc import Callable

STATUS = {
    "en": {
        "pass": "pass",
        "fail": "fail",
        "indeterminate": "indeterminate",
        "waived": "waived",
        "not_applicable": "not applicable",
        "not_covered": "not covered",
    },
    "zh": {
        "pass": "通过",
        "fail": "不合规",
        "indeterminate": "无法判定",
        "waived": "已豁免",
        "not_applicable": "不适用",
        "not_covered": "未覆盖",
    },
}
SEVERITY = {
    "en": {"error": "error", "warning": "warning", "info": "info"},
    "zh": {"error": "错误", "warning": "警告", "info": "提示"},
}
STRENGTH = {
    "en": {
        "mandatory": "mandatory",
        "principle": "in principle",
        "encouraged": "encouraged",
        "flag": "supervisor flag",
    },
    "zh": {"mandatory": "强制", "principle": "原则上", "encouraged": "鼓励", "flag": "监管提示"},
}


# Field, enum and channel names as they appear in evidence, and their Chinese names.
TERMS_ZH = {
    # fields
    "premium_rate": "费率",
    "intermediary_fee_rate": "中介费用率",
    "inclusive_kpi_weight": "普惠考核权重",
    "insurer_handles_disputes": "由保险公司处理纠纷",
    "size_class": "规模类别",
    # where commitments are published
    "premises": "营业场所",
    "agency_sites": "代理场所",
    "online": "自营网络平台",
    # size
    "large": "大型",
    "medium": "中型",
    "small": "小型",
    "micro": "微型",
    "declared_then_assets": "先看申报规模、再看总资产",
    "declared_only": "仅看申报规模",
    "assets_only": "仅看总资产",
    # target groups
    "rural_residents": "农村居民",
    "remote_area_residents": "边远地区居民",
    "poverty_alleviated": "脱贫人口",
    "urban_low_income": "城市低收入人群",
    "county_residents": "县域居民",
    "elderly": "老年人",
    "preexisting_conditions": "既往症人群",
    "disabled": "残障人士",
    "women_two_cancers": "女性两癌",
    "children_congenital": "儿童先天性疾病",
    "rare_disease": "罕见病患者",
    "new_citizens": "新市民",
    "flexible_employment": "灵活就业人员",
    "special_occupations": "特殊职业群体",
    "micro_small_enterprises": "小微企业",
    "individual_businesses": "个体工商户",
    "new_agricultural_entities": "新型农业经营主体",
    "small_farmers": "小农户",
    "families_children": "家庭与儿童",
    # risk areas
    "natural_disaster": "自然灾害",
    "accident_disaster": "事故灾难",
    "public_health": "公共卫生",
    "campus_safety": "校园安全",
    "road_safety": "道路安全",
    "medical_liability": "医疗责任",
    "medical_accident": "医疗意外",
    "vaccination": "疫苗接种",
    "agriculture": "农业",
    "elderly_care": "养老服务",
    "long_term_care": "长期护理",
    "maternity": "生育",
    # lines
    "accident": "意外险",
    "health": "健康险",
    "term_life": "定期寿险",
    "household_property": "家庭财产险",
    "enterprise_property": "企业财产险",
    "intellectual_property": "知识产权险",
    "cargo": "货运险",
    "export_credit": "出口信用险",
    "annuity": "年金险",
    "liability": "责任险",
    "other": "其他",
}

# Sales channels, where evidence names them as channels (``online`` elsewhere names the place commitments are shown).
CHANNELS_ZH = {"agency": "代理", "broker": "经纪", "postal": "邮政", "bank": "银行", "direct": "直销", "online": "网络"}
_DATE = r"(\d{4}-\d{2}-\d{2})"
_Q = r"(\d{4}-Q[1-4])"
# Whole phrases first, then the pieces they are built from; each pattern is tried in this order.
PHRASES_ZH: list[tuple[str, str | Callable[[re.Match[str]], str]]] = [
    (
        rf"the obligation applies from {_DATE}; the document's binding date \(period end or filing date\) is {_DATE}",
        r"该义务自\1起适用；本文件的约束日期（报告期末或备案日）为\2",
    ),
    (rf"no provision of the ruleset is in force on {_DATE}", r"规则集在\1没有生效的条款"),
    (rf"parameter (\w+) has no value in force on {_DATE}", r"参数\1在\2没有生效的取值"),
    (r"^a provision in force$", "生效的条款"),
    (  # the reason is the ruleset author's text, shown as written
        rf"^rule deactivated by the ruleset from {_DATE}(?: until {_DATE})?: (.*)$",
        lambda m: f"规则集自{m[1]}起{'至' + m[2] if m[2] else ''}停用该规则：{m[3]}",
    ),
    (rf"on sale {_DATE} to open", r"销售期\1起（未设止期）"),
    (rf"on sale {_DATE} to {_DATE}", r"销售期\1至\2"),
    (rf"; not on sale between {_DATE} and {_DATE}", r"；\1至\2期间未在售"),
    (rf"; the sale ended before {_DATE}", r"；销售已于\1之前结束"),
    (rf"^on sale in the period on or after {_DATE}$", r"报告期内、\1及以后在售"),
    (r"^on sale in the period$", "报告期内在售"),
    (r"(\w+) below a named comparable", r"\1低于所列可比产品"),
    (
        r"the declared comparable (\w+) differs from the rate filed for (.+) in this document \((.+)\)$",
        r"所申报的可比产品\1与本文件中\2自身备案的数值（\3）不一致",
    ),
    (r"comparable (\w+) not reported \((.+)\)$", r"可比产品\1未报告（\2）"),
    (r"comparable (\w+) not stated \((.+)\)$", r"可比产品未申报\1（\2）"),
    (r" as filed in this document\)$", "，以本文件中的备案为准）"),
    (r"^the (\w+) filed for (.+) in this document$", r"本文件中为\2备案的\1"),
    (r"^declared (\S+); (.+) as filed in this document: no (\w+)$", r"申报为\1；\2在本文件中的备案未载明\3"),
    (r"^declared (\S+); (.+) as filed in this document: (\S+)$", r"申报为\1；\2在本文件中的备案为\3"),
    (r"^a dedicated inclusive product$", "专属普惠产品"),
    (
        r"^not a dedicated inclusive product: item 8 compares the rates of dedicated products only$",
        "非专属普惠产品：第八条仅比较专属普惠产品的费率",
    ),
    (r"^(\w+) of the product and of its comparable, where stated$", r"产品及其可比产品已申报的\1"),
    (
        r"^not sold through ([a-z, ]+); ",
        lambda m: "未经" + "、".join(CHANNELS_ZH.get(c, c) for c in m[1].split(", ")) + "渠道销售；",
    ),
    (r"no (\w+) stated$", r"未申报\1"),
    (r"no comparable product named", "未列明可比产品"),
    (r"a large insurer reports no (\w+)", r"大型保险公司未报告\1"),
    (r"not large \(total assets ([\d.]+) CNY\)", r"非大型（总资产\1元）"),
    (r"not large \(size_class (\w+)\)", r"非大型（size_class：\1）"),
    (r"size unknown: the insurer's size cannot be told \((\w+)\)", r"规模未知：无法判断保险公司规模（\1）"),
    (r"^a large insurer$", "大型保险公司"),
    (r"^a named department$", "已写明的牵头部门"),
    (r"^blank$", "空白"),
    (r"^at least 1 target group or risk area$", "至少1个目标群体或风险领域"),
    (r"^groups: ", "群体："),
    (r"; areas: ", "；领域："),
    (r"^areas: ", "领域："),
    (r"^an inclusive product for ", "服务以下群体或险种的普惠产品："),
    (r"^first: ", "首个："),
    (r"^all true$", "均为是"),
    (r" = true with a weight above 0", " = 是，且权重大于0"),
    (r" = true but ", " = 是，但 "),
    (r" = true", " = 是"),
    (r" = false", " = 否"),
    (r" = 是 and ", " = 是，且 "),
    (
        rf"board >= (\d+)(?: briefing\(s\))?, management >= (\d+)(?: briefing\(s\))? between {_DATE} and {_DATE}",
        r"董事会 >= \1次、管理层 >= \2次（\3至\4）",
    ),
    (r"board (\d+)(?: briefing\(s\))?, management (\d+)(?: briefing\(s\))?", r"董事会\1次、管理层\2次"),
    (rf"^board >= (\d+) briefing\(s\) between {_DATE} and {_DATE}$", r"董事会 >= \1次（\2至\3）"),
    (rf"^management >= (\d+) briefing\(s\) between {_DATE} and {_DATE}$", r"高级管理层 >= \1次（\2至\3）"),
    (r"^board (\d+) briefing\(s\)$", r"董事会\1次"),
    (r"^management (\d+) briefing\(s\)$", r"高级管理层\1次"),
    (r"(\d+) serious mass incident\(s\)", r"\1起"),
    (r"^no inclusive product is sold$", "未销售普惠产品"),
    (r"^an inclusive product on sale$", "销售中的普惠产品"),
    (
        r"published in at least one place \(no channel sold through names a place\)",
        "至少在一处公示（所用销售渠道未指定公示场所）",
    ),
    (r"^published: ", "已公示："),
    (r"; missing: ", "；缺少："),
    (r"\bnowhere\b", "无"),
    (r"^open-ended$", "未设止期"),
    (r"(\d+) month\(s\)", r"\1个月"),
    (r">= (\d+) months", r">= \1个月"),
    (r"core >= ([\d.]+%), comprehensive >= ([\d.]+%)", r"核心偿付能力充足率 >= \1，综合偿付能力充足率 >= \2"),
    (r", IRR class in (\S+)", r"，风险综合评级为\1之一"),
    (r"core ([\d.]+%), comprehensive ([\d.]+%), IRR (\w+)", r"核心充足率\1，综合充足率\2，风险综合评级\3"),
    (r"; failed: ", "；未达标："),
    (r"; met: ", "；达标："),
    (r"core ratio below ([\d.]+%)", r"核心充足率低于\1"),
    (r"comprehensive ratio below ([\d.]+%)", r"综合充足率低于\1"),
    (r"IRR class (\w+) not in ([A-Z/]+)", r"风险综合评级\1不在\2之内"),
    (r"core ratio", "核心充足率"),
    (r"comprehensive ratio", "综合充足率"),
    (r"IRR class (\w+)", r"风险综合评级\1"),
    (r"(\d+) dedicated product\(s\) on sale", r"\1款专属普惠产品在售"),
    (rf"{_Q} not reported in /solvency", r"/solvency 未报告\1"),
    (rf"{_Q} not reported in the insurer context", r"保险公司背景资料未报告\1"),
    (
        rf"{_Q} is outside the insurer context \((\S+)\); the product is on sale from {_DATE} to {_DATE}",
        r"\1不在保险公司背景资料（\2）的期间内；该产品销售期\3至\4",
    ),
    (
        rf"{_Q} is outside the insurer context \((\S+)\); the product is on sale from {_DATE}",
        r"\1不在保险公司背景资料（\2）的期间内；该产品自\3起在售",
    ),
    (
        rf"the insurer context \((\S+)\) ends {_DATE}, before the sale window \(from {_DATE} to {_DATE}\)",
        r"保险公司背景资料（\1）止于\2，早于销售期（\3至\4）",
    ),
    (
        rf"the insurer context \((\S+)\) ends {_DATE}, before the sale window \(from {_DATE}\)",
        r"保险公司背景资料（\1）止于\2，早于销售期（自\3起）",
    ),
    (r"^the solvency of every quarter the product is on sale$", "产品在售各季度的偿付能力"),
    (
        rf"^{_Q}(?: to {_Q})?( onwards \(the sale window is open\))? not judged: after the insurer context "
        rf"\((\S+)\), which ends {_DATE}, and not ended by the filing date \({_DATE}\); judged when a later submission "
        r"of the insurer is stored or given$",
        lambda m: (
            (m[1] + ("至" + m[2] if m[2] else "") + ("及以后各季度（销售期未设止期）" if m[3] else ""))
            + f"未予判断：晚于保险公司背景资料（{m[4]}）（止于{m[5]}），且至备案日（{m[6]}）尚未结束；"
            + "待该公司更晚的报送文件入库或指定后再作判断"
        ),
    ),
    (
        r"no insurer context: pass --insurer FILE or store the insurer's submission",
        "无保险公司背景资料：请用 --insurer 指定该公司的报送文件，或先将其入库",
    ),
    (r"(\w+) not reported", r"\1未报告"),
    (r"\bnot reported\b", "未报告"),
    (r"^none$", "无"),
]
_LATIN = re.compile(r"[A-Za-z]")


def _anchor(pattern: str) -> str:
    """The longest plain run of words a pattern needs: a cheap ``in`` test before the regular expression runs."""
    return max(re.findall(r"[A-Za-z ':;,-]{3,}", re.sub(r"\\.|[\^$]", "\x00", pattern)), key=len, default="")


_COMPILED = [(_anchor(pattern), re.compile(pattern), replacement) for pattern, replacement in PHRASES_ZH]
# An enum or field name standing alone (not inside a JSON Pointer, a longer name or a code).
_TERM = re.compile(
    r"(?<![A-Za-z0-9_/.-])("
    + "|".join(sorted(map(re.escape, TERMS_ZH), key=len, reverse=True))
    + r")(?![A-Za-z0-9_/-])"
)


def localize(text: str, lang: str) -> str:
    """Evidence in ``lang``: English as stored, or Chinese built from the fixed vocabulary above."""
    if lang != "zh" or not _LATIN.search(text):  # numbers, dates and Chinese names need no words changed
        return text
    for anchor, pattern, replacement in _COMPILED:
        if anchor in text:
            text = pattern.sub(replacement, text)
    text = _TERM.sub(lambda m: TERMS_ZH[m.group(1)], text)
    return text.replace("; ", "；").replace(", ", "、")
