"""Notifications delivered by e-mail to a local SMTP sink on loopback (aiosmtpd): each once, in the recipient's
language or both; a failed delivery retried later without a copy; a 5xx given up and reported; two `notify send`
at once against one PostgreSQL deliver each message once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from portal_helpers import PERIOD, ZS, zs_bytes
from smtp_sink import free_port, smtp_sink
from sqlalchemy import insert, select
from test_api import upload
from test_notify import sign

from inclusive_check.cli import cli
from inclusive_check.portal import notify_service
from inclusive_check.portal.notify_config import NotifyConfig
from inclusive_check.portal.notify_mail import send_once
from inclusive_check.store import notify as outbox
from inclusive_check.store import tables as t


def _send(url: str, *args: str) -> Any:
    return CliRunner().invoke(cli, ["--db", url, "notify", "send", *args])


def _events(portal: Any) -> None:
    """ZS uploads and signs; the supervisor accepts: 3 notifications for ZS's filer, 1 for the supervisor."""
    engine = portal.app.state.portal.engine
    notify_service.set_contact(engine, "zs", "zs@example.org", "en")
    notify_service.set_contact(engine, "sup", "sup@example.org", None)  # no language: both
    assert upload(portal, zs_bytes()).status_code == 201
    sign(portal, 1)
    accepted = portal.client.post(
        f"/api/filings/{ZS}/{PERIOD}/review", json={"action": "accepted"}, headers=portal.api("sup")
    )
    assert accepted.status_code == 200


def test_each_notification_is_received_once(portal: Any) -> None:
    _events(portal)
    with smtp_sink() as sink:
        one = _send(portal.url, "--smtp", sink.address, "--from", "portal@example.org", "--limit", "1")
        assert one.exit_code == 0 and "1 e-mail(s) sent" in one.output, one.output
        first = _send(portal.url, "--smtp", sink.address, "--from", "portal@example.org")
        assert first.exit_code == 0, first.output
        assert "0 notification(s) enqueued; 3 e-mail(s) sent" in first.output
        again = _send(portal.url, "--smtp", sink.address, "--format", "json")
        assert again.exit_code == 0 and json.loads(again.output)["sent"] == 0
        ids = sink.ids()
        assert len(ids) == len(set(ids)) == 4
        assert sorted(sink.to()) == ["sup@example.org"] + ["zs@example.org"] * 3
        by_to = {str(m["To"]): m for m in sink.messages}
        zs_subjects = sorted(str(m["Subject"]) for m in sink.messages if m["To"] == "zs@example.org")
        assert zs_subjects == [
            f"Revision 1 of the {ZS} {PERIOD} filing was received",
            f"Revision 1 of the {ZS} {PERIOD} filing was signed",
            f"The {ZS} {PERIOD} filing was accepted",
        ]  # its language only
        sup = by_to["sup@example.org"]
        body = sup.get_content()
        assert "已签署" in str(sup["Subject"]) and "was signed" in str(sup["Subject"])  # both languages
        assert "等待监管审核" in body and "awaits the supervisor's review" in body
        assert sup["From"] == "portal@example.org"
    status = CliRunner().invoke(cli, ["--db", portal.url, "notify", "status", "--format", "json"])
    assert json.loads(status.output)["counts"]["sent"] == 4


def test_a_failed_delivery_is_retried_later_and_never_duplicated(portal: Any) -> None:
    engine = portal.app.state.portal.engine
    _events(portal)
    port = free_port()  # nothing listens there yet
    down = _send(portal.url, "--smtp", f"127.0.0.1:{port}")
    assert down.exit_code == 4, down.output
    assert "cannot deliver through the SMTP server" in down.output and "Traceback" not in down.output
    assert "4 to retry later" in down.output
    assert outbox.outbox_counts(engine)["pending"] == 4
    config = NotifyConfig(host="127.0.0.1", port=port, due_days=(7,))
    with smtp_sink(port) as sink:
        early = _send(portal.url, "--smtp", f"127.0.0.1:{port}")  # the backoff has not run out: nothing due yet
        assert early.exit_code == 0 and sink.ids() == []
        sink.refuse_next, sink.refusal = 1, "451 4.7.1 greylisted, try again later"
        later = datetime.now() + timedelta(minutes=2)
        one_refused = send_once(engine, config, "node-a", now=later)
        assert one_refused.sent == 3 and one_refused.retry == 1 and "greylisted" in one_refused.problems[0]
        assert send_once(engine, config, "node-a", now=later).sent == 0  # not yet: backoff (2 minutes)
        rest = send_once(engine, config, "node-b", now=later + timedelta(minutes=3))
        assert rest.sent == 1 and rest.ok
        assert send_once(engine, config, "node-b", now=later + timedelta(hours=7)).sent == 0
        ids = sink.ids()
        assert len(ids) == len(set(ids)) == 4
    assert outbox.outbox_counts(engine)["sent"] == 4


