"""The filer's and the supervisor's flow through the JSON API, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from portal_helpers import KN, PERIOD, ZS, breach_bytes, zs_bytes, zs_document

JSON = {"Content-Type": "application/json"}


def upload(portal: Any, raw: bytes, who: str = "zs", insurer: str = ZS, period: str = PERIOD) -> Any:
    return portal.client.post(
        f"/api/filings/{insurer}/{period}/revisions", content=raw, headers={**portal.api(who), **JSON}
    )


def finding(revision: dict[str, Any], rule_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(f for f in revision["document"]["findings"] if f["rule_id"] == rule_id)
    return found


def base(sequence: int) -> str:
    return f"/api/filings/{ZS}/{PERIOD}/revisions/{sequence}"


def test_blocking_error_cannot_be_signed_past_then_fix_answer_sign_and_accept(portal: Any) -> None:
    first = upload(portal, breach_bytes())
    assert first.status_code == 201
    rev1 = first.json()
    assert (rev1["sequence"], rev1["state"], rev1["blocking"]) == (1, "has_errors", True)
    control = finding(rev1, "IC10-INTERNAL-CONTROL")
    assert (control["status"], control["strength"]) == ("fail", "mandatory")
    refused = portal.client.post(base(1) + "/signature", json={"attest": True}, headers=portal.api("zs"))
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert "blocking" in refused.json()["detail"]

    fixed = zs_bytes()
    rev2 = upload(portal, fixed).json()
    assert (rev2["sequence"], rev2["state"], rev2["blocking"]) == (2, "awaiting_signature", False)
    kpi = finding(rev2, "IC10-KPI-WEIGHT")
    assert rev2["unanswered"] == [kpi["fingerprint"]]
    unanswered = portal.client.post(base(2) + "/signature", json={"attest": True}, headers=portal.api("zs"))
    assert unanswered.status_code == 409 and "IC10-KPI-WEIGHT" in unanswered.json()["detail"]
    not_attested = portal.client.post(base(2) + "/signature", json={"attest": False}, headers=portal.api("zs"))
    assert not_attested.status_code == 422

    answered = portal.client.put(
        base(2) + f"/responses/{kpi['fingerprint']}",
        json={"text": "The weight rises to 5% from 2026 (board minute 2025-12-19)."},
        headers=portal.api("zs"),
    )
    assert answered.status_code == 200 and answered.json()["unanswered"] == []
    signed = portal.client.post(base(2) + "/signature", json={"attest": True}, headers=portal.api("zs"))
    assert signed.status_code == 201
    receipt = signed.json()
    assert receipt["insurer"] == ZS and receipt["period"] == PERIOD and receipt["sequence"] == 2
    assert receipt["sha256"] == hashlib.sha256(fixed).hexdigest() and receipt["signer"] == "zs"

    again = portal.client.put(
        base(2) + f"/responses/{kpi['fingerprint']}", json={"text": "changed"}, headers=portal.api("zs")
    )
    assert again.status_code == 409  # a signed revision never changes
    assert portal.client.get(base(1), headers=portal.api("zs")).json()["state"] == "has_errors"

    board = portal.client.get(f"/api/board?period={PERIOD}", headers=portal.api("sup")).json()
    statuses = {row["insurer"]: row["status"] for row in board}
    assert statuses[ZS] == "signed" and statuses[KN] == "not_filed"
    accepted = portal.client.post(
        f"/api/filings/{ZS}/{PERIOD}/review", json={"action": "accepted"}, headers=portal.api("sup")
    )
    assert accepted.status_code == 200
    board = portal.client.get(f"/api/board?period={PERIOD}", headers=portal.api("sup")).json()
    assert {row["insurer"]: row["status"] for row in board}[ZS] == "accepted"
    assert upload(portal, zs_bytes(lead_department="另一部门")).status_code == 409

    actions = [e["action"] for e in portal.client.get("/api/audit", headers=portal.api("sup")).json()]
    for action in ("revision.upload", "finding.respond", "revision.sign", "filing.accept"):
        assert action in actions


def test_invalid_upload_lists_problems_with_pointer_and_line(portal: Any) -> None:
    wrong_period = json.dumps(zs_document() | {"reporting_period": "2025-Q3"}, indent=2).encode()
    wrong = upload(portal, wrong_period)  # a document of another period: refused, nothing stored
    assert wrong.status_code == 422 and wrong.headers["content-type"] == "application/problem+json"
    problem = wrong.json()["errors"][0]
    assert problem["pointer"] == "/reporting_period" and problem["line"] == 4 and problem["column"] > 1
    broken = upload(portal, b'{\n  "kind": "submission",\n  oops\n}').json()
    assert broken["sequence"] == 1 and broken["state"] == "invalid" and broken["problems"][0]["line"] == 3
    refused = portal.client.post(base(1) + "/signature", json={"attest": True}, headers=portal.api("zs"))
    assert refused.status_code == 409


def test_returned_filing_takes_a_new_revision(portal: Any) -> None:
    rev = upload(portal, zs_bytes()).json()
    kpi = finding(rev, "IC10-KPI-WEIGHT")
    portal.client.put(base(1) + f"/responses/{kpi['fingerprint']}", json={"text": "noted"}, headers=portal.api("zs"))
    portal.client.post(base(1) + "/signature", json={"attest": True}, headers=portal.api("zs"))
    no_note = portal.client.post(
        f"/api/filings/{ZS}/{PERIOD}/review", json={"action": "returned"}, headers=portal.api("sup")
    )
    assert no_note.status_code == 422
    returned = portal.client.post(
        f"/api/filings/{ZS}/{PERIOD}/review",
        json={"action": "returned", "note": "Explain the weight."},
        headers=portal.api("sup"),
    )
    assert returned.status_code == 200
    filing = portal.client.get(f"/api/filings/{ZS}/{PERIOD}", headers=portal.api("zs")).json()
    assert filing["status"]["status"] == "returned"
    assert upload(portal, zs_bytes(lead_department="普惠金融部")).json()["sequence"] == 2


def test_dispensation_request_approved_becomes_a_stored_dispensation(portal: Any) -> None:
    from inclusive_check.store.dispensations import stored_dispensations

    breach = upload(portal, breach_bytes()).json()
    control = finding(breach, "IC10-INTERNAL-CONTROL")
    mandatory = portal.client.post(
        base(1) + "/dispensation-requests",
        json={"fingerprint": control["fingerprint"], "reason": "please"},
        headers=portal.api("zs"),
    )
    assert mandatory.status_code == 422  # principle rules only

    rev = upload(portal, zs_bytes()).json()
    kpi = finding(rev, "IC10-KPI-WEIGHT")
    asked = portal.client.post(
        base(2) + "/dispensation-requests",
        json={"fingerprint": kpi["fingerprint"], "reason": "Weight set before the guidance; raised in 2026."},
        headers=portal.api("zs"),
    )
    assert asked.status_code == 201 and asked.json()["state"] == "pending"
    assert portal.client.get(base(2), headers=portal.api("zs")).json()["unanswered"] == []
    pending = portal.client.get("/api/dispensation-requests?state=pending", headers=portal.api("sup")).json()
    assert [p["rule_id"] for p in pending] == ["IC10-KPI-WEIGHT"]
    no_expiry = portal.client.post(
        f"/api/dispensation-requests/{pending[0]['id']}/decision", json={"approve": True}, headers=portal.api("sup")
    )
    assert no_expiry.status_code == 422
    approved = portal.client.post(
        f"/api/dispensation-requests/{pending[0]['id']}/decision",
        json={"approve": True, "expires": "2099-12-31", "note": "ok for 2025"},
        headers=portal.api("sup"),
    )
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    stored = {d.id: d for d in stored_dispensations(portal.app.state.portal.engine)}
    d = stored[approved.json()["dispensation_id"]]
    assert (d.rule, d.insurer, d.approved_by, d.subject, d.period) == (
        "IC10-KPI-WEIGHT",
        ZS,
        "sup",
        kpi["subject"],
        PERIOD,
    )
    twice = portal.client.post(
        f"/api/dispensation-requests/{pending[0]['id']}/decision", json={"approve": False}, headers=portal.api("sup")
    )
    assert twice.status_code == 409
    # the next revision is judged with it: the failure is waived
    rev3 = upload(portal, zs_bytes(lead_department="普惠金融部")).json()
    assert finding(rev3, "IC10-KPI-WEIGHT")["status"] == "waived" and rev3["unanswered"] == []
    diff = portal.client.get(f"/api/filings/{ZS}/{PERIOD}/diff?before=1&after=3", headers=portal.api("sup")).json()
    changes = {(f["rule_id"], f["change"]) for f in diff["findings"]}
    assert ("IC10-INTERNAL-CONTROL", "fixed") in changes and ("IC10-KPI-WEIGHT", "waived") in changes


def test_upload_over_the_limit_is_refused_and_nothing_is_stored(portal_factory: Any) -> None:
    portal = portal_factory(max_upload_mib=0.001)  # 1048 bytes
    refused = upload(portal, zs_bytes())
    assert refused.status_code == 413 and refused.headers["content-type"] == "application/problem+json"
    assert portal.client.get(f"/api/filings/{ZS}/{PERIOD}", headers=portal.api("zs")).json()["revisions"] == []


def test_errors_are_problem_documents(portal: Any) -> None:
    cases = [
        (portal.client.get("/api/me"), 401),
        (portal.client.get("/api/me", headers={"Authorization": "Bearer nope"}), 401),
        (portal.client.get("/api/nowhere", headers=portal.api("zs")), 404),
        (portal.client.get("/api/board?period=2025-Q9", headers=portal.api("sup")), 422),
        (portal.client.post(base(1) + "/signature", content=b"[", headers={**portal.api("zs"), **JSON}), 422),
        (portal.client.get(base(7), headers=portal.api("zs")), 404),
    ]
    for response, status in cases:
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["status"] == status and body["title"] and "Traceback" not in response.text


def test_a_crash_is_a_problem_without_traceback(portal: Any, monkeypatch: Any) -> None:
    from inclusive_check.portal import service

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(service, "filings", boom)
    response = portal.client.get("/api/filings", headers=portal.api("zs"))
    assert response.status_code == 500 and response.headers["content-type"] == "application/problem+json"
    assert "secret internal detail" not in response.text and "Traceback" not in response.text
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]  # a crash has them too
    assert response.headers["x-content-type-options"] == "nosniff"
