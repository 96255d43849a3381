"""Bulk answers and decisions (SQLite and PostgreSQL): a revision's findings as XLSX, filled offline and uploaded
back (all rows recorded, unknown rows reported, a bad row refuses the whole workbook); answers carried over to the
next revision; several requests decided at once. Tenant isolation, CSRF and hostile workbooks."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from openpyxl import Workbook, load_workbook
from portal_helpers import KN, PERIOD, ZS, zs_bytes
from test_api import base, finding, upload
from test_pages import sign_in

PAGE = f"/filings/{ZS}/{PERIOD}/revisions"


def _workbook(client: Any, sequence: int = 1, lang: str = "en") -> Any:
    got = client.get(f"{PAGE}/{sequence}/answers.xlsx?lang={lang}")
    assert got.status_code == 200 and got.headers["content-type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(got.content))


def _bytes(book: Any) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _send(client: Any, csrf: str, raw: bytes, sequence: int = 1) -> Any:
    files = {"file": ("answers.xlsx", raw)}
    return client.post(f"{PAGE}/{sequence}/answers?lang=en", data={"csrf": csrf}, files=files)


def _fill(book: Any, kpi: str, reason: bool = True) -> int:
    """A response on every row, a dispensation reason on the principle failure; how many rows."""
    sheet = book["findings"]
    rows = list(sheet.iter_rows(min_row=2))
    for row in rows:
        row[7].value = f"Answered offline: {row[1].value}"
        if row[0].value == kpi and reason:
            row[8].value = "Set before the guidance; 5% from 2026."
    return len(rows)


def test_findings_workbook_filled_offline_is_recorded_whole_and_unknown_rows_reported(portal: Any) -> None:
    rev = upload(portal, zs_bytes()).json()
    kpi = finding(rev, "IC10-KPI-WEIGHT")["fingerprint"]
    client = portal.client
    csrf = sign_in(client, "zs")
    book = _workbook(client)
    sheet = book["findings"]
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert header[0] == "fingerprint" and header[7:] == ["response", "reason"]
    assert {r[0].value for r in sheet.iter_rows(min_row=2)} == set(rev["unanswered"])  # what needs an answer
    count = _fill(book, kpi)
    sheet.append(["0" * 32, "IC99", None, None, None, None, None, "a row for no finding", None])
    done = _send(client, csrf, _bytes(book))
    assert done.status_code == 200, done.text
    assert f'id="responded">{count}<' in done.text and 'id="requested">1<' in done.text
    assert 'id="unknown"' in done.text and f"findings!A{count + 2}" in done.text

    now = client.get(base(1), headers=portal.api("zs")).json()
    assert len(now["responses"]) == count and not now["unanswered"]
    assert [q["fingerprint"] for q in now["requests"]] == [kpi]
    again = _send(client, csrf, _bytes(book))  # the same answers: unchanged, the request already made
    assert again.status_code == 422 and "already requested" in again.text
    assert "已记录" not in again.text and "Traceback" not in again.text


def test_a_bad_row_refuses_the_whole_workbook_located(portal: Any) -> None:
    rev = upload(portal, zs_bytes()).json()
    kpi = finding(rev, "IC10-KPI-WEIGHT")["fingerprint"]
    client = portal.client
    csrf = sign_in(client, "zs")
    book = _workbook(client)
    _fill(book, kpi, reason=False)
    sheet = book["findings"]
    other = next(f for f in rev["document"]["findings"] if f["fingerprint"] != kpi)  # takes no answer
    sheet.append([other["fingerprint"], other["rule_id"], None, None, None, None, None, "noted", "please waive"])
    last = sheet.max_row
    sheet.cell(row=2, column=8).value = "x" * 4001
    refused = _send(client, csrf, _bytes(book))
    assert refused.status_code == 422 and "nothing was recorded" in refused.text
    assert "findings!H2" in refused.text and f"findings!H{last}" in refused.text and f"findings!I{last}" in refused.text
    now = client.get(base(1), headers=portal.api("zs")).json()
    assert now["responses"] == {} and now["requests"] == []


def test_hostile_workbooks_are_refused_plainly(portal: Any) -> None:
    upload(portal, zs_bytes())
    client = portal.client
    csrf = sign_in(client, "zs")
    wrong = Workbook()
    wrong.active.title = "Sheet1"
    headerless = Workbook()
    headerless.active.title = "findings"
    headerless.active.append(["a", "b"])
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/big.xml", b"\0" * (65 * 2**20))
    cases = {
        b"not a zip at all": "not an XLSX workbook",
        _bytes(wrong): "no sheet named",
        _bytes(headerless): "findings!A1",
        bomb.getvalue(): "unpacks to more than",
    }
    for raw, reason in cases.items():
        answer = _send(client, csrf, raw)
        assert answer.status_code == 422 and reason in answer.text and "Traceback" not in answer.text
    huge = _send(client, csrf, b"PK" + b"\0" * (5 * 2**20))
    assert huge.status_code == 413 and "Traceback" not in huge.text
    assert client.get(base(1), headers=portal.api("zs")).json()["responses"] == {}


def test_another_insurer_and_a_supervisor_neither_see_nor_answer_and_csrf_is_required(portal: Any) -> None:
    rev = upload(portal, zs_bytes()).json()
    client = portal.client
    sign_in(client, "zs")
    book = _workbook(client)
    _fill(book, finding(rev, "IC10-KPI-WEIGHT")["fingerprint"])
    raw = _bytes(book)
    forged = client.post(f"{PAGE}/1/answers", data={"csrf": "forged"}, files={"file": ("a.xlsx", raw)})
    assert forged.status_code == 403
    other = sign_in(client, "kn")
    assert client.get(f"{PAGE}/1/answers.xlsx").status_code == 404
    assert _send(client, other, raw).status_code == 404
    assert client.get(f"/filings/{KN}/{PERIOD}/revisions/1/answers.xlsx").status_code == 404
    sup = sign_in(client, "sup")
    assert client.get(f"{PAGE}/1/answers.xlsx").status_code == 200  # a supervisor reads, never answers
    assert _send(client, sup, raw).status_code == 404
    assert client.get(base(1), headers=portal.api("zs")).json()["responses"] == {}


def test_answers_carry_over_to_the_next_revision_marked_and_editable(portal: Any) -> None:
    rev = upload(portal, zs_bytes()).json()
    kpi = finding(rev, "IC10-KPI-WEIGHT")["fingerprint"]
    client = portal.client
    csrf = sign_in(client, "zs")
    book = _workbook(client)
    count = _fill(book, kpi, reason=False)
    assert _send(client, csrf, _bytes(book)).status_code == 200
    second = upload(portal, zs_bytes()).json()
    assert second["sequence"] == 2
    carried = second["responses"]
    assert len(carried) == count and all(a["carried_from"] == 1 for a in carried.values())
    assert not second["unanswered"]
    page = client.get(f"{PAGE}/2?lang=en").text
    assert f'id="c-{kpi}"' in page and "carried over from revision 1" in page
    assert "沿用自版本 1" in client.get(f"{PAGE}/2?lang=zh").text
    edited = client.post(f"{PAGE}/2/respond", data={"csrf": csrf, "fingerprint": kpi, "text": "Rewritten."})
    assert edited.status_code == 200
    now = client.get(base(2), headers=portal.api("zs")).json()["responses"][kpi]
    assert now["text"] == "Rewritten." and now["carried_from"] is None
    third = upload(portal, zs_bytes()).json()  # carried again, still naming where it was written
    assert third["responses"][kpi]["carried_from"] == 2


def test_a_supervisor_decides_several_requests_at_once(portal: Any) -> None:
    rev = upload(portal, zs_bytes()).json()
    kpi = finding(rev, "IC10-KPI-WEIGHT")["fingerprint"]
    ask = {"fingerprint": kpi, "reason": "Set before the guidance."}
    first = portal.client.post(base(1) + "/dispensation-requests", json=ask, headers=portal.api("zs")).json()["id"]
    upload(portal, zs_bytes())
    second = portal.client.post(base(2) + "/dispensation-requests", json=ask, headers=portal.api("zs")).json()["id"]
    client = portal.client
    csrf = sign_in(client, "zs")
    as_filer = client.post("/requests/decisions", data={"csrf": csrf, "request": [str(first)], "decision": "approve"})
    assert as_filer.status_code == 404
    csrf = sign_in(client, "sup")
    page = client.get("/requests?lang=en").text
    assert 'form="bulk"' in page and 'id="bulk-approve"' in page
    both = [str(first), str(second)]
    forged = client.post("/requests/decisions", data={"csrf": "x", "request": both, "decision": "refuse", "note": "n"})
    assert forged.status_code == 403
    no_reason = client.post("/requests/decisions?lang=en", data={"csrf": csrf, "request": both, "decision": "refuse"})
    assert no_reason.status_code == 422 and "reason" in no_reason.text
    no_expiry = client.post("/requests/decisions", data={"csrf": csrf, "request": both, "decision": "approve"})
    assert no_expiry.status_code == 422
    listed = client.get("/api/dispensation-requests", headers=portal.api("sup")).json()
    assert {q["state"] for q in listed} == {"pending"}  # nothing half-decided
    data = {"csrf": csrf, "request": both, "decision": "approve", "expires": "2099-12-31", "note": "NFRA-2026-9"}
    assert client.post("/requests/decisions", data=data).status_code == 200
    listed = client.get("/api/dispensation-requests", headers=portal.api("sup")).json()
    assert {(q["id"], q["state"]) for q in listed} == {(first, "approved"), (second, "approved")}
    latest = client.get(base(2), headers=portal.api("zs")).json()
    assert finding(latest, "IC10-KPI-WEIGHT")["status"] == "waived"  # applied at once to the open revision
    again = client.post("/requests/decisions", data=data)
    assert again.status_code == 409 and "already approved" in again.text
