"""JUnit, SARIF and GitHub annotations, read back by real consumers: the OASIS schema, junitparser,
xml.etree and the workflow-command grammar."""

from __future__ import annotations

import copy
import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import jsonschema
import pytest
from click.testing import CliRunner
from junitparser import Error, Failure, JUnitXml, Properties, Skipped
from report_helpers import (
    AL_FILING_YAML,
    AS_OF,
    KN_FILING,
    KN_SUBMISSION,
    ROOT,
    SAMPLES,
    SUBMISSIONS,
    load_results,
    store_run,
)

from inclusive_check import rules as registry
from inclusive_check.cli import cli
from inclusive_check.cli_common import RESULT_FORMATS
from inclusive_check.contract.locate import map_json, map_yaml
from inclusive_check.contract.outputs import Results
from inclusive_check.reports import RESULT_FORMATS as REPORT_RESULT_FORMATS
from inclusive_check.reports import github, junit, sarif
from inclusive_check.reports.common import display_path

OPEN = ("fail", "indeterminate")
ANNOTATION = re.compile(r"^::(?P<cmd>error|warning|notice) (?P<props>[^:]*)::(?P<message>.*)$")


def _validate_sarif(log: dict[str, Any], schema: dict[str, Any]) -> None:
    validator_class = jsonschema.validators.validator_for(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert errors == [], [f"{list(e.absolute_path)}: {e.message}" for e in errors[:10]]


def _position(path: Path, pointer: str) -> tuple[int, int] | None:
    text = path.read_text(encoding="utf-8")
    source_map = map_yaml(text) if path.suffix in (".yaml", ".yml") else map_json(text)
    return source_map.find(pointer)


def _unescape(text: str) -> str:
    return text.replace("%0A", "\n").replace("%0D", "\r").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")


def test_cli_and_reports_list_the_same_formats() -> None:
    assert RESULT_FORMATS == REPORT_RESULT_FORMATS == ("text", "json", "junit", "sarif", "github")


# --- SARIF --------------------------------------------------------------------------------------------


def test_sarif_is_valid_against_the_oasis_schema(sample_results: Any, sarif_schema: dict[str, Any]) -> None:
    log = json.loads(sarif.render(sample_results, "en"))
    _validate_sarif(log, sarif_schema)
    assert log["version"] == "2.1.0"
    assert len(log["runs"]) == 1


def test_sarif_rules_carry_help_and_guidance_item(sample_results: Any) -> None:
    run = sarif.sarif_log(sample_results)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    # the rules the run stored texts for (every rule of the ruleset), by ID
    assert [r["id"] for r in rules] == sorted(r.ID for r in registry.ALL_RULES)
    # strength is ruleset data: a descriptor states the one its rule's findings were filed under
    strengths: dict[str, str] = {}
    for sub in sample_results.model_dump(mode="json")["submissions"]:
        for finding in sub["findings"]:
            strengths.setdefault(finding["rule_id"], finding["strength"])
    assert strengths
    for descriptor in rules:
        rule = registry.get(descriptor["id"])
        assert descriptor["shortDescription"]["text"] == rule.TITLE["en"]
        assert f"Guidance item {rule.CLAUSE} of" in descriptor["help"]["text"]
        assert rule.TITLE["zh"] in descriptor["help"]["text"]
        assert descriptor["properties"]["guidance_item"] == rule.CLAUSE
        assert descriptor["properties"].get("strength") == strengths.get(rule.ID)
        assert descriptor["relationships"] == [
            {"target": {"id": str(rule.CLAUSE), "toolComponent": {"name": sarif.TAXONOMY}}, "kinds": ["relevant"]}
        ]
    assert {t["id"] for t in run["taxonomies"][0]["taxa"]} == {str(r.CLAUSE) for r in registry.ALL_RULES}


def test_sarif_has_one_located_result_per_open_finding(sample_data: dict[str, Any], sample_results: Any) -> None:
    run = sarif.sarif_log(sample_results)["runs"][0]
    expected = []
    for sub in sample_data["submissions"]:
        for f in sub["findings"]:
            if f["status"] in (*OPEN, "not_covered"):
                position = _position(Path(sub["source"]), f["subject"])
                assert position is not None
                level = {"error": "error", "warning": "warning", "info": "note"}[f["severity"]]
                expected.append(
                    {
                        "ruleId": f["rule_id"],
                        "kind": "open" if f["status"] == "indeterminate" else "fail",
                        "level": "none"
                        if f["status"] == "indeterminate"
                        else "note"
                        if f["status"] == "not_covered"
                        else level,
                        "message": f["message"]["en"],
                        "uri": display_path(sub["source"]),
                        "region": {"startLine": position[0], "startColumn": position[1]},
                        "fingerprint": f["fingerprint"],
                        "severity": f["severity"],
                    }
                )
    got = [
        {
            "ruleId": r["ruleId"],
            "kind": r["kind"],
            "level": r["level"],
            "message": r["message"]["text"],
            "uri": r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "region": r["locations"][0]["physicalLocation"]["region"],
            "fingerprint": r["partialFingerprints"][sarif.FINGERPRINT_KEY],
            "severity": r["properties"]["severity"],
        }
        for r in run["results"]
    ]
    assert got == expected
    summary = sample_data["summary"]
    assert summary["status"]["not_covered"] > 0  # the samples have items not covered: notes, never failures
    assert len(got) == sum(summary["open_by_severity"].values()) + summary["status"]["not_covered"]
    for r in run["results"]:
        assert run["tool"]["driver"]["rules"][r["ruleIndex"]]["id"] == r["ruleId"]
        location = r["locations"][0]["physicalLocation"]["artifactLocation"]
        assert location["uriBaseId"] == "SRCROOT"
        assert run["artifacts"][location["index"]]["location"]["uri"] == location["uri"]
        # the declared base and the relative URI lead back to the file that was checked (§3.14.14)
        resolved = urljoin(run["originalUriBaseIds"]["SRCROOT"]["uri"], location["uri"])
        assert resolved in {Path(sub["source"]).resolve().as_uri() for sub in sample_data["submissions"]}


def test_sarif_points_at_the_breach_in_the_filing(sample_results: Any) -> None:
    run = sarif.sarif_log(sample_results, "zh")["runs"][0]
    filing = [
        r
        for r in run["results"]
        if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("kn-health-fee-breach.json")
    ]
    assert len(filing) == 1
    result = filing[0]
    assert result["ruleId"] == "IC12-FEE-RATE"
    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 18, "startColumn": 30}
    assert result["locations"][0]["logicalLocations"] == [
        {"fullyQualifiedName": "/product/intermediary_fee_rate", "kind": "element"}
    ]
    assert result["message"]["text"].startswith(
        "/product/intermediary_fee_rate：中介费用率原则上应低于可比产品，实际为14%"
    )
    assert result["properties"]["expected"] == "intermediary_fee_rate < 12% (KNH-CI-STD-09)"
    assert result["properties"]["actual"] == "14%"
    assert result["properties"]["margin"] == "-0.02"


