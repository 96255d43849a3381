"""The faces on the catalogue speak one language: with --lang zh no English word is left outside identifiers,
JSON Pointers, codes, file paths, units and quoted data; with --lang en no Chinese where none is expected.

Faces: `validate` on every invalid sample and on valid ones, `check` on invalid input, the bounded reader's refusals
(a FIFO, a file over the limit, a missing file), usage errors, and `rules list|show|matrix`.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from inclusive_check.cli import cli

ROOT = Path(__file__).resolve().parents[2]
INVALID = sorted((ROOT / "samples" / "invalid").iterdir())
VALID = [ROOT / "samples" / "submissions" / "hx-life-2025.json", ROOT / "samples" / "filings"]
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
# Quoted data (values from a file: 'x', "x"; the ruleset's own text: 「x」) and commands in backticks.
QUOTED = re.compile(r"「[^」]*」|`[^`]*`|'[^'\n]*'|\"[^\"\n]*\"")
TOKEN = re.compile(r"[!-~]+")  # a run of printable ASCII
# Names, formats and units a Chinese sentence names as they are.
PROPER = {"JSON", "Schema", "YAML", "UTF", "BOM", "FIFO", "NaN", "Infinity", "null", "true", "false", "MiB", "KiB"}


def _identifiers() -> set[str]:
    """Field names of the published schemas and the ruleset's parameter and policy names."""
    from inclusive_check.contract.load import KINDS
    from inclusive_check.overlay import load_any

    names = {"in_force", "strength", "severity", "deactivated", "kind", *KINDS}
    ruleset = load_any(None)
    for rule in ruleset.rules():
        names |= set(ruleset.entry(rule.ID).params)
    for path in (ROOT / "src" / "inclusive_check" / "contract" / "schemas").glob("*.json"):
        names |= set(re.findall(r'"([a-z][a-z0-9_]*)": \{', path.read_text("utf-8")))
    return names


IDENTIFIERS = _identifiers()


def english_words(text: str) -> list[str]:
    """The words of ``text`` that are English prose: not an identifier, pointer, path, code, option or unit."""
    words = []
    for token in TOKEN.findall(QUOTED.sub(" ", text)):
        word = token.strip("()[],;:!?")
        if not re.search("[A-Za-z]", word) or re.search(r"[0-9_/\-.*%$^|=@<>\\]", word.rstrip(".")):
            continue  # a number, pointer, path, option, code or pattern
        if word.isupper() or word in IDENTIFIERS or word in PROPER:
            continue
        words.append(word)
    return words


def _run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(cli, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout + result.stderr


def _faces(lang: str, tmp_path: Path) -> dict[str, tuple[int, str]]:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (2 * 2**20 + 1))
    out = {
        "validate invalid": _run(["validate", "--lang", lang, *map(str, INVALID)]),
        "validate invalid json": _run(["validate", "--lang", lang, "--format", "json", *map(str, INVALID)]),
        "validate valid": _run(["validate", "--lang", lang, *map(str, VALID)]),
        "check invalid": _run(["check", "--lang", lang, str(ROOT / "samples" / "invalid" / "unknown-field.json")]),
        "fifo": _run(["validate", "--lang", lang, str(fifo)]),
        "too big": _run(["validate", "--lang", lang, "--max-file-mib", "1", str(big)]),
        "unknown rule": _run(["rules", "show", "IC12", "--lang", lang]),
        "unknown rule, no guess": _run(["rules", "show", "ZZ", "--lang", lang]),
        "rules list": _run(["rules", "list", "--lang", lang]),
        "rules show": _run(["rules", "show", "IC08-PREMIUM-RATE", "--lang", lang, "--as-of", "2025-06-01"]),
        "rules show overlay": _run(["rules", "show", "IC19-SOLVENCY-GATE", "--lang", lang]),
    }
    (tmp_path / "nothing").mkdir()
    out["empty folder"] = _run(["validate", "--lang", lang, str(tmp_path / "nothing")])
    return out


def test_the_checker_finds_english_and_passes_identifiers_pointers_and_codes() -> None:
    assert english_words("/tmp/x.json:1:2: /product: missing required property premium_rate") == [
        "missing",
        "required",
        "property",
    ]
    assert (
        english_words("/a/b.json:3:4: /product/line: 'motor' 不在允许的取值 'health'、term 之中 --max-file-mib 1 MiB")
        == []
    )
    assert english_words("出处：「Guidance item 8」；IC08-PREMIUM-RATE 第（八）项 `inclusive-check rules list`") == []


def test_every_face_in_chinese_has_no_english_word(tmp_path: Path) -> None:
    faces = _faces("zh", tmp_path)
    left = {name: english_words(text) for name, (_, text) in faces.items()}
    assert {name: words for name, words in left.items() if words} == {}
    assert all(CJK.search(text) for _, text in faces.values())  # and each says something in Chinese
    assert faces["validate invalid"][0] == 3 and faces["rules list"][0] == 0 and faces["unknown rule"][0] == 2
    problems = [p for f in json.loads(faces["validate invalid json"][1])["files"] for p in f["problems"]]
    assert len(problems) == len(INVALID) and all(CJK.search(p["message"]) for p in problems)


def test_matrix_in_chinese_has_no_english_word() -> None:
    code, text = _run(["rules", "matrix", "--lang", "zh"])
    assert code == 0 and english_words(text) == []
    assert "第（十八）项" in text


def test_the_same_faces_in_english_have_no_chinese(tmp_path: Path) -> None:
    faces = _faces("en", tmp_path)
    show = {name for name in faces if name.startswith("rules show")}
    for name, (_, text) in faces.items():
        lines = text.splitlines()
        if name in show:  # the Chinese title, the rule's own documentation and the ruleset's citations quote Chinese
            lines = [line for line in lines[:1] + lines[3:4] if not line.startswith("  authority on")]
            lines += [line for line in text.splitlines() if line.startswith(("Parameters", "      from"))]
        assert [line for line in lines if CJK.search(line)] == [], name


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_usage_error_says_error_in_the_language(lang: str) -> None:
    code, text = _run(["rules", "show", "ZZ", "--lang", lang])
    assert code == 2
    assert text.startswith("Error: unknown rule 'ZZ'" if lang == "en" else "错误：未知规则 'ZZ'")
