"""CSV and XLSX: one row per finding with every column of the JSON contract, read back with csv and openpyxl."""

from __future__ import annotations

import copy
import csv
import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from openpyxl import load_workbook
from report_helpers import KN_FILING, SUBMISSIONS, load_results, store_run

from inclusive_check.cli import cli
from inclusive_check.reports.tabular import FINDING_COLUMNS, SCORE_COLUMNS, write_csv, write_xlsx

FINDING_FIELDS = {"rule_id", "clause", "strength", "severity", "status", "subject", "key", "expected", "actual",
                  "margin", "message", "title", "parameters", "dispensation", "fingerprint"}


def _expected_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for sub in results["submissions"]:
        for f in sub["findings"]:
            assert set(f) == FINDING_FIELDS  # the contract has not grown a field the export would miss
            rows.append({
                "run_id": results["run"]["id"], "ruleset_id": results["run"]["ruleset"]["id"],
                "ruleset_version": results["run"]["ruleset"]["version"], "submission_id": sub["submission_id"],
                "insurer_code": sub["insurer"]["code"], "insurer_name": sub["insurer"]["name"], "kind": sub["kind"],
                "period": sub["period"], "document_key": sub["document_key"], "revision": sub["revision"],
                "source": sub["source"], "sha256": sub["sha256"],
                **{k: f[k] for k in FINDING_FIELDS - {"message", "title", "parameters"}},
                "title_en": f["title"]["en"], "title_zh": f["title"]["zh"],
                "message_en": f["message"]["en"], "message_zh": f["message"]["zh"],
                "parameters": f["parameters"],
            })
    return rows


def _as_text(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (json.dumps(v, ensure_ascii=False, sort_keys=True) if k == "parameters" else
                "" if v is None else str(v)) for k, v in row.items()}


def test_columns_cover_the_json_contract() -> None:
    flattened = {c for c in FINDING_COLUMNS}
    for field in FINDING_FIELDS:
        assert field in flattened or {f"{field}_en", f"{field}_zh"} <= flattened


def test_csv_read_back(store: Any, tmp_path: Path) -> None:
    run_id = store_run(store, [*SUBMISSIONS, KN_FILING])
    out = tmp_path / "findings.csv"
    result = CliRunner().invoke(cli, ["--db", store.url.render_as_string(hide_password=False), "report",
                                      "--format", "csv", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # spreadsheet programs read the Chinese right
    with out.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == FINDING_COLUMNS
        rows = list(reader)
    expected = [_as_text(r) for r in _expected_rows(load_results(store, run_id))]
    assert len(rows) == len(expected) > 100
    for row in rows:
        row["parameters"] = json.dumps(json.loads(row["parameters"]), ensure_ascii=False, sort_keys=True)
    assert rows == expected


def test_xlsx_read_back(store: Any, tmp_path: Path) -> None:
    run_id = store_run(store, [*SUBMISSIONS, KN_FILING])
    out = tmp_path / "findings.xlsx"
    result = CliRunner().invoke(cli, ["--db", store.url.render_as_string(hide_password=False), "report",
                                      "--format", "xlsx", "--insurer", "KN-HLTH-006", "-o", str(out)])
    assert result.exit_code == 0, result.output
    results = load_results(store, run_id, insurer="KN-HLTH-006")
    book = load_workbook(out)
    assert book.sheetnames == ["findings", "scores", "run"]
    sheet = book["findings"]
    header, *body = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert tuple(header) == FINDING_COLUMNS
    rows = [dict(zip(FINDING_COLUMNS, r, strict=True)) for r in body]
    for row in rows:
        row["parameters"] = json.loads(row["parameters"])
    # a spreadsheet cell has no empty string: "" (e.g. no key) reads back as an empty cell
    assert rows == [{k: None if v == "" else v for k, v in r.items()} for r in _expected_rows(results)]
    assert {r["insurer_code"] for r in rows} == {"KN-HLTH-006"}
    scores = [dict(zip(SCORE_COLUMNS, r, strict=True)) for r in list(book["scores"].iter_rows(values_only=True))[1:]]
    assert [(s["kind"], s["compliance"], s["blocking"]) for s in scores] == [
        (sub["kind"], sub["score"]["compliance"], sub["score"]["blocking"]) for sub in results["submissions"]]


def test_formula_like_text_stays_text(sample_results: dict[str, Any], tmp_path: Path) -> None:
    results = copy.deepcopy(sample_results)
    finding = results["submissions"][0]["findings"][0]
    finding["actual"] = '=HYPERLINK("http://example.invalid","x")'
    finding["margin"] = "-0.02"
    write_csv(results, str(tmp_path / "x.csv"))
    write_xlsx(results, str(tmp_path / "x.xlsx"))
    with (tmp_path / "x.csv").open(encoding="utf-8-sig", newline="") as handle:
        first = next(csv.DictReader(handle))
    assert first["actual"] == "'" + finding["actual"]
    assert first["margin"] == "-0.02"  # a number is not a formula
    cell = load_workbook(tmp_path / "x.xlsx")["findings"].cell(row=2, column=FINDING_COLUMNS.index("actual") + 1)
    assert (cell.value, cell.data_type) == (finding["actual"], "s")
