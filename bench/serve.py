"""The filing portal under load (issue 15): N concurrent filers on loopback upload submissions of M products to a
portal on PostgreSQL (`inclusive-check serve`, a child process); one JSON line with throughput, p50/p95 upload
latency (upload to findings), lost or duplicated revisions (must be 0) and the status board's latency.

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
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
from market import Market

PASSWORD = "bench password 1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(base: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/openapi.json", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit("the portal did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--filers", type=int, default=4)
    parser.add_argument("--uploads", type=int, default=3, help="uploads per filer")
    parser.add_argument("--products", type=int, default=4000)
    parser.add_argument("--board-insurers", type=int, default=250)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers")
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()

    from inclusive_check.portal import service
    from inclusive_check.store import tables as t
    from inclusive_check.store.db import open_store

    name = f"ic_bench_serve_{os.getpid()}"
    admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(args.pg).set(database=name).render_as_string(hide_password=False)
    server = None
    try:
        engine = open_store(url)
        market = Market(7)
        docs = [json.dumps(market.submission(i, args.products), indent=1).encode() for i in range(args.filers)]
        codes = [json.loads(d)["insurer"]["code"] for d in docs]
        tokens = []
        for i, code in enumerate(codes):
            service.create_user(engine, f"filer{i}", "filer", code, PASSWORD)
            tokens.append(service.create_token(engine, f"filer{i}"))
        service.create_user(engine, "supervisor", "supervisor", None, PASSWORD)
        supervisor = service.create_token(engine, "supervisor")
        with engine.begin() as conn:  # the rest of the market, for the board
            conn.execute(
                insert(t.insurers),
                [{"code": f"BOARD-{i:04d}", "name": None} for i in range(args.board_insurers - args.filers)],
            )
        engine.dispose()

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "inclusive_check",
                "serve",
                "--db",
                url,
                "--port",
                str(port),
                "--workers",
                str(args.workers),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(base)

        latencies: list[float] = []
        sequences: dict[str, list[int]] = {code: [] for code in codes}
        errors: list[str] = []
        lock = threading.Lock()

        def filer(i: int) -> None:
            with httpx.Client(base_url=base, timeout=300) as client:
                for n in range(args.uploads):
                    doc = json.loads(docs[i])
                    doc["governance"]["lead_department"] = f"普惠保险部 {n}"  # new bytes: a new revision
                    body = json.dumps(doc, indent=1).encode()
                    started = time.perf_counter()
                    r = client.post(
                        f"/api/filings/{codes[i]}/2025/revisions",
                        content=body,
                        headers={"Authorization": f"Bearer {tokens[i]}", "Content-Type": "application/json"},
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

        board_times = []
        with httpx.Client(base_url=base, timeout=60) as client:
            for _ in range(5):
                began = time.perf_counter()
                board = client.get("/api/board?period=2025", headers={"Authorization": f"Bearer {supervisor}"})
                board_times.append(time.perf_counter() - began)
        check = create_engine(url)
        with check.connect() as conn:
            stored = conn.execute(text("SELECT insurer_code, sequence FROM portal_revisions")).all()
        check.dispose()
        expected = args.filers * args.uploads
        answered = [s for seqs in sequences.values() for s in seqs]
        duplicated = sum(len(seqs) - len(set(seqs)) for seqs in sequences.values())
        line = {
            "bench": "serve",
            "filers": args.filers,
            "uploads_per_filer": args.uploads,
            "products": args.products,
            "workers": args.workers,
            "upload_bytes": len(docs[0]),
            "uploads_per_second": round(len(answered) / wall, 3),
            "upload_p50_s": round(statistics.median(latencies), 3) if latencies else None,
            "upload_p95_s": round(statistics.quantiles(latencies, n=20)[-1], 3) if len(latencies) > 1 else None,
            "lost_revisions": expected - len(stored),
            "duplicated_revisions": duplicated + len(stored) - len(set(stored)),
            "errors": len(errors),
            "board_insurers": len(board.json()) if board.status_code == 200 else None,
            "board_median_s": round(statistics.median(board_times), 3),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
        }
        print(json.dumps(line))
        if errors:
            print("\n".join(errors[:5]), file=sys.stderr)
    finally:
        if server is not None:
            server.terminate()
            server.wait(30)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
