"""Tenant isolation (from the route table), CSRF, headers, login limits, sessions, hashed secrets, the append-only
audit log and concurrent uploads."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest
from portal_helpers import KN, PASSWORD, PERIOD, ROOT, ZS, serving, zs_bytes
from sqlalchemy import text

KN_PERIOD = "2025"
JSON = {"Content-Type": "application/json"}


def login(portal: Any, name: str, password: str = PASSWORD) -> Any:
    portal.client.get("/login")  # sets the CSRF cookie
    csrf = portal.client.cookies.get("ic_csrf")
    return portal.client.post("/login", data={"name": name, "password": password, "csrf": csrf}, follow_redirects=False)


def kn_resources(portal: Any) -> dict[str, str]:
    """KN-HLTH-006 files its sample and asks for a dispensation: the resources ZS's filer must not reach."""
    from inclusive_check.portal import credentials

    raw = (ROOT / "samples/submissions/kn-health-2025.json").read_bytes()
    rev = portal.client.post(
        f"/api/filings/{KN}/{KN_PERIOD}/revisions", content=raw, headers={**portal.api("kn"), **JSON}
    ).json()
    principle = next(f for f in rev["document"]["findings"] if f["status"] == "fail" and f["strength"] == "principle")
    request = portal.client.post(
        f"/api/filings/{KN}/{KN_PERIOD}/revisions/1/dispensation-requests",
        json={"fingerprint": principle["fingerprint"], "reason": "why not"},
        headers=portal.api("kn"),
    ).json()
    return {
        "name": rev["document"]["insurer"]["name"],
        "sha256": rev["sha256"],
        "insurer": KN,
        "period": KN_PERIOD,
        "sequence": "1",
        "fingerprint": principle["fingerprint"],
        "request_id": str(request["id"]),
        "user": "kn",  # KN's filer account, and its token: only a supervisor manages accounts
        "token_id": str(next(x.id for x in credentials.list_tokens(portal.app.state.portal.engine, "kn"))),
        # KN's filer's notification (its upload was received): the inbox's routes (portal/notify_routes.py)
        "notification": str(portal.client.get("/api/notifications", headers=portal.api("kn")).json()[0]["id"]),
    }


# Routes that hold no insurer's data: public ones, and signing in and out (which would end the test's session).
PUBLIC = {"/login", "/logout", "/static/portal.css", "/openapi.json"}


def every_route(routes: Any) -> Any:
    """The app's routes, included routers flattened (FastAPI nests them)."""
    for route in routes:
        if hasattr(route, "original_router"):
            yield from every_route(route.original_router.routes)
        else:
            yield route


def test_a_filer_reaches_nothing_of_another_insurer_on_any_route(portal: Any) -> None:
    """Every route of the app, read from its route table: with another insurer's identifiers in the path, a
    filer gets 404 (never 403, never the data); a route without parameters shows nothing of the other insurer."""
    values = kn_resources(portal)
    login(portal, "zs")
    csrf = portal.client.cookies.get("ic_csrf")
    checked = 0
    # one body every API action accepts, so that what answers is the route's access check, not validation
    body = {
        "text": "x",
        "fingerprint": values["fingerprint"],
        "reason": "x",
        "attest": True,
        "action": "accepted",
        "note": "x",
        "approve": True,
        "expires": "2099-12-31",
        "password": "long enough to be valid",
    }
    for route in every_route(portal.app.routes):
        if route.path in PUBLIC:
            continue
        names = re.findall(r"{(\w+)(?::\w+)?}", route.path)
        unknown = set(names) - set(values) - {"name", "sha256"}
        assert not unknown, f"{route.path}: add parameter(s) {unknown} to this test's table of the other insurer"
        url = route.path
        for name in names:
            url = re.sub(r"{" + name + r"(?::\w+)?}", values[name], url)
        for method in sorted((route.methods or set()) - {"HEAD"}):
            api = url.startswith("/api/")
            headers = portal.api("zs") if api else {}
            if method == "GET":
                response = portal.client.get(url + "?before=1&after=1&period=2025", headers=headers)
            elif api:
                response = portal.client.request(method, url, json=body, headers=headers, follow_redirects=False)
            else:
                response = portal.client.request(
                    method,
                    url,
                    data={"csrf": csrf, "text": "x", "fingerprint": values["fingerprint"]},
                    follow_redirects=False,
                )
            checked += 1
            if names:
                assert response.status_code == 404, f"{method} {url} answered {response.status_code}"
            shown = [v for v in (values["name"], values["sha256"]) + (() if names else (KN,)) if v in response.text]
            assert not shown, f"{method} {url} shows {shown}"
    assert checked >= 28
    # nothing of KN's changed, and KN's own filer still sees it (the URLs above were real ones)
    rev = portal.client.get(f"/api/filings/{KN}/{KN_PERIOD}/revisions/1", headers=portal.api("kn")).json()
    assert rev["responses"] == {} and rev["receipt"] is None and rev["requests"][0]["state"] == "pending"


