"""CSV and XLSX: one row per finding with every column of the JSON contract, read back with csv and openpyxl."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from openpyxl import load_workbook
from report_helpers import KN_FILING, KN_SUBMISSION, SUBMISSIONS, kn_dispensations, load_results, store_run

from inclusive_check.cli import cli
from inclusive_check.contract.outputs import Results
from inclusive_check.reports.tabular import (
    DISPENSATION_COLUMNS,
    FINDING_COLUMNS,
    SCORE_COLUMNS,
    write_csv,
    write_xlsx,
)

FINDING_FIELDS = {
    "rule_id",
    "clause",
    "strength",
    "severity",
    "status",
    "subject",
    "key",
    "line",
    "column",
    "expected",
    "actual",
    "margin",
    "value",
    "threshold",
    "unit",
    "product",
    "message",
    "title",
    "parameters",
    "dispensation",
    "fingerprint",
    "evidence",
}


def _expected_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for sub in results["submissions"]:
        for f in sub["findings"]:
            assert set(f) == FINDING_FIELDS  # the contract has not grown a field the export would miss
            rows.append(
                {
                    "run_id": results["run"]["id"],
                    "ruleset_id": results["run"]["ruleset"]["id"],
                    "ruleset_version": results["run"]["ruleset"]["version"],
                    "submission_id": sub["submission_id"],
                    "insurer_code": sub["insurer"]["code"],
                    "insurer_name": sub["insurer"]["name"],
                    "kind": sub["kind"],
                    "period": sub["period"],
                    "document_key": sub["document_key"],
                    "revision": sub["revision"],
                    "source": sub["source"],
                    "sha256": sub["sha256"],
                    **{k: f[k] for k in FINDING_FIELDS - {"message", "title", "parameters", "evidence", "product"}},
                    **{f"product_{k}": (f["product"] or {}).get(k) for k in ("code", "name", "position")},
                    "title_en": f["title"]["en"],
                    "title_zh": f["title"]["zh"],
                    "message_en": f["message"]["en"],
                    "message_zh": f["message"]["zh"],
                    "expected_zh": f["evidence"]["zh"]["expected"],
                    "actual_zh": f["evidence"]["zh"]["actual"],
                    "parameters": f["parameters"],
                }
            )
    return rows


def _as_text(row: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (json.dumps(v, ensure_ascii=False, sort_keys=True) if k == "parameters" else "" if v is None else str(v))
        for k, v in row.items()
    }


def test_columns_cover_the_json_contract() -> None:
    flattened = {c for c in FINDING_COLUMNS}
    for field in FINDING_FIELDS - {"evidence", "product"}:
        assert field in flattened or {f"{field}_en", f"{field}_zh"} <= flattened
    assert {"product_code", "product_name", "product_position"} <= flattened
    assert {"expected", "actual", "expected_zh", "actual_zh"} <= flattened  # the evidence in both languages


def test_csv_read_back(store: Any, tmp_path: Path) -> None:
    run_id = store_run(store, [*SUBMISSIONS, KN_FILING])
    out = tmp_path / "findings.csv"
    result = CliRunner().invoke(
        cli, ["--db", store.url.render_as_string(hide_password=False), "report", "--format", "csv", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # spreadsheet programs read the Chinese right
    with out.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == FINDING_COLUMNS
        rows = list(reader)
    expected = [_as_text(r) for r in _expected_rows(load_results(store, run_id, locate=True).model_dump(mode="json"))]
    assert len(rows) == len(expected) > 100
    for row in rows:
        row["parameters"] = json.dumps(json.loads(row["parameters"]), ensure_ascii=False, sort_keys=True)
    assert rows == expected


def test_xlsx_read_back(store: Any, tmp_path: Path) -> None:
    run_id = store_run(store, [*SUBMISSIONS, KN_FILING])
    out = tmp_path / "findings.xlsx"
    result = CliRunner().invoke(
        cli,
        [
            "--db",
            store.url.render_as_string(hide_password=False),
            "report",
            "--format",
            "xlsx",
            "--insurer",
            "KN-HLTH-006",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    results = load_results(store, run_id, insurer="KN-HLTH-006", locate=True).model_dump(mode="json")
    book = load_workbook(out)
    assert book.sheetnames == ["findings", "scores", "dispensations", "run"]
    assert [list(r) for r in book["dispensations"].iter_rows(values_only=True)] == [list(DISPENSATION_COLUMNS)]
    sheet = book["findings"]
    header, *body = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert tuple(header) == FINDING_COLUMNS
    rows = [dict(zip(FINDING_COLUMNS, r, strict=True)) for r in body]
    for row in rows:
        row["parameters"] = json.loads(row["parameters"])
    # figures are numeric cells: the number the JSON's decimal string states
    for row in [*rows, *(expected := _expected_rows(results))]:
        for name in ("value", "threshold", "margin"):
            if row[name] is not None:
                row[name] = Decimal(str(row[name])).normalize()
    assert any(row["value"] is not None for row in rows)
    # a spreadsheet cell has no empty string: "" (e.g. no key) reads back as an empty cell
    assert rows == [{k: None if v == "" else v for k, v in r.items()} for r in expected]
    assert {r["insurer_code"] for r in rows} == {"KN-HLTH-006"}
    scores = [dict(zip(SCORE_COLUMNS, r, strict=True)) for r in list(book["scores"].iter_rows(values_only=True))[1:]]
    assert [(s["kind"], s["compliance"], s["blocking"]) for s in scores] == [
        (sub["kind"], float(sub["score"]["compliance"]), sub["score"]["blocking"]) for sub in results["submissions"]
    ]


def test_xlsx_cells_are_typed(store: Any, tmp_path: Path) -> None:
    """Numbers are numeric cells and dates date cells (read back with openpyxl); text cells stay text."""
    run_id = store_run(store, [KN_SUBMISSION, KN_FILING], dispensations=kn_dispensations())
    out = tmp_path / "typed.xlsx"
    url = store.url.render_as_string(hide_password=False)
    assert CliRunner().invoke(cli, ["--db", url, "report", "--format", "xlsx", "-o", str(out)]).exit_code == 0
    results = load_results(store, run_id).model_dump(mode="json")
    book = load_workbook(out)

    def cells(sheet: str) -> list[dict[str, Any]]:
        header, *body = list(book[sheet].iter_rows())
        return [{h.value: c for h, c in zip(header, row, strict=True)} for row in body]

    findings = [f for sub in results["submissions"] for f in sub["findings"]]
    rows = cells("findings")
    assert len(rows) == len(findings)
    figures = 0
    for row, finding in zip(rows, findings, strict=True):
        for name in ("value", "threshold", "margin"):
            if finding[name] is None:
                assert row[name].value is None
                continue
            figures += 1
            assert row[name].data_type == "n" and isinstance(row[name].value, int | float), (name, row[name].value)
            assert Decimal(str(row[name].value)) == Decimal(finding[name])
        for name in ("clause", "revision", "run_id"):
            assert row[name].data_type == "n"
        for name in ("rule_id", "subject", "expected", "actual", "message_en", "fingerprint"):
            assert row[name].value is None or row[name].data_type == "s"
    assert figures > 0
    (score, *_) = cells("scores")
    assert score["compliance"].data_type == "n" and score["variety"].data_type == "n"
    dispensations = cells("dispensations")
    assert dispensations and all(d["expires"].is_date for d in dispensations)
    assert [d["expires"].value.date().isoformat() for d in dispensations] == [
        d["expires"] for d in results["dispensations"]
    ]
    run = {r["field"].value: r["value"] for r in cells("run")}
    assert run["as_of"].is_date and run["as_of"].value.date().isoformat() == results["run"]["as_of"]
    assert run["started_at"].is_date and run["id"].data_type == "n"
    assert run["tool_version"].data_type == "s"


def test_formula_like_text_stays_text(sample_results: Results, tmp_path: Path) -> None:
    data = sample_results.model_dump(mode="json")
    finding = data["submissions"][0]["findings"][0]
    finding["actual"] = '=HYPERLINK("http://example.invalid","x")'
    finding["margin"] = "-0.02"
    results = Results.model_validate(data)
    write_csv(results, str(tmp_path / "x.csv"))
    write_xlsx(results, str(tmp_path / "x.xlsx"))
    with (tmp_path / "x.csv").open(encoding="utf-8-sig", newline="") as handle:
        first = next(csv.DictReader(handle))
    assert first["actual"] == "'" + finding["actual"]
    assert first["margin"] == "-0.02"  # a number is not a formula
    sheet = load_workbook(tmp_path / "x.xlsx")["findings"]
    cell = sheet.cell(row=2, column=FINDING_COLUMNS.index("actual") + 1)
    assert (cell.value, cell.data_type) == (finding["actual"], "s")
    margin = sheet.cell(row=2, column=FINDING_COLUMNS.index("margin") + 1)
    assert (margin.value, margin.data_type) == (-0.02, "n")  # a number, which cannot be a formula


def test_a_figure_that_is_not_a_finite_number_stays_text(sample_results: Results, tmp_path: Path) -> None:
    data = sample_results.model_dump(mode="json")
    finding = data["submissions"][0]["findings"][0]
    finding["value"], finding["threshold"] = "=1+1", "NaN"
    write_xlsx(Results.model_validate(data), str(tmp_path / "x.xlsx"))
    sheet = load_workbook(tmp_path / "x.xlsx")["findings"]
    for name, text in (("value", "=1+1"), ("threshold", "NaN")):
        cell = sheet.cell(row=2, column=FINDING_COLUMNS.index(name) + 1)
        assert (cell.value, cell.data_type) == (text, "s")


def test_waived_rows_carry_their_dispensation(store: Any, tmp_path: Path) -> None:
    run_id = store_run(store, [KN_SUBMISSION, KN_FILING], dispensations=kn_dispensations())
    url = store.url.render_as_string(hide_password=False)
    runner = CliRunner()
    csv_out, xlsx_out = tmp_path / "findings.csv", tmp_path / "findings.xlsx"
    for fmt, out in (("csv", csv_out), ("xlsx", xlsx_out)):
        result = runner.invoke(cli, ["--db", url, "report", "--format", fmt, "-o", str(out)])
        assert result.exit_code == 0, result.output
    waived = [
        ("KN-HLTH-006", "submission", "IC08-PREMIUM-RATE", "/products/0/premium_rate", "waived", "D-EDGE"),
        ("KN-HLTH-006", "submission", "IC12-FEE-RATE", "/products/1/intermediary_fee_rate", "waived", "D-PAST-EDGE"),
    ]
    keys = ("insurer_code", "kind", "rule_id", "subject", "status", "dispensation")

    with csv_out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [tuple(r[k] for k in keys) for r in rows if r["dispensation"]] == waived
    assert all(r["status"] != "waived" for r in rows if not r["dispensation"])
    # the lapsed dispensation covers the filing's fee breach but waives nothing: no id on that failing row
    (fee,) = [r for r in rows if r["kind"] == "product_filing" and r["rule_id"] == "IC12-FEE-RATE"]
    assert (fee["status"], fee["dispensation"]) == ("fail", "")

    book = load_workbook(xlsx_out)
    header, *body = [list(r) for r in book["findings"].iter_rows(values_only=True)]
    rows_x = [dict(zip(header, r, strict=True)) for r in body]
    assert [tuple(r[k] for k in keys) for r in rows_x if r["dispensation"]] == waived
    header, *body = [list(r) for r in book["dispensations"].iter_rows(values_only=True)]
    assert tuple(header) == DISPENSATION_COLUMNS
    sheet = [dict(zip(header, r, strict=True)) for r in body]
    for d in sheet:
        d["expires"] = d["expires"].date().isoformat()  # a date cell
    assert [
        (d["run_id"], d["id"], d["status"], d["covered"], d["expires"], d["expires_in_days"], d["expiring_soon"])
        for d in sheet
    ] == [
        (run_id, "D-EDGE", "applied", 1, "2026-04-15", 90, True),
        (run_id, "D-PAST-EDGE", "applied", 1, "2026-04-16", 91, False),
        (run_id, "D-UNUSED", "unused", 0, "2026-05-15", 120, False),
        (run_id, "D-LAPSED", "expired", 1, "2026-01-14", -1, False),
    ]
    assert (sheet[0]["approved_by"], sheet[0]["reference"], sheet[0]["reason"], sheet[0]["subject"]) == (
        "Supervisor D-EDGE",
        "Letter D-EDGE",
        "示例理由 D-EDGE",
        "/products/0",
    )
    assert sheet[0]["period"] is None
