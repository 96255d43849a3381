"""The exported schemas work in an independent JSON Schema tool: check-jsonschema.

The schema is exported through `inclusive-check schema KIND`, then check-jsonschema (run as
``python -m check_jsonschema`` from this interpreter) validates the samples and the generated
mutations, and must reach the same verdict as inclusive-check.
"""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from contract_helpers import FILINGS, SAMPLES, SUBMISSIONS
from test_schema_model_agreement import CASES, Case, get, model_accepts

from inclusive_check.cli import cli
from inclusive_check.contract.load import load_file

COUNT_FIELDS = frozenset({"policies_in_force", "insured_persons", "claims_settled", "complaints", "mass_incidents"})


def export_schema(kind: str, folder: Path) -> Path:
    result = CliRunner().invoke(cli, ["schema", kind])
    assert result.exit_code == 0
    path = folder / f"{kind}.schema.json"
    path.write_text(result.output, "utf-8")
    return path


def check_jsonschema(schema: Path, *files: Path, output: str = "text") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--color",
            "never",
            "-o",
            output,
            "--schemafile",
            str(schema),
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def schemas(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("schemas")
    return {kind: export_schema(kind, folder) for kind in ("submission", "product_filing")}


def test_check_jsonschema_accepts_valid_submissions(schemas: dict[str, Path]) -> None:
    run = check_jsonschema(schemas["submission"], *SUBMISSIONS)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "ok -- validation done" in run.stdout


def test_check_jsonschema_accepts_valid_filings(schemas: dict[str, Path]) -> None:
    run = check_jsonschema(schemas["product_filing"], *FILINGS)  # includes the hand-written YAML filing
    assert run.returncode == 0, run.stdout + run.stderr
    assert "ok -- validation done" in run.stdout


@pytest.mark.parametrize(
    ("kind", "name", "where"),
    [
        ("product_filing", "rate-above-one.json", "$.product.premium_rate"),
        ("product_filing", "unknown-enum-line.json", "$.product.line"),
        ("product_filing", "impossible-date.json", "$.product.sale_start"),
        ("product_filing", "invalid-filing.yaml", "$.product.channels[1]"),
        ("submission", "impossible-quarter.json", "$.solvency[3].quarter"),
        ("submission", "negative-complaint-count.json", "$.consumer_protection.complaints"),
    ],
)
def test_check_jsonschema_rejects_invalid_samples(schemas: dict[str, Path], kind: str, name: str, where: str) -> None:
    run = check_jsonschema(schemas[kind], SAMPLES / "invalid" / name, output="json")
    assert run.returncode == 1
    report = json.loads(run.stdout)
    assert [e["path"] for e in report["errors"]] == [where]
    assert report["parse_errors"] == []


def test_check_jsonschema_also_rejects_a_trailing_newline_in_a_pattern(
    schemas: dict[str, Path], tmp_path: Path
) -> None:
    """ECMA-262 '$' (the JSON Schema dialect) does not match before a final newline: same verdict as ours."""
    data = json.loads((SAMPLES / "submissions" / "hx-life-2025.json").read_text("utf-8"))
    data["reporting_period"] = "2025\n"
    path = tmp_path / "period-newline.json"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    run = check_jsonschema(schemas["submission"], path, output="json")
    assert run.returncode == 1
    assert [e["path"] for e in json.loads(run.stdout)["errors"]] == ["$.reporting_period"]
    loaded = load_file(path)
    assert [p.pointer for p in loaded.problems] == ["/reporting_period"]


def test_whole_number_written_with_a_fraction_gets_one_verdict(schemas: dict[str, Path], tmp_path: Path) -> None:
    text = (SAMPLES / "submissions" / "al-prop-2025.json").read_text("utf-8")
    assert text.count('"complaints": 37,') == 1
    path = tmp_path / "complaints-37.0.json"
    path.write_text(text.replace('"complaints": 37,', '"complaints": 37.0,'), "utf-8")
    independent = check_jsonschema(schemas["submission"], path).returncode == 0
    ours = load_file(path).ok
    assert independent == ours


def dump(value: Any) -> str:
    """JSON text that keeps every Decimal digit as written."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)}: {dump(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(dump(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def whole_number_with_fraction(case: Case, reparsed: Any) -> bool:
    """The known disagreement: an integral value written 37.0 or 1E+3 in a count field."""
    if case.op in ("drop", "unknown", "array") or not case.path or case.path[-1] not in COUNT_FIELDS:
        return False
    value = get(reparsed, case.path)
    return isinstance(value, Decimal) and value == value.to_integral_value() and 0 <= value <= 10**10


@pytest.mark.parametrize("kind", ["submission", "product_filing"])
def test_check_jsonschema_agrees_on_generated_mutations(schemas: dict[str, Path], tmp_path: Path, kind: str) -> None:
    """Same verdict as inclusive-check on every generated mutation, except the one known class."""
    files: dict[Path, tuple[Case, bool, bool]] = {}
    for case in (c for c in CASES if c.kind == kind):
        path = tmp_path / f"{case.sample.stem}-{case.index:02d}.json"
        text = dump(case.data)
        path.write_text(text, "utf-8")
        reparsed = json.loads(text, parse_float=Decimal)
        files[path] = (case, model_accepts(kind, reparsed), whole_number_with_fraction(case, reparsed))
    assert len(files) >= 100
    run = check_jsonschema(schemas[kind], *files, output="json")
    report = json.loads(run.stdout)
    assert report["parse_errors"] == []
    rejected = {Path(e["filename"]) for e in report["errors"]}
    mismatched = {path.name for path, (_, ours, _) in files.items() if (path not in rejected) != ours}
    expected = {path.name for path, (_, ours, known) in files.items() if known and not ours}
    assert mismatched == expected
    assert run.returncode == (1 if rejected else 0)
    # the comparison is not vacuous: both verdicts occur
    assert 0 < len(rejected) < len(files)


@pytest.mark.parametrize(
    ("name", "old", "new", "valid"),
    [
        ("rate-19-digits", '"premium_rate": 0.0012', '"premium_rate": 0.0500000000000000001', True),
        (
            "rate-40-places",
            '"premium_rate": 0.0012',
            '"premium_rate": 0.0000000000000000000000000000000000000001',
            True,
        ),
        ("nul-in-name", '"name": "华夏人寿保险股份有限公司（示例）"', '"name": "华夏\\u0000人寿"', False),
    ],
)
def test_precision_and_nul_get_one_verdict(
    schemas: dict[str, Path], tmp_path: Path, name: str, old: str, new: str, valid: bool
) -> None:
    text = (SAMPLES / "submissions" / "hx-life-2025.json").read_text("utf-8")
    assert text.count(old) >= 1, old
    path = tmp_path / f"{name}.json"
    path.write_text(text.replace(old, new, 1), "utf-8")
    assert (check_jsonschema(schemas["submission"], path).returncode == 0) is valid
    assert load_file(path).ok is valid
