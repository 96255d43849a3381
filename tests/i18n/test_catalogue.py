"""The message catalogues: every id the code uses is in both PO files, no PO entry is stale, Chinese is complete,
and a message renders with its arguments typed per language."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from inclusive_check.i18n import Code, Item, Message, Param, chinese_numeral, cite, gloss, number, render

SRC = Path(__file__).resolve().parents[2] / "src" / "inclusive_check"
KEYWORDS = {"render": None, "Message": None, "N_": None}  # as babel.cfg and CONTRIBUTING.md's pybabel command
PLACEHOLDER = re.compile(r"{(\w+)}")


def _po(lang: str, domain: str = "messages") -> list:  # type: ignore[type-arg]
    path = resources.files("inclusive_check").joinpath(f"locale/{lang}/LC_MESSAGES/{domain}.po")
    with path.open("rb") as f:
        return [m for m in read_po(f, locale=lang) if m.id]


def _used_ids() -> set[str]:
    found = extract_from_dir(str(SRC), method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=())
    return {message for _, _, message, _, _ in found if isinstance(message, str)}


def _identifiers() -> set[str]:
    """Field names of the published document schemas, the ruleset's parameter names and its policy keys."""
    from inclusive_check.overlay import load_any

    names = {"in_force", "strength", "severity", "deactivated"}
    ruleset = load_any(None)
    for rule in ruleset.rules():
        names |= set(ruleset.entry(rule.ID).params)

    def walk(node: object) -> None:
        if isinstance(node, dict):
            names.update(node.get("properties", {}) if isinstance(node.get("properties"), dict) else ())
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in (SRC / "contract" / "schemas").glob("*.json"):
        walk(json.loads(path.read_text("utf-8")))
    return names


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_catalogue_has_every_id_the_code_uses_and_none_it_does_not(lang: str) -> None:
    ids = {m.id for m in _po(lang)}
    used = _used_ids()
    assert used - ids == set(), "ids used in the code but missing from the catalogue"
    assert ids - used == set(), "stale ids: in the catalogue, used by no code"
    assert {m.id for m in _po(lang, "glosses")} - _identifiers() == set(), "glosses of unknown identifiers"


def test_both_catalogues_hold_the_same_ids_and_chinese_is_complete() -> None:
    for domain in ("messages", "glosses"):
        en, zh = ({m.id: m for m in _po(lang, domain)} for lang in ("en", "zh"))
        assert set(en) == set(zh)
        assert [i for i, m in zh.items() if not m.string or m.fuzzy] == []
        assert [i for i, m in en.items() if (not m.string and domain == "messages") or m.fuzzy] == []


def test_each_chinese_text_takes_the_arguments_the_english_one_takes() -> None:
    en, zh = ({m.id: str(m.string) for m in _po(lang)} for lang in ("en", "zh"))
    own = {"cite.item": {"numeral"}}  # cite() passes both the number and its Chinese numeral
    for msg_id, text in zh.items():
        extra = set(PLACEHOLDER.findall(text)) - set(PLACEHOLDER.findall(en[msg_id])) - own.get(msg_id, set())
        assert extra == set(), msg_id


def test_one_citation_style_per_language() -> None:
    assert [cite(n, "en") for n in (1, 9, 18, 20)] == ["item 1", "item 9", "item 18", "item 20"]
    assert [cite(n, "zh") for n in (1, 9, 10, 18, 20)] == [
        "第（一）项",
        "第（九）项",
        "第（十）项",
        "第（十八）项",
        "第（二十）项",
    ]
    assert [chinese_numeral(n) for n in (11, 19, 21, 99)] == ["十一", "十九", "二十一", "九十九"]


def test_arguments_are_formatted_by_type_and_language() -> None:
    assert number(1234567) == "1,234,567" and number(Decimal("-262340001.50")) == "-262,340,001.50"
    assert number(Decimal("0.05")) == "0.05" and number(999) == "999"
    assert gloss("intermediary_channels", "zh") == "中介渠道范围（intermediary_channels）"
    assert gloss("intermediary_channels", "en") == "intermediary_channels"  # English prose names the identifier
    assert gloss("no_such_field", "zh") == "no_such_field"
    era = Message("bounds.era", value=date(2240, 1, 1), first=date(1900, 1, 1), last=date(2199, 12, 31))
    assert era.text("en") == "the date 2240-01-01 is outside 1900-01-01..2199-12-31"
    assert era.text("zh") == "日期 2240-01-01 不在 1900-01-01 至 2199-12-31 之间"
    assert render("schema.required", "zh", names=[Param("premium_rate"), Param("term")]) == (
        "缺少必填字段 费率（premium_rate）、term"
    )
    nested = Message("problem.not_yaml", detail=Message("problem.yaml_alias"))
    assert nested.text("zh") == "不是有效的 YAML：文件中不允许使用锚点与别名"
    assert str(nested) == nested.text("en") == "not valid YAML: anchors and aliases are not allowed in documents"


def test_a_message_is_stored_as_json_and_renders_later_as_it_was() -> None:
    message = Message(
        "problem.regions_over",
        figure=Param("premium_cny"),
        sum=Decimal("262340001"),
        total=262340000,
        field=Param("premium_cny"),
    )
    stored = json.loads(json.dumps(message.as_json()))
    again = Message.from_json(stored)
    assert again == message
    for lang in ("en", "zh"):
        assert again.text(lang) == message.text(lang)
    assert "262,340,001" in again.text("zh") and "保费（元）（premium_cny）" in again.text("zh")
    kept = Message.from_json(Message("cli.run_id", id=Code("12"), at=Item(18), on=date(2025, 1, 1)).as_json())
    assert kept.args == {"id": Code("12"), "at": Item(18), "on": date(2025, 1, 1)}


def test_an_id_a_language_lacks_falls_back_to_english_then_to_the_id() -> None:
    assert render("no.such.id", "zh") == "no.such.id"
    assert render("cli.nothing_stored", "fr") == render("cli.nothing_stored", "en") == "nothing was stored"
