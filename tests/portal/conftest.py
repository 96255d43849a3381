"""The portal on each backend, with a filer of ZS-PROP-002, a filer of KN-HLTH-006 and a supervisor."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from portal_helpers import KN, PASSWORD, ZS

pytest.importorskip("fastapi")


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


@pytest.fixture
def portal_factory(db_url: str) -> Iterator[Any]:
    """Makes the portal on this backend's database with the configuration given (users made once)."""
    made: list[Portal] = []

    def make(**config: Any) -> Portal:
        portal = make_portal(db_url, users=not made, **config)
        made.append(portal)
        return portal

    yield make
    for portal in made:
        portal.client.close()
        portal.app.state.portal.engine.dispose()


@pytest.fixture
def portal(portal_factory: Any) -> Portal:
    made: Portal = portal_factory()
    return made
