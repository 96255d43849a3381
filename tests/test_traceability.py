"""Sentence-level traceability: every obligation-bearing sentence has rules or a reason, and the
`rules matrix` formats say so without pointing at anything outside the repository."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from inclusive_check.cli import cli
from inclusive_check.rules import ALL_RULES, NOT_ENCODED
from inclusive_check.ruleset import load_ruleset
from inclusive_check.traceability import TraceabilityError, load_traceability, load_traceability_text

ROOT = Path(__file__).resolve().parent.parent
TRACE = load_traceability()
KNOWN = {r.ID: r for r in ALL_RULES}
# Each rule's strengths as the packaged ruleset states them (on any date): strength is ruleset data.
STATED = {
    rule_id: {str(v.value) for v in entry.strength.values} for rule_id, entry in load_ruleset().data.rules.items()
}
# A rule's strength and the sentence strength it normally encodes; anything else needs a `reading`.
SAME_FORCE = {"mandatory": "mandatory", "principle": "principle", "encouraged": "encouraged", "flag": "supervisor_duty"}
# Files a user may be pointed at that are not in the repository (the authors' working notes).
OUTSIDE = re.compile(r"\bFACTS\b|\bSPEC\b|\bDESIGN\b|\.\./shared|/work/shared")


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INCLUSIVE_CHECK_DATABASE_URL", raising=False)
    return CliRunner()


def _ok(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


# --- the data ---------------------------------------------------------------------------------------


def test_every_sentence_has_rules_or_a_reason() -> None:
    for e in TRACE.entries:
        assert e.rules or (e.scored or "").strip() or (e.not_checkable or "").strip(), e.ref
        assert e.en.strip() and e.zh.strip(), e.ref


@pytest.mark.parametrize("extra", ["", "    rules: [IC10-LEADERSHIP]\n    not_checkable: both\n"])
def test_an_entry_with_neither_or_both_is_rejected(extra: str) -> None:
    text = (
        "entries:\n  - item: 10\n    sentence: 1\n    marker: 要\n    strength: mandatory\n"
        "    addressee: insurer\n    en: x\n    zh: x\n" + extra
    )
    with pytest.raises(TraceabilityError, match="exactly one of rules, scored, not_checkable"):
        load_traceability_text(text)


def test_partly_covered_needs_rules() -> None:
    text = (
        "entries:\n  - item: 10\n    sentence: 1\n    marker: 要\n    strength: mandatory\n"
        "    addressee: insurer\n    en: x\n    zh: x\n    not_checkable: y\n    partly: z\n"
    )
    with pytest.raises(TraceabilityError, match="only a sentence with rules can be partly covered"):
        load_traceability_text(text)


def test_convenient_service_sentence_is_only_partly_covered(runner: CliRunner) -> None:
    # Item 11: underwriting, claims and inquiry; the rule enforces the inquiry channel only.
    data = json.loads(_ok(runner, "rules", "matrix", "--format", "json"))
    row = next(r for r in data["sentences"] if r["rules"] == ["IC11-CONVENIENT-SERVICE"])
    assert row["coverage"] == "partial" and "inquiry channel" in row["partly"]
    assert next(r for r in data["sentences"] if r["ref"] == "10.4b")["coverage"] == "full"
    assert all(r["coverage"] is None for r in data["sentences"] if not r["rules"])
    assert "partly covered: of the three duties" in _ok(runner, "rules", "matrix")
    assert "partly covered: of the three duties" in _ok(runner, "rules", "matrix", "--format", "markdown")


# Item 11 sentence 3c names three duties; the service flags of IC11-CONVENIENT-SERVICE's `required_services`
# that show each one (underwriting and claims convenience shown, at most, by the online flags).
DUTIES_11_3C = {"inquiry": {"inquiry_channel"}, "underwriting": {"online_underwriting"}, "claims": {"online_claims"}}


def test_a_sentence_claims_full_coverage_only_when_its_rule_enforces_every_duty() -> None:
    # The matrix is static: it may say "full" for 11.3c only if the packaged ruleset requires a flag for each of
    # the three duties on every date; otherwise it must say which are left (`partly`).
    entry = next(e for e in TRACE.entries if "IC11-CONVENIENT-SERVICE" in e.rules)
    required = load_ruleset().data.rules["IC11-CONVENIENT-SERVICE"].params["required_services"]
    enforced = [{d for d, flags in DUTIES_11_3C.items() if flags & set(v.value)} for v in required.values]
    left = set(DUTIES_11_3C) - set.intersection(*enforced)
    if left:
        assert entry.partly, f"11.3c claims full coverage, but {sorted(left)} are not enforced"
        for duty in left:
            assert duty in entry.partly, f"11.3c's `partly` does not say that {duty} is left"
    else:
        assert not entry.partly


def test_sentences_of_items_4_to_20_are_numbered_from_the_heading_without_gaps() -> None:
    for item in range(4, 21):
        entries = [e for e in TRACE.entries if e.item == item]
        numbers = sorted({e.sentence for e in entries if e.sentence is not None})
        assert numbers == list(range(1, len(numbers) + 1)), item
        assert [e.sentence for e in entries if e.heading] == [1], item
        assert all(e.sentence is not None for e in entries), item
    assert {e.item for e in TRACE.entries if e.sentence is None} == {1, 2, 3}


def test_every_rule_is_named_by_at_least_one_sentence() -> None:
    assert sorted(set(KNOWN) - TRACE.rule_ids()) == []


def test_every_named_rule_exists() -> None:
    # IC11-CONVENIENT-SERVICE (item 11 sentence 3c) arrives with the rule module on main.
    assert sorted(TRACE.rule_ids() - set(KNOWN)) == []


def test_each_rule_cites_the_item_of_its_sentences() -> None:
    for e in TRACE.entries:
        for rule_id in e.rules:
            if rule_id in KNOWN:
                assert e.item == KNOWN[rule_id].CLAUSE, f"{rule_id} on {e.ref}"


def test_a_rule_stronger_or_weaker_than_its_sentence_says_why() -> None:
    for e in TRACE.entries:
        for rule_id in e.rules:
            if rule_id in STATED and {SAME_FORCE[s] for s in STATED[rule_id]} != {e.strength}:
                assert e.reading, f"{rule_id} ({STATED[rule_id]}) on {e.ref} ({e.strength}) needs a reading"


def test_markers_agree_with_strength() -> None:
    implied = {"原则上": "principle", "不得": "mandatory", "鼓励": "encouraged", "可": "permission"}
    for e in TRACE.entries:
        if e.marker in implied:
            assert e.strength == implied[e.marker], e.ref


def test_item_18_is_scored_and_item_9_claims_no_score() -> None:
    [indicators] = [e for e in TRACE.entries if e.scored]
    assert indicators.item == 18 and indicators.scored is not None
    assert indicators.scored.startswith("item 18 indicators")
    assert "scored" in NOT_ENCODED[18]
    for e in (e for e in TRACE.entries if e.item == 9):
        assert not e.rules and not e.scored, e.ref
        assert "shown in scores" not in (e.not_checkable or "")
    assert "shown in scores" not in NOT_ENCODED[9]
    assert "no rule or score uses" in NOT_ENCODED[9]


def test_not_encoded_is_exactly_the_items_with_no_rule() -> None:
    with_rules = {e.item for e in TRACE.entries if e.rules}
    assert set(NOT_ENCODED) == set(range(1, 21)) - with_rules
    assert all(reason.strip() for reason in NOT_ENCODED.values())


# --- rules matrix ----------------------------------------------------------------------------------


def test_matrix_json_parses_with_one_row_per_sentence(runner: CliRunner) -> None:
    data = json.loads(_ok(runner, "rules", "matrix", "--format", "json"))
    assert [row["ref"] for row in data["sentences"]] == [e.ref for e in TRACE.entries]
    assert [row["item"] for row in data["items"]] == list(range(1, 21))
    assert all(r["rules"] or r["scored"] or r["not_checkable"] for r in data["sentences"])
    assert all(r["rules"] or r["reason"] for r in data["items"])
    assert data["guidance"]["date"] == "2024-05-29"
    assert data["basis"] == "docs/regulatory-basis.md"
    row = next(r for r in data["sentences"] if r["ref"] == "10.4b")
    assert (row["marker"], row["strength"], row["rules"]) == ("原则上", "principle", ["IC10-KPI-WEIGHT"])
    assert row["paraphrase"]["en"] and row["paraphrase"]["zh"]


def test_matrix_markdown_has_one_table_row_per_sentence(runner: CliRunner) -> None:
    out = _ok(runner, "rules", "matrix", "--format", "markdown")
    rows = [line for line in out.splitlines() if line.startswith("| ")][1:]  # less the header row
    assert [row.split(" | ")[0].removeprefix("| ") for row in rows] == [e.ref for e in TRACE.entries]
    assert all(row.endswith(" |") and row.count(" | ") >= 7 for row in rows)


def test_matrix_text_is_the_default_and_names_every_sentence(runner: CliRunner) -> None:
    out = _ok(runner, "rules", "matrix")
    for e in TRACE.entries:
        assert re.search(rf"^  {re.escape(e.ref)} ", out, re.M), e.ref
    assert re.search(r"^item 18 — no rule; scored: item 18 indicators", out, re.M)
    assert "保险公司须把普惠业务和社会责任纳入业绩考核" in _ok(runner, "rules", "matrix", "--lang", "zh")


def test_matrix_says_when_the_ruleset_leaves_a_rule_out(runner: CliRunner, tmp_path: Path) -> None:
    text = (ROOT / "rulesets" / "nfra-2024-inclusive.yaml").read_text("utf-8")
    start, end = text.index("  IC10-KPI-WEIGHT:\n"), text.index("  IC10-INTERNAL-CONTROL:\n")
    path = tmp_path / "without-kpi.yaml"
    path.write_text(text[:start] + text[end:], "utf-8")
    data = json.loads(_ok(runner, "rules", "matrix", "--ruleset", str(path), "--format", "json"))
    row = next(r for r in data["sentences"] if r["ref"] == "10.4b")
    assert row["rules_not_in_ruleset"] == ["IC10-KPI-WEIGHT"]
    assert "IC10-KPI-WEIGHT" not in data["items"][9]["rules"]
    assert "IC10-KPI-WEIGHT (not in this ruleset)" in _ok(runner, "rules", "matrix", "--ruleset", str(path))


def test_no_printed_text_points_outside_the_repository(runner: CliRunner) -> None:
    outputs = [_ok(runner, "rules", "--help"), _ok(runner, "rules", "matrix", "--help")]
    for fmt in ("text", "json", "markdown"):
        for lang in ("en", "zh"):
            outputs.append(_ok(runner, "rules", "matrix", "--format", fmt, "--lang", lang))
    for lang in ("en", "zh"):
        outputs.append(_ok(runner, "rules", "list", "--lang", lang))
    for rule in ALL_RULES:
        outputs.append(_ok(runner, "rules", "show", rule.ID))
        outputs.append(_ok(runner, "rules", "show", rule.ID, "--format", "json"))
    for out in outputs:
        found = OUTSIDE.search(out)
        assert found is None, f"{found.group(0)!r} in: {out[max(0, found.start() - 80) : found.end() + 80]}"


# --- the documents ----------------------------------------------------------------------------------


def test_readme_and_docs_point_nowhere_outside_the_repository() -> None:
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        found = OUTSIDE.search(path.read_text("utf-8"))
        assert found is None, f"{path.name}: {found.group(0)!r}"


def test_regulatory_basis_lists_every_interpretation_parameter() -> None:
    basis = (ROOT / "docs" / "regulatory-basis.md").read_text("utf-8")
    ruleset = load_ruleset()
    interpretations = [
        (rule_id, name)
        for rule_id, entry in ruleset.data.rules.items()
        for name, p in {"in_force": entry.in_force, **entry.params}.items()
        if p.interpretation
    ]
    assert interpretations
    for rule_id, name in interpretations:
        assert f"| {rule_id} | `{name}` |" in basis, f"{rule_id}.{name} is not explained in docs/regulatory-basis.md"
    for needed in (
        "2024-05-29",
        "CBIRC Order 2021 No.1",
        "2021-03-01",
        "Art. 6",
        "Art. 8",
        "Art. 22",
        "Art. 23",
        "金融业企业划型标准规定",
        "银保监办发〔2021〕106号",
    ):
        assert needed in basis, needed


def test_traceability_ships_with_the_package() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text("utf-8")
    assert '"traceability.yaml"' in pyproject
    assert yaml.safe_load((ROOT / "src" / "inclusive_check" / "traceability.yaml").read_text("utf-8"))["entries"]
