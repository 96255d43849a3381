"""--lang zh is Chinese throughout: every rule case's findings, rendered in Chinese, keep no English word
beyond what the documents themselves say (names, codes), JSON Pointers, and the ruleset's own identifiers."""

from __future__ import annotations

import re
from typing import Any

import pytest

from inclusive_check.check import check_documents
from inclusive_check.reports import text
from inclusive_check.store.run_reads import outcome_of
from inclusive_check.wording import localize
from rulecases import apply_patch, base, build, load_cases

CASES = load_cases()
POINTER = re.compile(r"/[\w/~.-]+")
IDENTIFIER = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")  # parameter names in the interpretation note
CODE = re.compile(r"\b[A-Z][A-Z0-9]*(?:[-.][A-Z0-9]+)*\b")  # product codes, rule IDs, rating grades
OPTION = re.compile(r"--[a-z-]+")


def _strings(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*(_strings(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_strings(v) for v in value)) if value else set()
    return set()


def _english_left(shown: str, data: set[str], parameters: set[str]) -> list[str]:
    shown = OPTION.sub(" ", POINTER.sub(" ", shown))
    for name in parameters:
        shown = re.sub(rf"(?<![A-Za-z_]){name}(?![A-Za-z_])", " ", shown)
    for value in sorted(data, key=len, reverse=True):
        if len(value) > 1 and not IDENTIFIER.fullmatch(value):  # names as filed; enum values must be translated
            shown = shown.replace(value, " ")
    return re.findall(r"[A-Za-z]{2,}", CODE.sub(" ", shown))


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.rule}::{c.name}")
def test_every_finding_reads_in_chinese(case: Any) -> None:
    loaded, context, ruleset = build(case)
    outcome = check_documents(loaded, ruleset, case.as_of, context)
    assert outcome.results is not None
    data = _strings(apply_patch(base(case.document), case.patch))
    if case.context:
        data |= _strings(apply_patch(base(case.context), case.context_patch))
    parameters = {name for entry in ruleset.data.rules.values() for name in entry.params}
    # a deactivation's reason is the ruleset author's own text, shown as written
    data |= {
        str(v.value) for entry in ruleset.data.rules.values() if entry.deactivated for v in entry.deactivated.values
    }
    for sub in outcome.results.model_dump(mode="json")["submissions"]:
        for finding in sub["findings"]:
            for shown in (
                finding["evidence"]["zh"]["expected"],
                finding["evidence"]["zh"]["actual"],
                finding["message"]["zh"],
                finding["title"]["zh"],
            ):
                assert _english_left(shown, data, parameters) == [], shown


def test_text_view_in_chinese_has_chinese_headings_and_summary() -> None:
    (case,) = [c for c in CASES if c.name == "test_fail_no_group"]
    loaded, context, ruleset = build(case)
    outcome = check_documents(loaded, ruleset, case.as_of, context)
    assert outcome.results is not None
    page = text.render(outcome.results, "zh", show_passes=True)
    data = _strings(apply_patch(base("submission"), case.patch)) | {outcome.results.submissions[0].source, ruleset.id}
    parameters = {name for entry in ruleset.data.rules.values() for name in entry.params}
    for line in page.splitlines():
        assert _english_left(line, data, parameters) == [], line


def test_localize_keeps_english_and_pointers() -> None:
    assert localize("premium_rate < 0.2% (P-STD-1)", "en") == "premium_rate < 0.2% (P-STD-1)"
    assert localize("premium_rate < 0.2% (P-STD-1)", "zh") == "费率 < 0.2% (P-STD-1)"
    assert localize("/service/online_claims = false", "zh") == "/service/online_claims = 否"
    assert localize("groups: elderly, rural_residents", "zh") == "群体：老年人、农村居民"


def test_an_encouraged_miss_is_not_covered_never_a_failure() -> None:
    assert outcome_of("fail", "encouraged") == "not_covered"
    assert outcome_of("fail", "mandatory") == "fail"
    assert outcome_of("pass", "encouraged") == "pass"
    assert outcome_of("indeterminate", "encouraged") == "indeterminate"
