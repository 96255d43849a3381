"""The pages without a browser: a filer's and a supervisor's journey through the forms (zh and en)."""

from __future__ import annotations

import re
from typing import Any

from portal_helpers import PASSWORD, PERIOD, ZS, breach_bytes, zs_bytes


def sign_in(client: Any, name: str) -> str:
    client.get("/login")
    csrf = client.cookies.get("ic_csrf")
    assert client.post("/login", data={"name": name, "password": PASSWORD, "csrf": csrf}).status_code == 200
    return str(csrf)


def test_filer_and_supervisor_journeys_through_the_forms(portal: Any) -> None:
    client = portal.client
    csrf = sign_in(client, "zs")
    page = client.post("/file", data={"csrf": csrf}, files={"file": ("a.json", breach_bytes())})
    assert page.status_code == 200 and 'id="blocking"' in page.text and "IC10-INTERNAL-CONTROL" in page.text
    refused = client.post(f"/filings/{ZS}/{PERIOD}/revisions/1/sign", data={"csrf": csrf, "attest": "yes"})
    assert refused.status_code == 409 and "blocking" in refused.text

    page = client.post("/file", data={"csrf": csrf}, files={"file": ("b.json", zs_bytes())})
    assert "revisions/2" in str(page.url)
    fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]{32})"', page.text)
    assert fingerprint is not None
    answered = client.post(
        f"/filings/{ZS}/{PERIOD}/revisions/2/respond",
        data={"csrf": csrf, "fingerprint": fingerprint.group(1), "text": "权重将于2026年提高至5%。"},
    )
    assert "权重将于2026年提高至5%。" in answered.text
    signed = client.post(f"/filings/{ZS}/{PERIOD}/revisions/2/sign", data={"csrf": csrf, "attest": "yes"})
    assert signed.status_code == 200 and 'id="receipt"' in signed.text and "回执" in signed.text
    english = client.get(f"/filings/{ZS}/{PERIOD}/revisions/2?lang=en")
    assert "Receipt" in english.text and "SHA-256 of the file" in english.text

    client.cookies.clear()
    csrf = sign_in(client, "sup")
    board = client.get(f"/board?period={PERIOD}&lang=en")
    assert re.search(rf"{ZS}</a></td>\s*<td class=\"state signed\">", board.text)
    accepted = client.post(f"/filings/{ZS}/{PERIOD}/review", data={"csrf": csrf, "action": "accepted", "note": ""})
    assert accepted.status_code == 200
    board = client.get(f"/board?period={PERIOD}&lang=en")
    assert re.search(rf"{ZS}</a></td>\s*<td class=\"state accepted\">", board.text)
    market = client.get(f"/market?period={PERIOD}")
    assert "<svg" in market.text and ZS in market.text
    audit = client.get("/audit")
    assert "revision.sign" in audit.text and "filing.accept" in audit.text