def test_state_changing_forms_need_the_csrf_token(portal: Any) -> None:
    portal.client.get("/login")
    no_token = portal.client.post("/login", data={"name": "zs", "password": PASSWORD}, follow_redirects=False)
    assert no_token.status_code == 403
    assert login(portal, "zs").status_code == 303
    raw = zs_bytes()
    files = {"file": ("zs.json", raw, "application/json")}
    forged = portal.client.post("/file", data={"csrf": "forged"}, files=files)
    assert forged.status_code == 403
    missing = portal.client.post("/file", data={}, files=files)
    assert missing.status_code == 403
    assert portal.client.get(f"/api/filings/{ZS}/{PERIOD}", headers=portal.api("zs")).json()["revisions"] == []
    csrf = portal.client.cookies.get("ic_csrf")
    done = portal.client.post("/file", data={"csrf": csrf}, files=files, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/filings/{ZS}/{PERIOD}/revisions/1"


def test_security_headers_on_pages_and_api(portal: Any) -> None:
    login(portal, "zs")
    for response in (portal.client.get("/login"), portal.client.get("/"), portal.client.get("/api/me")):
        csp = response.headers["content-security-policy"]
        assert "script-src 'none'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
    page = portal.client.get("/").text
    assert "<script" not in page and " style=" not in page
    assert 'for="file"' in page and 'id="file"' in page  # labelled fields (no period: the file states it)


def test_logins_are_limited_per_account_and_per_address(portal_factory: Any) -> None:
    portal = portal_factory(login_failures_per_account=3, login_failures_per_address=5)
    for _ in range(3):
        assert login(portal, "zs", "wrong password").status_code == 401
    limited = login(portal, "zs")  # the right password, too late
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert login(portal, "kn").status_code == 303  # another account from the same address: 3 failures < 5
    for name in ("nobody", "someone"):
        login(portal, name, "guess")
    assert login(portal, "sup").status_code == 429  # the address reached 5 failures


def test_sessions_expire_and_secrets_are_stored_hashed(portal: Any) -> None:
    assert login(portal, "zs").status_code == 303
    cookie = portal.client.cookies.get("ic_session")
    assert portal.client.get("/", follow_redirects=False).status_code == 200
    engine = portal.app.state.portal.engine
    with engine.begin() as conn:
        hashes = [r[0] for r in conn.execute(text("SELECT password_hash FROM portal_users"))]
        stored = [
            r[0]
            for r in conn.execute(
                text("SELECT token_hash FROM portal_tokens UNION ALL SELECT token_hash FROM portal_sessions")
            )
        ]
        conn.execute(text("UPDATE portal_sessions SET expires_at = :past"), {"past": "2000-01-01 00:00:00"})
    assert all(h.startswith("$argon2id$") for h in hashes)
    assert cookie not in stored and not set(portal.tokens.values()) & set(stored)
    expired = portal.client.get("/", follow_redirects=False)
    assert expired.status_code == 303 and expired.headers["location"] == "/login"


def test_the_audit_log_is_append_only(portal: Any) -> None:
    login(portal, "zs")
    engine = portal.app.state.portal.engine
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM portal_audit_log")).scalar_one() > 0
    for statement in ("UPDATE portal_audit_log SET actor = 'someone else'", "DELETE FROM portal_audit_log"):
        with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))


def test_concurrent_uploads_get_distinct_sequences_and_none_is_lost(pg_store: Any) -> None:
    """Eight clients upload the same filing at once through a real server on loopback (PostgreSQL)."""
    import httpx

    url = pg_store.url.render_as_string(hide_password=False)
    portal = make_portal_on(url)
    token = portal["token"]
    bodies = [zs_bytes(lead_department=f"普惠保险部 {n}") for n in range(8)]
    results: list[Any] = [None] * len(bodies)
    barrier = threading.Barrier(len(bodies))

    def one(n: int, base: str) -> None:
        with httpx.Client(base_url=base, timeout=120) as client:
            barrier.wait()
            results[n] = client.post(
                f"/api/filings/{ZS}/{PERIOD}/revisions",
                content=bodies[n],
                headers={"Authorization": f"Bearer {token}", **JSON},
            )

    with serving(portal["app"]) as base:
        threads = [threading.Thread(target=one, args=(n, base)) for n in range(len(bodies))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert [r.status_code for r in results] == [201] * len(bodies)
    sequences = sorted(r.json()["sequence"] for r in results)
    assert sequences == list(range(1, len(bodies) + 1))
    by_sha = {r.json()["sha256"]: r.json()["sequence"] for r in results}
    with pg_store.connect() as conn:
        stored = {r.sha256: r.sequence for r in conn.execute(text("SELECT sha256, sequence FROM portal_revisions"))}
    assert stored == by_sha and len(stored) == len(bodies)
    portal["app"].state.portal.engine.dispose()


def make_portal_on(url: str) -> dict[str, Any]:
    from inclusive_check.portal import credentials, service
    from inclusive_check.portal.app import create_app

    app = create_app(url)
    service.create_user(app.state.portal.engine, "zs", "filer", ZS, PASSWORD)
    return {"app": app, "token": credentials.create_token(app.state.portal.engine, "zs")}
