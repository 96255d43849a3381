"""Decisions apply at once (SQLite and PostgreSQL): an approval judges the filing's latest revision again, so the
finding shows dispensed (approver, reference, expiry) and the score changes without an upload, on both sides; a
refusal carries the supervisor's reason to the filer; a returned filing takes a new revision."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from portal_helpers import PERIOD, ZS, zs_bytes
from test_api import base, finding, upload
from test_pages import sign_in


def _request(portal: Any, sequence: int, fingerprint: str) -> int:
    asked = portal.client.post(
        base(sequence) + "/dispensation-requests",
        json={"fingerprint": fingerprint, "reason": "Set before the guidance; 5% from 2026."},
        headers=portal.api("zs"),
    )
    assert asked.status_code == 201
    return int(asked.json()["id"])


def test_an_approval_rejudges_the_current_revision_without_an_upload(portal: Any) -> None:
    rev = upload(portal, zs_bytes()).json()
    kpi = finding(rev, "IC10-KPI-WEIGHT")
    assert kpi["status"] == "fail" and kpi["dispensation"] is None
    before = Decimal(rev["document"]["score"]["compliance"])
    request_id = _request(portal, 1, kpi["fingerprint"])
    decided = portal.client.post(
        f"/api/dispensation-requests/{request_id}/decision",
        json={"approve": True, "expires": "2099-12-31", "note": "letter NFRA-2026-7"},
        headers=portal.api("sup"),
    )
    assert decided.status_code == 200

    for who in ("zs", "sup"):  # both sides, no new revision
        now = portal.client.get(base(1), headers=portal.api(who)).json()
        assert now["sequence"] == 1
        waived = finding(now, "IC10-KPI-WEIGHT")
        assert waived["status"] == "waived" and waived["dispensation"] == f"portal-{request_id}"
        record = now["dispensed"][waived["dispensation"]]
        assert record["approved_by"] == "sup" and record["expires"] == "2099-12-31"
        assert "NFRA-2026-7" in record["reference"]
        assert Decimal(now["document"]["score"]["compliance"]) > before
    board = portal.client.get(f"/api/filings/{ZS}/{PERIOD}", headers=portal.api("sup")).json()
    assert Decimal(board["status"]["compliance"]) > before
    assert len(board["revisions"]) == 1

    client = portal.client
    sign_in(client, "zs")
    page = client.get(f"/filings/{ZS}/{PERIOD}/revisions/1?lang=en").text
    assert f'id="d-{kpi["fingerprint"]}"' in page and "approved by sup" in page and "2099-12-31" in page
    assert "已豁免" in client.get(f"/filings/{ZS}/{PERIOD}/revisions/1?lang=zh").text


def test_a_refusal_carries_the_reason_to_the_filer(portal: Any) -> None:
    rev = upload(portal, zs_bytes()).json()
    kpi = finding(rev, "IC10-KPI-WEIGHT")
    request_id = _request(portal, 1, kpi["fingerprint"])
    refused = portal.client.post(
        f"/api/dispensation-requests/{request_id}/decision",
        json={"approve": False, "note": "The weight must reach 5% this year."},
        headers=portal.api("sup"),
    )
    assert refused.status_code == 200 and refused.json()["state"] == "refused"
    now = portal.client.get(base(1), headers=portal.api("zs")).json()
    assert finding(now, "IC10-KPI-WEIGHT")["status"] == "fail" and now["dispensed"] == {}
    client = portal.client
    sign_in(client, "zs")
    page = client.get(f"/filings/{ZS}/{PERIOD}/revisions/1?lang=en").text
    assert "Refused because: The weight must reach 5% this year." in page
    assert "拒绝理由" in client.get(f"/filings/{ZS}/{PERIOD}/revisions/1?lang=zh").text


def test_an_approval_through_the_page_applies_at_once_and_a_returned_filing_reopens(portal: Any) -> None:
    rev = upload(portal, zs_bytes()).json()
    kpi = finding(rev, "IC10-KPI-WEIGHT")
    request_id = _request(portal, 1, kpi["fingerprint"])
    client = portal.client
    csrf = sign_in(client, "sup")
    client.post(
        f"/requests/{request_id}/decision",
        data={"csrf": csrf, "decision": "approve", "expires": "2099-12-31", "note": "NFRA-2026-8"},
    )
    now = portal.client.get(base(1), headers=portal.api("zs")).json()
    assert finding(now, "IC10-KPI-WEIGHT")["status"] == "waived"
    assert now["state"] == "awaiting_signature" and now["unanswered"] == []
    signed = portal.client.post(base(1) + "/signature", json={"attest": True}, headers=portal.api("zs"))
    assert signed.status_code == 201
    returned = portal.client.post(
        f"/api/filings/{ZS}/{PERIOD}/review", json={"action": "returned", "note": "fix"}, headers=portal.api("sup")
    )
    assert returned.status_code == 200
    again = upload(portal, zs_bytes())
    assert again.status_code == 201 and again.json()["sequence"] == 2
    assert finding(again.json(), "IC10-KPI-WEIGHT")["status"] == "waived"  # the dispensation stands


def test_a_signed_revision_stays_as_it_was_signed_when_a_decision_comes_after(portal: Any) -> None:
    """A signed revision is a record the database refuses to change (migration 0013): a decision that comes after
    the signature leaves it as signed (no 500), and the dispensation applies to the next revision."""
    from inclusive_check.portal.decisions import rejudge_latest

    rev = upload(portal, zs_bytes()).json()
    request_id = _request(portal, 1, finding(rev, "IC10-KPI-WEIGHT")["fingerprint"])
    decided = portal.client.post(
        f"/api/dispensation-requests/{request_id}/decision",
        json={"approve": True, "expires": "2099-12-31", "note": "letter NFRA-2026-9"},
        headers=portal.api("sup"),
    )
    assert decided.status_code == 200
    sign = portal.client.post(base(1) + "/signature", json={"attest": True}, headers=portal.api("zs"))
    assert sign.status_code == 201
    signed = portal.client.get(base(1), headers=portal.api("zs")).json()
    state = portal.app.state.portal
    with state.engine.begin() as conn:
        assert rejudge_latest(conn, state.ruleset, None, ZS, PERIOD) is None
    assert portal.client.get(base(1), headers=portal.api("zs")).json() == signed
