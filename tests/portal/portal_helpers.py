"""Documents and accounts the portal's tests share."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
ZS = "ZS-PROP-002"
KN = "KN-HLTH-006"
PERIOD = "2025-Q4"
PASSWORD = "correct horse battery"


def zs_document(**governance: Any) -> dict[str, Any]:
    """ZS-PROP-002's 2025-Q4 sample: one principle failure (IC10-KPI-WEIGHT, 4.99%) and encouraged misses."""
    doc: dict[str, Any] = json.loads((ROOT / "samples/submissions/zs-prop-2025q4.json").read_text("utf-8"))
    doc["governance"].update(governance)
    return doc


def zs_bytes(**governance: Any) -> bytes:
    return json.dumps(zs_document(**governance), ensure_ascii=False, indent=2).encode("utf-8")


def breach_bytes() -> bytes:
    """ZS's submission without internal controls: a mandatory failure (IC10-INTERNAL-CONTROL), which blocks."""
    return zs_bytes(internal_control_policy=False)


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """``app`` served by uvicorn on a free loopback port in a thread; yields its base URL."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


@dataclass
class Portal:
    app: Any
    client: Any
    url: str
    tokens: dict[str, str]

    def api(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


def make_portal(url: str, users: bool = True, **config: Any) -> Portal:
    from fastapi.testclient import TestClient

    from inclusive_check.portal import credentials, service
    from inclusive_check.portal.app import create_app
    from inclusive_check.portal.config import PortalConfig, Window

    windows = {
        "2025-Q4": Window(date(2026, 1, 1), date(2099, 12, 31)),
        "2025": Window(date(2026, 1, 1), date(2099, 12, 31)),
    }
    app = create_app(url, PortalConfig(windows=windows, **config))
    engine = app.state.portal.engine
    tokens = {}
    for name, role, insurer in (("zs", "filer", ZS), ("kn", "filer", KN), ("sup", "supervisor", None)):
        if users:
            service.create_user(engine, name, role, insurer, PASSWORD)
        tokens[name] = credentials.create_token(engine, name)
    return Portal(app, TestClient(app, raise_server_exceptions=False), url, tokens)