def test_a_refusal_for_good_is_given_up_and_reported(portal: Any) -> None:
    engine = portal.app.state.portal.engine
    _events(portal)
    with smtp_sink() as sink:
        sink.refuse_next, sink.refusal = 1, "550 5.1.1 no such mailbox"
        result = _send(portal.url, "--smtp", sink.address)
        assert result.exit_code == 4 and "no such mailbox" in result.output and "1 given up" in result.output
        assert _send(portal.url, "--smtp", sink.address).exit_code == 0
        assert len(sink.ids()) == 3
    counts = outbox.outbox_counts(engine)
    assert counts["failed"] == 1 and counts["sent"] == 3
    status = CliRunner().invoke(cli, ["--db", portal.url, "notify", "status"])
    assert status.exit_code == 0 and "failed 1" in status.output and "550" in status.output


def test_two_senders_at_once_on_postgresql_deliver_each_once(pg_store: Any, tmp_path: Path) -> None:
    from portal_helpers import make_portal

    url = pg_store.url.render_as_string(hide_password=False)
    portal = make_portal(url)
    engine = portal.app.state.portal.engine
    try:
        with engine.begin() as conn:  # 40 more filers of ZS (a hash that never verifies: they only receive)
            conn.execute(
                insert(t.portal_users),
                [
                    {
                        "name": f"zs-{i}",
                        "role": "filer",
                        "insurer_code": ZS,
                        "password_hash": "x",
                        "created_at": datetime(2000, 1, 1),
                        "email": f"zs-{i}@example.org",
                    }
                    for i in range(40)
                ],
            )
        upload(portal, zs_bytes())
        upload(portal, zs_bytes(lead_department="普惠金融部"))
        expected = 80
        config = tmp_path / "portal.toml"
        with smtp_sink() as sink:
            config.write_text(f'[notify]\nhost = "127.0.0.1"\nport = {sink.port}\nbatch = 3\n', "utf-8")
            env = {**os.environ, "INCLUSIVE_CHECK_DATABASE_URL": url}
            command = [sys.executable, "-m", "inclusive_check", "notify", "send", "--config", str(config)]
            senders = [
                subprocess.Popen([*command, "--format", "json"], env=env, stdout=subprocess.PIPE, text=True)
                for _ in range(2)
            ]
            outs = [json.loads(p.communicate(timeout=300)[0]) for p in senders]
            assert [p.returncode for p in senders] == [0, 0]
            ids = sink.ids()
        assert sum(o["sent"] for o in outs) == expected == len(ids) == len(set(ids))
        o = t.notify_outbox.c
        with engine.connect() as conn:
            states = conn.execute(select(o.state).where(o.state != "sent", o.state != "no_address")).all()
        assert states == []
    finally:
        portal.client.close()
        engine.dispose()


def test_the_server_sends_on_its_schedule(db_url: str) -> None:
    """The app's lifespan runs the sender every interval_seconds (on each backend), and stops with the app."""
    import time

    from portal_helpers import make_portal

    with smtp_sink() as sink:
        config = NotifyConfig(host="127.0.0.1", port=sink.port, interval_seconds=1)
        portal = make_portal(db_url, notify=config)
        engine = portal.app.state.portal.engine
        try:
            notify_service.set_contact(engine, "zs", "zs@example.org", "zh")
            with portal.client:  # the lifespan: the scheduled sender starts
                assert upload(portal, zs_bytes()).status_code == 201
                deadline = time.monotonic() + 60
                while not sink.ids():
                    assert time.monotonic() < deadline, "the scheduled sender sent nothing"
                    time.sleep(0.2)
            assert [str(m["Subject"]) for m in sink.messages] == [f"已收到 {ZS} {PERIOD} 报送的第 1 版"]
            assert outbox.outbox_counts(engine)["sent"] == 1
        finally:
            engine.dispose()
