"""The supervisor's review page (SQLite and PostgreSQL): beside each finding, the guidance sentence it rests on
(the rules matrix), the filer's response and the decision; the market page shows the audit report's market
section for the chosen period."""

from __future__ import annotations

from typing import Any

from markupsafe import escape
from portal_helpers import PERIOD, ZS, zs_bytes
from test_api import base, finding, upload
from test_pages import sign_in

from inclusive_check.traceability import load_traceability


def test_each_finding_shows_its_guidance_sentence_the_response_and_the_decision(portal: Any) -> None:
    rev = upload(portal, zs_bytes()).json()
    kpi = finding(rev, "IC10-KPI-WEIGHT")["fingerprint"]
    api = portal.api("zs")
    assert portal.client.put(base(1) + f"/responses/{kpi}", json={"text": "Weight rises in 2026."}, headers=api)
    asked = portal.client.post(
        base(1) + "/dispensation-requests", json={"fingerprint": kpi, "reason": "Set before the guidance."}, headers=api
    ).json()
    decided = portal.client.post(
        f"/api/dispensation-requests/{asked['id']}/decision",
        json={"approve": False, "note": "No letter on file."},
        headers=portal.api("sup"),
    )
    assert decided.status_code == 200
    sentences = [e for e in load_traceability().entries if "IC10-KPI-WEIGHT" in e.rules]
    assert sentences
    client = portal.client
    sign_in(client, "sup")
    for lang in ("en", "zh"):
        page = client.get(f"/filings/{ZS}/{PERIOD}/revisions/1?lang={lang}").text
        row = page.split(f'id="f-{kpi}"', 1)[1].split("</tr>", 1)[0]
        for e in sentences:
            assert f'data-ref="{e.ref}"' in row and str(escape(e.zh if lang == "zh" else e.en)) in row
        assert "Weight rises in 2026." in row and "No letter on file." in row
    assert "指引条目" in client.get(f"/filings/{ZS}/{PERIOD}/revisions/1?lang=zh").text


def test_the_market_page_shows_the_audit_reports_market_section(portal: Any) -> None:
    from inclusive_check.market import market
    from inclusive_check.reports.market import section

    upload(portal, zs_bytes())
    client = portal.client
    sign_in(client, "sup")
    page = client.get(f"/market?period={PERIOD}&lang=en").text
    engine, ruleset = portal.app.state.portal.engine, portal.app.state.portal.ruleset
    with engine.connect() as conn:
        expected = str(section(market(conn, ruleset, "region", PERIOD, None, True), "en"))
    assert expected.strip() and expected in page
    assert page.count("<svg") >= 2  # the scores chart and the section's charts
