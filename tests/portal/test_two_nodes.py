"""Two nodes, one database: two `inclusive-check serve` processes on different loopback ports against one
PostgreSQL. A session made on one works on the other (sessions, CSRF and login limits live in the database, not in
a process), uploads and decisions on either are seen by both, and each notification is e-mailed once although
both nodes run the scheduled sender. Bounded: every wait has a deadline."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
from portal_helpers import PASSWORD, PERIOD, ZS, zs_bytes
from smtp_sink import free_port, smtp_sink
from sqlalchemy import select

httpx = pytest.importorskip("httpx")


@contextmanager
def node(url: str, config: Path, log: Path) -> Iterator[str]:
    """`inclusive-check serve` on a free loopback port; yields its base URL; stopped at the end."""
    port = free_port()
    command = [sys.executable, "-m", "inclusive_check", "serve", "--db", url, "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen([*command, "--config", str(config)], stdout=out, stderr=out, env=dict(os.environ))
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, log.read_text("utf-8", "replace")
            try:
                if httpx.get(base + "/login", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the node did not start: " + log.read_text("utf-8", "replace")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(30)


def until(check: Any, what: str, seconds: float = 60) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.2)


def test_two_nodes_share_sessions_filings_decisions_and_send_each_notification_once(
    pg_store: Any, tmp_path: Path
) -> None:
    from inclusive_check.portal import credentials, notify_service, service
    from inclusive_check.store import tables as t

    engine = pg_store
    url = engine.url.render_as_string(hide_password=False)
    service.create_user(engine, "zs", "filer", ZS, PASSWORD)
    service.create_user(engine, "sup", "supervisor", None, PASSWORD)
    notify_service.set_contact(engine, "zs", "zs@example.org", "en")
    filer, supervisor = (
        {"Authorization": f"Bearer {credentials.create_token(engine, name)}"} for name in ("zs", "sup")
    )
    with ExitStack() as stack:
        sink = stack.enter_context(smtp_sink())
        config = tmp_path / "portal.toml"
        config.write_text(
            f'[notify]\nhost = "127.0.0.1"\nport = {sink.port}\ninterval_seconds = 1\nbatch = 2\n', "utf-8"
        )
        a = stack.enter_context(node(url, config, tmp_path / "a.log"))
        b = stack.enter_context(node(url, config, tmp_path / "b.log"))
        on_a = stack.enter_context(httpx.Client(base_url=a, timeout=120))
        on_b = stack.enter_context(httpx.Client(base_url=b, timeout=120))

        # a session made on A works on B (and its CSRF token with it)
        on_a.get("/login")
        csrf = on_a.cookies["ic_csrf"]
        assert on_a.post("/login", data={"name": "zs", "password": PASSWORD, "csrf": csrf}).status_code == 303
        for name in ("ic_session", "ic_csrf"):
            on_b.cookies.set(name, on_a.cookies[name])
        home = on_b.get("/")
        assert home.status_code == 200 and ZS in home.text
        # an upload through B's form is seen on A (page and API)
        filed = on_b.post("/file", data={"csrf": csrf}, files={"file": ("zs.json", zs_bytes(), "application/json")})
        assert filed.status_code == 303, filed.text
        assert on_a.get(f"/filings/{ZS}/{PERIOD}/revisions/1").status_code == 200
        revision = on_a.get(f"/api/filings/{ZS}/{PERIOD}/revisions/1", headers=filer).json()
        kpi = next(f for f in revision["document"]["findings"] if f["rule_id"] == "IC10-KPI-WEIGHT")

        # a request on A, decided on B, seen on A
        asked = on_a.post(
            f"/api/filings/{ZS}/{PERIOD}/revisions/1/dispensation-requests",
            json={"fingerprint": kpi["fingerprint"], "reason": "raised in 2026"},
            headers=filer,
        )
        assert asked.status_code == 201, asked.text
        decided = on_b.post(
            f"/api/dispensation-requests/{asked.json()['id']}/decision",
            json={"approve": True, "expires": "2099-12-31", "note": "ok for 2025"},
            headers=supervisor,
        )
        assert decided.status_code == 200, decided.text
        seen = on_a.get(f"/api/filings/{ZS}/{PERIOD}/revisions/1", headers=filer).json()
        assert seen["requests"][0]["state"] == "approved" and seen["dispensed"]

        # both nodes send on their schedule; each notification arrives once
        o = t.notify_outbox.c

        def all_sent() -> bool:
            with engine.connect() as conn:
                states = conn.execute(select(o.state).where(o.state != "no_address")).scalars().all()
            return len(states) == 2 and set(states) == {"sent"}

        until(all_sent, "both notifications to be sent")
        until(lambda: len(sink.ids()) >= 2, "the sink to have both messages")
        time.sleep(3)  # three more rounds of both schedulers: nothing is sent again
        ids = sink.ids()
        assert len(ids) == len(set(ids)) == 2
        subjects = sorted(str(m["Subject"]) for m in sink.messages)
        assert subjects[0].startswith("Dispensation request") and "was received" in subjects[1]
        # the inbox on either node shows the same
        assert [x["kind"] for x in on_b.get("/api/notifications", headers=filer).json()] == [
            "dispensation_decided",
            "revision_received",
        ]

        # signing out on B ends the session on A too
        assert on_b.post("/logout", data={"csrf": csrf}).status_code == 303
        assert on_a.get("/", follow_redirects=False).headers["location"] == "/login"
