"""The filing portal under load on two nodes (issues 15 and 27): N concurrent filers on loopback upload submissions
of M products, alternating between two `inclusive-check serve` processes on one PostgreSQL database; both nodes
run the scheduled notification sender into a local SMTP sink (aiosmtpd). One JSON line: p95 upload-to-findings,
the board's time for the register's insurers, lost or duplicated revisions and duplicated notifications (each
must be 0). Keys: bench/README.md.

    python bench/serve.py --filers 4 --uploads 3 --products 4000 --board-insurers 250

A scratch database (`ic_bench_serve_<pid>`) is made on the server of --pg and dropped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
from market import Market

PASSWORD = "bench password 1"
PERIOD = "2025"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(base: str, process: subprocess.Popen[bytes], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the node at {base} exited with {process.returncode}")
        try:
            if httpx.get(base + "/login", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the node at {base} did not start")


class Sink:
    """The SMTP sink: keeps each accepted message's Message-ID."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        from email import message_from_bytes

        with self.lock:
            self.ids.append(str(message_from_bytes(envelope.content)["Message-ID"]))
        return "250 accepted"


def season(engine: Any, codes: list[str], total: int) -> None:
    """A register of ``total`` insurers (the filers' codes first) and a calendar where 2025's annual submission is
    due: the board lists every one of them."""
    from inclusive_check.contract.season import CalendarPeriod, RegisteredInsurer
    from inclusive_check.store.season import import_calendar, import_register

    names = codes + [f"BOARD-{i:04d}" for i in range(total - len(codes))]
    register = [
        RegisteredInsurer(code, f"机构{n}", f"Insurer {n}", "property", "private", "medium", "both")
        for n, code in enumerate(names)
    ]
    import_register(engine, register, "bench")
    due = {"annual_submission": date(2099, 4, 30)}
    import_calendar(engine, [CalendarPeriod(PERIOD, date(2026, 1, 1), due)], "bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--filers", type=int, default=4)
    parser.add_argument("--uploads", type=int, default=3, help="uploads per filer")
    parser.add_argument("--products", type=int, default=4000)
    parser.add_argument("--board-insurers", type=int, default=250)
    parser.add_argument("--interval", type=int, default=1, help="each node's notification interval (seconds)")
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()

    from aiosmtpd.controller import Controller

    from inclusive_check.portal import credentials, notify_service, service
    from inclusive_check.store.db import open_store

    name = f"ic_bench_serve_{os.getpid()}"
    admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(args.pg).set(database=name).render_as_string(hide_password=False)
    nodes: list[subprocess.Popen[bytes]] = []
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    work = Path(tempfile.mkdtemp(prefix="ic-bench-serve-"))
    try:
        engine = open_store(url)
        market = Market(7)
        docs = [json.dumps(market.submission(i, args.products), indent=1).encode() for i in range(args.filers)]
        codes = [json.loads(d)["insurer"]["code"] for d in docs]
        tokens = []
        for i, code in enumerate(codes):
            service.create_user(engine, f"filer{i}", "filer", code, PASSWORD)
            notify_service.set_contact(engine, f"filer{i}", f"filer{i}@example.org", None)
            tokens.append(credentials.create_token(engine, f"filer{i}"))
        service.create_user(engine, "supervisor", "supervisor", None, PASSWORD)
        notify_service.set_contact(engine, "supervisor", "supervisor@example.org", None)
        supervisor = credentials.create_token(engine, "supervisor")
        season(engine, codes, args.board_insurers)
        engine.dispose()

        config = work / "portal.toml"
        config.write_text(
            f'[notify]\nhost = "127.0.0.1"\nport = {controller.port}\ninterval_seconds = {args.interval}\n', "utf-8"
        )
        bases = []
        for n in range(2):
            port = free_port()
            bases.append(f"http://127.0.0.1:{port}")
            with (work / f"node{n}.log").open("wb") as log:
                command = [sys.executable, "-m", "inclusive_check", "serve", "--db", url, "--port", str(port)]
                nodes.append(subprocess.Popen([*command, "--config", str(config)], stdout=log, stderr=log))
        for base, process in zip(bases, nodes, strict=True):
            wait_for(base, process)

        latencies: list[float] = []
        sequences: dict[str, list[int]] = {code: [] for code in codes}
        errors: list[str] = []
        lock = threading.Lock()

        def filer(i: int) -> None:
            for n in range(args.uploads):
                base = bases[(i + n) % 2]  # each filer alternates between the nodes
                doc = json.loads(docs[i])
                doc["governance"]["lead_department"] = f"普惠保险部 {n}"  # new bytes: a new revision
                body = json.dumps(doc, indent=1).encode()
                started = time.perf_counter()
                r = httpx.post(
                    base + "/api/revisions",
                    content=body,
                    headers={"Authorization": f"Bearer {tokens[i]}", "Content-Type": "application/json"},
                    timeout=600,
                )
                took = time.perf_counter() - started
                with lock:
                    if r.status_code == 201 and r.json()["document"] is not None:
                        latencies.append(took)
                        sequences[codes[i]].append(r.json()["sequence"])
                    else:
                        errors.append(f"{r.status_code} {r.text[:200]}")

        started = time.perf_counter()
        threads = [threading.Thread(target=filer, args=(i,)) for i in range(args.filers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started

        board_times, board_rows = [], None
        for n in range(6):
            began = time.perf_counter()
            board = httpx.get(
                bases[n % 2] + f"/api/board?period={PERIOD}",
                headers={"Authorization": f"Bearer {supervisor}"},
                timeout=120,
            )
            board_times.append(time.perf_counter() - began)
            board_rows = len(board.json()) if board.status_code == 200 else None

        check = create_engine(url)
        deadline = time.monotonic() + 180  # the nodes' senders empty the outbox
        while time.monotonic() < deadline:
            with check.connect() as conn:
                waiting = conn.execute(
                    text("SELECT count(*) FROM notify_outbox WHERE state IN ('pending', 'sending')")
                ).scalar_one()
            if waiting == 0:
                break
            time.sleep(0.5)
        time.sleep(3 * args.interval)  # more rounds of both senders: a copy would show now
        with check.connect() as conn:
            stored = conn.execute(text("SELECT insurer_code, sequence FROM portal_revisions")).all()
            outbox = dict(conn.execute(text("SELECT state, count(*) FROM notify_outbox GROUP BY state")).all())
        check.dispose()
        with sink.lock:
            ids = list(sink.ids)
        expected = args.filers * args.uploads
        answered = [s for seqs in sequences.values() for s in seqs]
        duplicated = sum(len(seqs) - len(set(seqs)) for seqs in sequences.values())
        line = {
            "bench": "serve",
            "nodes": 2,
            "filers": args.filers,
            "uploads_per_filer": args.uploads,
            "products": args.products,
            "upload_bytes": len(docs[0]),
            "uploads_per_second": round(len(answered) / wall, 3),
            "upload_p50_s": round(statistics.median(latencies), 3) if latencies else None,
            "upload_p95_s": round(statistics.quantiles(latencies, n=20)[-1], 3) if len(latencies) > 1 else None,
            "lost_revisions": expected - len(stored),
            "duplicated_revisions": duplicated + len(stored) - len(set(stored)),
            "errors": len(errors),
            "board_insurers": board_rows,
            "board_median_s": round(statistics.median(board_times), 3),
            "notifications_sent": len(ids),
            "notifications_duplicated": len(ids) - len(set(ids)),
            "notifications_undelivered": sum(n for state, n in outbox.items() if state not in ("sent", "no_address")),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_after": round(os.getloadavg()[0], 2),
        }
        print(json.dumps(line))
        if errors:
            print("\n".join(errors[:5]), file=sys.stderr)
    finally:
        for process in nodes:
            process.terminate()
            process.wait(30)
        controller.stop()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
