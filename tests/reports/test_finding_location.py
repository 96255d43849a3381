"""A finding says where it is: its product by code and name, and the line and column of its subject, in the
text view, in JSON (the results contract) and in the HTML report, for `check` (files) and `run` (stored text).

The oracle for line:column is the error path's own scanner (``map_json``, which walks every token), so the walk
findings use (``map_pointers``, which leaves unwanted values to the C decoder) is held to it.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from report_helpers import AL_FILING_YAML, KN_SUBMISSION, SUBMISSIONS, store_run

from inclusive_check.cli import cli
from inclusive_check.contract.locate import locate, map_json, map_pointers, map_yaml, offsets
from inclusive_check.contract.outputs import Results
from inclusive_check.reports import html, text


def _oracle(path: Path) -> Any:
    raw = path.read_text("utf-8")
    return map_yaml(raw) if path.suffix in (".yaml", ".yml") else map_json(raw)


def _assert_located(results: dict[str, Any]) -> int:
    """Every finding of ``results`` (published JSON form) sits where the full scanner puts its subject."""
    checked = 0
    for sub in results["submissions"]:
        oracle = _oracle(Path(sub["source"]))
        for f in sub["findings"]:
            assert (f["line"], f["column"]) == oracle.find(f["subject"]), (sub["source"], f["subject"])
            checked += 1
    return checked


def test_map_pointers_agrees_with_the_full_scanner_on_every_value() -> None:
    for path in SUBMISSIONS:
        raw = path.read_text("utf-8")
        full = map_json(raw)
        assert map_pointers(raw, full.positions).positions == full.positions
        some = [*list(full.positions)[::7], "/products/99/premium_rate", "/no/such/thing"]
        walked = map_pointers(raw, some)
        assert all(walked.find(p) == full.find(p) for p in some)


def test_map_pointers_on_text_that_is_not_json_returns_what_it_found() -> None:
    assert map_pointers('{"a": [1, {"b"', ["/a/1/b"]).find("/a/1/b") == (1, 11)  # cut short: the nearest ancestor
    assert map_pointers("", ["/a"]).positions == {}
    wide = '{\n "名称": "康宁",\n "x": [true]\n}'
    assert map_pointers(wide, ["/x/0"]).find("/x/0") == (3, 8)  # columns count code points


def test_locate_reads_yaml_by_its_name() -> None:
    raw = AL_FILING_YAML.read_text("utf-8")
    assert locate(raw, str(AL_FILING_YAML), ["/product/code"]).find("/product/code") == map_yaml(raw).find(
        "/product/code"
    )


def test_check_json_names_products_and_locates_every_finding(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["check", *map(str, SUBMISSIONS), str(AL_FILING_YAML), "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    data = json.loads(result.stdout)
    assert _assert_located(data) > 100
    kn = next(s for s in data["submissions"] if s["source"] == str(KN_SUBMISSION))
    fee = next(f for f in kn["findings"] if f["rule_id"] == "IC12-FEE-RATE" and f["status"] == "fail")
    assert fee["product"] == {"id": fee["product"]["id"], "code": "KNH-PH-2025-02", "name": "粉红守护女性两癌专属保险",
                              "position": 1}  # fmt: skip
    assert (fee["line"], fee["column"]) == (63, 32)


def test_run_locates_from_the_stored_text_even_when_the_file_is_gone(store: Any, tmp_path: Path) -> None:
    copy = tmp_path / "kn.json"
    shutil.copyfile(KN_SUBMISSION, copy)
    oracle = _oracle(copy)
    run_id = store_run(store, [copy])
    copy.unlink()
    from inclusive_check.results import run_results

    with store.connect() as conn:
        located = run_results(conn, run_id, locate=True).model_dump(mode="json")
        unlocated = run_results(conn, run_id).model_dump(mode="json")
    findings = located["submissions"][0]["findings"]
    assert findings and all((f["line"], f["column"]) == oracle.find(f["subject"]) for f in findings)
    assert all(f["line"] is None and f["column"] is None for f in unlocated["submissions"][0]["findings"])


def test_run_and_findings_print_line_column_and_product(db_url: str, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["--db", db_url, "ingest", str(KN_SUBMISSION)]).exit_code == 0
    run = runner.invoke(cli, ["--db", db_url, "run", "--exit-zero"])
    assert run.exit_code == 0, run.output
    line = next(x for x in run.stdout.splitlines() if "IC12-FEE-RATE" in x)
    product = r"product KNH-PH-2025-02 \(粉红守护女性两癌专属保险\) — /products/1/intermediary_fee_rate"
    assert re.search(r"\b63:32 +" + product, line)
    zh = runner.invoke(cli, ["--db", db_url, "run", "--exit-zero", "--lang", "zh"]).stdout
    assert "63:32 产品 KNH-PH-2025-02（粉红守护女性两癌专属保险）— /products/1/intermediary_fee_rate" in zh
    found = runner.invoke(cli, ["--db", db_url, "findings", "--format", "json"])
    data = json.loads(found.stdout)
    for sub in data["submissions"]:
        sub["source"] = str(KN_SUBMISSION)
    assert _assert_located(data) > 20


def test_text_view_without_a_location_says_so(sample_results: Any) -> None:
    shown = text.render(sample_results)
    assert re.search(r"item 8 +41:23 +product KNH-PH-2024-07 \(穗康惠民专属医疗保险\) — /products/0/premium", shown)
    data = sample_results.model_dump(mode="json")
    for sub in data["submissions"]:
        for f in sub["findings"]:
            f["line"] = f["column"] = None
    assert re.search(r"item 8 +- +product KNH-PH-2024-07", text.render(Results.model_validate(data)))


def test_html_shows_line_column_and_product(sample_results: Any) -> None:
    page = html.render(sample_results, "both")
    for sub in sample_results.submissions:
        for f in sub.findings:
            if f.status in ("fail", "indeterminate") and f.product is not None:
                row = re.search(rf'data-fingerprint="{f.fingerprint}".*?</tr>', page, re.S)
                assert row, f.fingerprint
                assert f'data-line="{f.line}" data-column="{f.column}"' in row.group()
                assert f'data-product="{f.product["code"]}"' in row.group() and f.product["name"] in row.group()


@pytest.mark.parametrize("fmt", ["sarif", "github", "junit"])
def test_ci_formats_point_where_the_results_say(sample_results: Any, fmt: str) -> None:
    """SARIF, GitHub and JUnit take a finding's line and column from the results, as text, JSON and HTML do (here
    moved, so that a position re-read from the file on disk would show)."""
    from inclusive_check.reports import render_results

    data = sample_results.model_dump(mode="json")
    for sub in data["submissions"]:
        for f in sub["findings"]:
            f["line"], f["column"] = f["line"] + 1000, f["column"] + 1
    rendered = render_results(fmt, Results.model_validate(data))
    marker = {"sarif": '"startLine": 1063', "github": "line=1063,col=33", "junit": 'line="1063"'}[fmt]
    assert marker in rendered  # the KN submission's fee-rate failure, at 63:32 in its file


def test_locating_leaves_no_cyclic_garbage() -> None:
    """Commands run with the garbage collector paused: a document's text held by a reference cycle would stay in
    memory until the command ends, every document of a market at once."""
    import gc

    raw = KN_SUBMISSION.read_text("utf-8")
    gc.collect()
    gc.disable()
    try:
        positions = map_pointers(raw, {"/products/1/premium_rate", "/governance"})
        assert positions.find("/products/1/premium_rate") is not None
        del positions
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_products_are_located_from_where_ingest_found_them(store: Any) -> None:
    """Ingest records where each product of a JSON document stands (``products.source_offset``), none for YAML;
    results go straight to the products they name. A document stored before that (no offsets) is located the
    same, by walking past every product."""
    from sqlalchemy import select, update

    from inclusive_check.results import run_results
    from inclusive_check.store import tables as t

    run_id = store_run(store, [*SUBMISSIONS, AL_FILING_YAML])
    p, s = t.products.c, t.submissions.c
    with store.connect() as conn:
        offsets = conn.execute(select(s.source, p.pointer, p.source_offset).join(t.submissions)).all()
        direct = run_results(conn, run_id, locate=True).model_dump(mode="json")
    for source, pointer, offset in offsets:
        if source.endswith(".yaml"):
            assert offset is None
        else:
            text = Path(source).read_text("utf-8")
            assert offset is not None and text[offset] == "{", (source, pointer)
            line, column = text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)
            assert map_json(text).find(pointer) == (line, column), (source, pointer)
    assert _assert_located(direct) > 0
    with store.begin() as conn:
        conn.execute(update(t.products).values(source_offset=None))
    with store.connect() as conn:
        walked = run_results(conn, run_id, locate=True).model_dump(mode="json")
    assert walked == direct


def test_going_straight_to_products_finds_what_walking_past_them_finds() -> None:
    """Given where some products and the last one stand, the walk goes straight to them and leaves each as soon as
    its wanted fields are found; every position equals the full scanner's, also after the array."""
    doc = {
        "insurer": {"code": "X"},
        "products": [{"code": f"P{i}", "premium_rate": i / 100, "names": ["a", {"b": i}]} for i in range(40)],
        "governance": {"inclusive_kpi_weight": 0.05},
    }
    text = json.dumps(doc, indent=1)
    wanted = {"/products/3/premium_rate", "/products/3/code", "/products/17/names/1/b", "/products/17", "/governance"}
    wanted |= {"/governance/inclusive_kpi_weight", "/insurer/code"}
    starts = offsets(text, [f"/products/{i}" for i in (3, 17, 39)])
    elements = {"/products": {int(p.rsplit("/", 1)[1]): o for p, o in starts.items()}}
    direct, oracle = map_pointers(text, wanted, elements), map_json(text)
    assert {p: direct.find(p) for p in wanted} == {p: oracle.find(p) for p in wanted}
