"""`findings`: a table under a header, filtered by status (every status of the contract, and open) and by
severity, as text, JSON or CSV."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from click.testing import CliRunner
from report_helpers import SUBMISSIONS, store_run

from inclusive_check.cli import cli


def _findings(store: Any, *args: str) -> tuple[int, str]:
    url = store.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(cli, ["--db", url, "findings", *args])
    return result.exit_code, result.output


def test_text_has_a_header_and_a_count(store: Any) -> None:
    run = store_run(store, list(SUBMISSIONS))
    code, out = _findings(store, "--status", "open")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["insurer", "document", "status", "severity", "rule", "subject", "message"]
    assert lines[-1] == f"{len(lines) - 2} finding(s) in run {run}"
    assert all(line.split()[2] in ("fail", "indeterminate") for line in lines[1:-1])
    code, chinese = _findings(store, "--status", "open", "--lang", "zh")
    assert chinese.splitlines()[0].split()[:2] == ["机构", "文件"]


def test_every_status_of_the_contract_and_severity_filter(store: Any) -> None:
    store_run(store, list(SUBMISSIONS))
    code, out = _findings(store, "--format", "json")
    every = [f for s in json.loads(out)["submissions"] for f in s["findings"]]
    for status in ("pass", "fail", "indeterminate", "waived", "not_applicable"):
        code, out = _findings(store, "--status", status, "--format", "json")
        assert code == 0, out
        shown = [f for s in json.loads(out)["submissions"] for f in s["findings"]]
        assert len(shown) == sum(f["status"] == status for f in every)
    code, out = _findings(store, "--severity", "error", "--format", "json")
    errors = [f for s in json.loads(out)["submissions"] for f in s["findings"]]
    assert errors and len(errors) == sum(f["severity"] == "error" for f in every)
    assert {f["status"] for f in errors} >= {"fail", "indeterminate"}  # an undecided error is not hidden
    code, out = _findings(store, "--severity", "error", "--status", "open", "--format", "json")
    open_errors = [f for s in json.loads(out)["submissions"] for f in s["findings"]]
    assert len(open_errors) == sum(f["status"] in ("fail", "indeterminate") for f in errors)
    code, _ = _findings(store, "--status", "error")
    assert code == 2  # a severity is not a status: usage error, listing the choices


def test_csv_is_one_row_per_finding_with_the_contract_fields(store: Any) -> None:
    store_run(store, list(SUBMISSIONS))
    code, out = _findings(store, "--status", "fail", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and {r["status"] for r in rows} == {"fail"}
    assert {"rule_id", "severity", "fingerprint", "message_en", "message_zh"} <= set(rows[0])