def test_sarif_locates_subjects_in_yaml_filings(sarif_schema: dict[str, Any]) -> None:
    from inclusive_check.check import check_paths
    from inclusive_check.ruleset import load_ruleset

    outcome = check_paths([AL_FILING_YAML], load_ruleset(None), AS_OF)
    assert outcome.results is not None
    log = sarif.sarif_log(outcome.results)
    _validate_sarif(log, sarif_schema)
    sub = outcome.results.model_dump(mode="json")["submissions"][0]
    open_findings = [f for f in sub["findings"] if f["status"] in OPEN]
    results = log["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == [f["rule_id"] for f in open_findings]
    for r, f in zip(results, open_findings, strict=True):
        line, column = _position(AL_FILING_YAML, f["subject"]) or (0, 0)
        assert r["locations"][0]["physicalLocation"]["region"] == {"startLine": line, "startColumn": column}


def test_sarif_waived_findings_are_suppressed_and_passes_left_out(
    sample_data: dict[str, Any], sarif_schema: dict[str, Any]
) -> None:
    data = copy.deepcopy(sample_data)
    target = next(
        f
        for s in data["submissions"]
        for f in s["findings"]
        if f["rule_id"] == "IC08-PREMIUM-RATE" and f["status"] == "fail"
    )
    target.update(status="waived", dispensation="D-2025-007")
    log = sarif.sarif_log(Results.model_validate(data))
    _validate_sarif(log, sarif_schema)
    waived = [r for r in log["runs"][0]["results"] if r["properties"]["status"] == "waived"]
    assert len(waived) == 1
    assert waived[0]["kind"] == "fail"
    assert waived[0]["suppressions"] == [
        {"kind": "external", "status": "accepted", "justification": "dispensation D-2025-007"}
    ]
    statuses = ("fail", "indeterminate", "waived", "not_covered")
    assert all(r["properties"]["status"] in statuses for r in log["runs"][0]["results"])


def _stored_texts(conn: Any, results: Results) -> dict[str, str]:
    """SHA-256 -> stored raw text of every document in ``results`` (for locating subjects of a stored run)."""
    from sqlalchemy import select

    from inclusive_check.store import tables as t

    ids = [sub.submission_id for sub in results.submissions]
    texts: dict[str, str] = {}
    for start in range(0, len(ids), 500):
        s, d = t.submissions.c, t.documents.c
        query = (
            select(s.sha256, d.raw).join(t.documents, d.submission_id == s.id).where(s.id.in_(ids[start : start + 500]))
        )
        texts.update({row.sha256: row.raw for row in conn.execute(query)})
    return texts


def test_sarif_of_a_stored_run_locates_from_the_stored_text(
    store: Any, tmp_path: Path, sarif_schema: dict[str, Any]
) -> None:
    copy_path = tmp_path / "kn.json"
    shutil.copyfile(KN_SUBMISSION, copy_path)
    run_id = store_run(store, [copy_path])
    results = load_results(store, run_id)
    copy_path.write_text("{}", encoding="utf-8")  # the file changed after it was checked
    without = sarif.sarif_log(results)["runs"][0]["results"]
    assert without and all("region" not in r["locations"][0]["physicalLocation"] for r in without)
    with store.connect() as conn:
        texts = _stored_texts(conn, results)
    log = sarif.sarif_log(results, texts=texts)
    _validate_sarif(log, sarif_schema)
    regions = [
        (r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in log["runs"][0]["results"]
    ]
    assert regions == [
        ("IC08-PREMIUM-RATE", 41),
        ("IC08-PREMIUM-RATE", 83),
        ("IC12-FEE-RATE", 63),
        ("IC10-LEAD-DEPARTMENT", 22),
        ("IC10-REGULAR-REVIEWS", 23),
        ("IC06-SMALL-BUSINESS", 29),
    ]
    uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == copy_path.as_uri()


# --- JUnit --------------------------------------------------------------------------------------------


RANK = {"info": 0, "warning": 1, "error": 2}


@pytest.mark.parametrize("fail_on", ["error", "warning", "info"])
def test_junit_read_back_with_junitparser(sample_data: dict[str, Any], sample_results: Any, fail_on: str) -> None:
    """Findings at or above --fail-on fail; below it they are passed cases that keep the finding (properties and
    system-out), so a build that passes is not red in a JUnit reporter."""
    xml = JUnitXml.fromstring(junit.render(sample_results, "en", fail_on=fail_on))
    suites = list(xml)
    assert len(suites) == len(sample_data["submissions"])
    below = 0
    for suite, sub in zip(suites, sample_data["submissions"], strict=True):
        cases = list(suite)
        failing = [f for f in sub["findings"] if f["status"] in OPEN and RANK[f["severity"]] >= RANK[fail_on]]
        assert len(cases) == len(sub["findings"])
        assert suite.tests == len(sub["findings"])
        assert suite.failures == sum(f["status"] == "fail" for f in failing)
        assert suite.errors == sum(f["status"] == "indeterminate" for f in failing)
        assert suite.skipped == sum(f["status"] in ("waived", "not_applicable") for f in sub["findings"])
        for case, f in zip(cases, sub["findings"], strict=True):
            name = f"{f['rule_id']} {f['subject'] or '/'}" + (f" [{f['key']}]" if f["key"] else "")
            assert case.name == name
            assert case.classname == f"{sub['insurer']['code']}.{sub['kind']}.{sub['document_key']}"
            if f["status"] == "pass":
                assert case.is_passed and not case.system_out
                continue
            if (f["status"] in OPEN and f not in failing) or f["status"] == "not_covered":
                below += f["status"] in OPEN
                assert case.is_passed  # an item not covered passes whatever --fail-on says
                out = case.system_out or ""
                assert out.splitlines()[0] == f["message"]["en"]
                assert f"actual: {f['actual']}" in out.splitlines()
                props = {p.name: p.value for p in case.child(Properties)}
                assert props == {
                    "status": f["status"],
                    "severity": f["severity"],
                    "strength": f["strength"],
                    "fingerprint": f["fingerprint"],
                }
                continue
            (outcome,) = case.result
            expected_type = {"fail": Failure, "indeterminate": Error, "waived": Skipped, "not_applicable": Skipped}
            assert isinstance(outcome, expected_type[f["status"]])
            assert outcome.message == f["message"]["en"]
            if f["status"] in OPEN:
                body = outcome.text or ""
                assert f"expected: {f['expected']}" in body.splitlines()
                assert f"actual: {f['actual']}" in body.splitlines()
                assert f"citation: Guidance item {f['clause']} (2024 NFRA inclusive-insurance guidance)" in body
                assert f"fingerprint: {f['fingerprint']}" in body.splitlines()
    # the samples have open findings on both sides of the error threshold; their open findings are errors and
    # warnings (the encouraged items they miss are not covered, never open)
    assert (below > 0) == (fail_on == "error")
    assert xml.failures + xml.errors == sum(
        f["status"] in OPEN and RANK[f["severity"]] >= RANK[fail_on]
        for s in sample_data["submissions"]
        for f in s["findings"]
    )


def test_junit_read_back_with_elementtree(sample_data: dict[str, Any], sample_results: Any) -> None:
    root = ET.fromstring(junit.render(sample_results, "zh", fail_on="info").encode("utf-8"))
    assert root.tag == "testsuites"
    findings = [f for s in sample_data["submissions"] for f in s["findings"]]
    assert int(root.get("tests", "")) == len(findings) == len(root.findall("./testsuite/testcase"))
    assert int(root.get("failures", "")) == sum(f["status"] == "fail" for f in findings)
    assert int(root.get("errors", "")) == sum(f["status"] == "indeterminate" for f in findings)
    failure = root.find("./testsuite/testcase[@name='IC12-FEE-RATE /product/intermediary_fee_rate']/failure")
    assert failure is not None
    assert failure.get("type") == "error"
    assert failure.get("message", "").startswith(
        "/product/intermediary_fee_rate：中介费用率原则上应低于可比产品，实际为14%"
    )
    case = root.find("./testsuite/testcase[@name='IC12-FEE-RATE /product/intermediary_fee_rate']")
    assert case is not None and case.get("file") == display_path(str(KN_FILING))
    assert case.get("line") == "18"
    assert "要求: 中介费用率 < 12% (KNH-CI-STD-09)" in (failure.text or "")


# --- GitHub annotations ---------------------------------------------------------------------------------


def test_github_annotations_parse_and_cover_open_findings_only(
    sample_data: dict[str, Any], sample_results: Any
) -> None:
    lines = github.render(sample_results, "en").splitlines()
    annotations = [ANNOTATION.match(line) for line in lines[:-1]]
    assert all(annotations), [line for line, m in zip(lines, annotations, strict=False) if not m]
    expected = []
    for sub in sample_data["submissions"]:
        for f in sub["findings"]:
            if f["status"] in (*OPEN, "not_covered"):
                line, col = _position(Path(sub["source"]), f["subject"]) or (0, 0)
                cmd = {"error": "error", "warning": "warning", "info": "notice"}[f["severity"]]
                cmd = "notice" if f["status"] == "not_covered" else cmd
                expected.append(
                    (cmd, display_path(sub["source"]), str(line), str(col), f["rule_id"], f["message"]["en"])
                )
    got = []
    for m in annotations:
        assert m is not None
        props = dict(p.split("=", 1) for p in m["props"].split(","))
        assert list(props) == ["file", "line", "col", "title"]
        message = _unescape(m["message"])
        got.append(
            (
                m["cmd"],
                props["file"],
                props["line"],
                props["col"],
                _unescape(props["title"]).split(" ")[0],
                message.split("\n")[0],
            )
        )
        assert "\nexpected: " in message and "\nactual: " in message
    assert got == expected
    open_by_severity = sample_data["summary"]["open_by_severity"]
    assert lines[-1] == (
        f"inclusive-check: {len(sample_data['submissions'])} document(s), open findings: "
        + ", ".join(f"{open_by_severity[s]} {s}" for s in ("error", "warning", "info") if open_by_severity.get(s))
        + f"; not covered: {sample_data['summary']['status'].get('not_covered', 0)}"
    )


def test_github_escapes_what_the_runner_would_misread() -> None:
    assert github.escape_data("50% off\r\nnext") == "50%25 off%0D%0Anext"
    assert github.escape_property("a:b,c%") == "a%3Ab%2Cc%25"


# --- the CLI: several outputs in one call, invalid input, stored runs --------------------------------------


def test_display_paths_are_relative_to_the_working_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert display_path(str(KN_FILING)) == "samples/filings/kn-health-fee-breach.json"
    assert display_path("samples/x.json") == "samples/x.json"
    assert display_path("/elsewhere/x.json") == "/elsewhere/x.json"


def test_check_writes_several_outputs_in_one_call(
    cli_runner: CliRunner, tmp_path: Path, sarif_schema: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    out = tmp_path / "reports"
    args = [
        "check",
        "--as-of",
        AS_OF.isoformat(),
        "--format",
        "sarif",
        "--insurer",
        str(KN_SUBMISSION),
        "--output",
        f"junit={out / 'junit.xml'}",
        "--output",
        f"github={out / 'annotations.txt'}",
        "--output",
        f"sarif={out / 'out.sarif'}",
        "--output",
        f"json={out / 'results.json'}",
        str(KN_FILING),
    ]
    result = cli_runner.invoke(cli, args)
    assert result.exit_code == 1, result.output
    stdout_log = json.loads(result.output)
    _validate_sarif(stdout_log, sarif_schema)
    assert json.loads((out / "out.sarif").read_text(encoding="utf-8")) == stdout_log
    xml = JUnitXml.fromfile(str(out / "junit.xml"))
    assert [(s.tests, s.failures) for s in xml] == [(8, 1)]  # item 19's not-applicable quarters from 2026-Q1 count
    (annotation, summary) = (out / "annotations.txt").read_text(encoding="utf-8").splitlines()
    assert ANNOTATION.match(annotation) is not None
    assert annotation.startswith(
        "::error file=samples/filings/kn-health-fee-breach.json,line=18,col=30,title=IC12-FEE-RATE (guidance item 12)"
    )
    assert summary == "inclusive-check: 1 document(s), open findings: 1 error; not covered: 0"
    stored = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert [f["fingerprint"] for f in stored["submissions"][0]["findings"] if f["status"] == "fail"] == [
        stdout_log["runs"][0]["results"][0]["partialFingerprints"][sarif.FINGERPRINT_KEY]
    ]


def test_output_option_rejects_unknown_formats(cli_runner: CliRunner, tmp_path: Path) -> None:
    result = cli_runner.invoke(cli, ["check", "--output", f"pdf={tmp_path / 'x.pdf'}", str(KN_FILING)])
    assert result.exit_code == 2
    assert "expected FORMAT=PATH with FORMAT one of text, json, junit, sarif, github" in result.output
    result = cli_runner.invoke(cli, ["check", "--output", "sarif", str(KN_FILING)])
    assert result.exit_code == 2


def test_invalid_input_is_reported_in_the_ci_formats(
    cli_runner: CliRunner, tmp_path: Path, sarif_schema: dict[str, Any]
) -> None:
    bad = SAMPLES / "invalid" / "duplicate-key.json"
    result = cli_runner.invoke(
        cli,
        [
            "check",
            "--format",
            "github",
            "--output",
            f"sarif={tmp_path / 'x.sarif'}",
            "--output",
            f"junit={tmp_path / 'x.xml'}",
            str(bad),
        ],
    )
    assert result.exit_code == 3
    stdout = [line for line in result.stdout.splitlines() if line.startswith("::")]
    assert len(stdout) == 1
    match = ANNOTATION.match(stdout[0])
    assert match is not None and match["cmd"] == "error"
    assert re.fullmatch(r"file=[^,]+,line=\d+,col=\d+,title=input not valid%3A /\S*", match["props"])
    log = json.loads((tmp_path / "x.sarif").read_text(encoding="utf-8"))
    _validate_sarif(log, sarif_schema)
    (r,) = log["runs"][0]["results"]
    assert r["ruleId"] == "INPUT-NOT-VALID" and r["level"] == "error"
    assert r["locations"][0]["physicalLocation"]["region"]["startLine"] == int(match["props"].split(",")[1][5:])
    xml = JUnitXml.fromfile(str(tmp_path / "x.xml"))
    assert [(s.tests, s.failures) for s in xml] == [(1, 1)]


def test_run_renders_ci_formats_from_the_stored_documents(
    store: Any, cli_runner: CliRunner, tmp_path: Path, sarif_schema: dict[str, Any]
) -> None:
    from inclusive_check.store.ingest import ingest_paths

    ingest_paths(store, list(SUBMISSIONS), 64 * 2**20)
    url = store.url.render_as_string(hide_password=False)
    result = cli_runner.invoke(
        cli,
        [
            "--db",
            url,
            "run",
            "--as-of",
            AS_OF.isoformat(),
            "--format",
            "junit",
            "--output",
            f"sarif={tmp_path / 'run.sarif'}",
        ],
    )
    assert result.exit_code == 1, result.output
    xml = JUnitXml.fromstring(result.output)
    assert len(list(xml)) == len(SUBMISSIONS)
    log = json.loads((tmp_path / "run.sarif").read_text(encoding="utf-8"))
    _validate_sarif(log, sarif_schema)
    assert log["runs"][0]["results"]
    assert all("region" in r["locations"][0]["physicalLocation"] for r in log["runs"][0]["results"])


@pytest.mark.parametrize("fmt", ["junit", "sarif", "github"])
def test_every_format_renders_the_same_findings(sample_data: dict[str, Any], sample_results: Any, fmt: str) -> None:
    from inclusive_check.reports import render_results

    rendered = render_results(fmt, sample_results, "en", fail_on="info")  # junit: every open finding fails
    findings = [f for s in sample_data["submissions"] for f in s["findings"]]
    fingerprints = {f["fingerprint"] for f in findings if f["status"] in OPEN}
    uncovered = {f["fingerprint"] for f in findings if f["status"] == "not_covered"}  # shown, never failing
    if fmt == "sarif":
        got = {r["partialFingerprints"][sarif.FINGERPRINT_KEY] for r in json.loads(rendered)["runs"][0]["results"]}
        assert got == fingerprints | uncovered
    elif fmt == "junit":
        assert rendered.count("<failure ") + rendered.count("<error ") == len(fingerprints)
    else:
        assert sum(line.startswith("::") for line in rendered.splitlines()) == len(fingerprints) + len(uncovered)
