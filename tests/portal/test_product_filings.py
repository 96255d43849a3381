"""Product filings in the portal (SQLite and PostgreSQL): their own revision sequence per insurer, product code and
filing date; judged with the insurer context the CLI uses (the insurer's latest stored submission); the same
verify, answer, sign and receipt flow; the supervisor's product-filings view per period; tenant isolation."""

from __future__ import annotations

import io
import json
from typing import Any

from openpyxl import load_workbook
from portal_helpers import KN, ROOT
from test_bulk import _bytes
from test_pages import sign_in

from inclusive_check import __version__
from inclusive_check.ruleset import load_ruleset

JSON = {"Content-Type": "application/json"}
FILING = ROOT / "samples/filings/kn-health-fee-breach.json"


def _post(portal: Any, raw: bytes, who: str = "kn") -> Any:
    return portal.client.post("/api/revisions", content=raw, headers={**portal.api(who), **JSON})


def _filing(**changes: Any) -> bytes:
    doc = json.loads(FILING.read_text("utf-8"))
    product = changes.pop("product", {})
    doc.update(changes)
    doc["product"].update(product)
    return json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8")


def _context(portal: Any) -> None:
    """KN's 2025 submission stored: the insurer context of its product filings."""
    assert _post(portal, (ROOT / "samples/submissions/kn-health-2025.json").read_bytes()).status_code == 201


def test_a_product_filing_has_its_own_revisions_per_product_and_date_judged_in_context(portal: Any) -> None:
    _context(portal)
    first = _post(portal, FILING.read_bytes())
    assert first.status_code == 201, first.text
    rev = first.json()
    assert (rev["insurer"], rev["product_code"], rev["filing_date"], rev["sequence"]) == (
        KN,
        "KNH-PH-2025-02",
        "2025-02-26",
        1,
    )
    assert rev["document"]["kind"] == "product_filing"
    fee = next(f for f in rev["document"]["findings"] if f["rule_id"] == "IC12-FEE-RATE")
    assert fee["status"] == "fail" and rev["unanswered"] == [fee["fingerprint"]]
    key = rev["period"]
    assert _post(portal, FILING.read_bytes()).json()["sequence"] == 2  # the same product and date: next revision
    other = _post(portal, _filing(filing_date="2025-03-02")).json()
    assert other["sequence"] == 1 and other["period"] != key  # another filing date: its own sequence
    filing = portal.client.get(f"/api/filings/{KN}/{key}", headers=portal.api("kn")).json()
    assert [r["sequence"] for r in filing["revisions"]] == [2, 1] and filing["product_code"] == "KNH-PH-2025-02"
    submission = portal.client.get(f"/api/filings/{KN}/2025", headers=portal.api("kn")).json()
    assert [r["sequence"] for r in submission["revisions"]] == [1]  # the submission's sequence is apart


def test_a_sale_window_the_stored_submission_does_not_cover_says_so(portal: Any) -> None:
    _context(portal)  # 2025 only
    late = _filing(filing_date="2026-05-20", product={"sale_start": "2026-06-01"})
    rev = _post(portal, late).json()
    messages = [f["message"]["en"] for f in rev["document"]["findings"] if f["rule_id"].startswith("IC19")]
    assert any("insurer context" in m and "2026" in m for m in messages), messages


def test_another_insurers_product_filing_is_refused_and_nothing_stored(portal: Any) -> None:
    refused = _post(portal, FILING.read_bytes(), who="zs")
    assert refused.status_code == 422 and refused.json()["errors"][0]["pointer"] == "/insurer_code"
    assert portal.client.get("/api/filings", headers=portal.api("sup")).json() == []
    made = _post(portal, FILING.read_bytes()).json()
    key = made["period"]
    for path in (f"/api/filings/{KN}/{key}", f"/api/filings/{KN}/{key}/revisions/1"):
        assert portal.client.get(path, headers=portal.api("zs")).status_code == 404
    client = portal.client
    sign_in(client, "zs")
    assert client.get(f"/filings/{KN}/{key}/revisions/1").status_code == 404
    assert client.get(f"/filings/{KN}/{key}/revisions/1/answers.xlsx").status_code == 404
    sign_in(client, "sup")
    assert client.get("/board/products?period=2025").status_code == 200
    sign_in(client, "kn")
    assert client.get("/board/products?period=2025").status_code == 404  # the view is the supervisor's


def test_product_filing_through_bulk_answer_sign_receipt_and_the_supervisors_view(portal: Any) -> None:
    _context(portal)
    client = portal.client
    csrf = sign_in(client, "kn")
    page = client.post("/file?lang=en", data={"csrf": csrf}, files={"file": ("filing.json", FILING.read_bytes())})
    assert page.status_code == 200 and "KNH-PH-2025-02" in page.text and 'id="product"' in page.text
    url = str(page.url).split("?")[0]
    key = url.split("/")[-3]
    assert 'id="answers-xlsx"' in page.text and 'id="sign"' in page.text
    book = load_workbook(io.BytesIO(client.get(url + "/answers.xlsx").content))
    rows = list(book["findings"].iter_rows(min_row=2))
    assert [r[1].value for r in rows] == ["IC12-FEE-RATE"]
    rows[0][7].value = "The comparable rate is the channel's 2024 average; ours is below it from March."
    answered = client.post(url + "/answers?lang=en", data={"csrf": csrf}, files={"file": ("a.xlsx", _bytes(book))})
    assert answered.status_code == 200 and 'id="responded">1<' in answered.text
    signed = client.post(url + "/sign?lang=en", data={"csrf": csrf, "attest": "yes"})
    assert signed.status_code == 200 and 'id="receipt"' in signed.text
    assert 'id="receipt-product">KNH-PH-2025-02<' in signed.text
    ruleset = load_ruleset()
    assert ruleset.sha256 in signed.text and f"inclusive-check {__version__}" in signed.text
    receipt = client.get(f"/api/filings/{KN}/{key}/revisions/1", headers=portal.api("kn")).json()["receipt"]
    assert receipt["insurer"] == KN and receipt["ruleset_id"] and receipt["tool_version"] == __version__
    assert "产品报备" in client.get(url + "?lang=zh").text

    sign_in(client, "sup")
    for lang, word in (("en", "Product filings"), ("zh", "产品报备")):
        view = client.get(f"/board/products?period=2025-Q1&lang={lang}")
        assert view.status_code == 200 and word in view.text
        assert 'data-product="KNH-PH-2025-02"' in view.text and 'class="state signed"' in view.text
    assert "KNH-PH-2025-02" not in client.get("/board/products?period=2025-Q2").text
    board = client.get("/board?period=2025-Q1").text
    assert 'id="product-filings"' in board and key not in board  # the submissions' board lists no product filing
