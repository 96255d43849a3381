"""The portal on each backend, with a filer of ZS-PROP-002, a filer of KN-HLTH-006 and a supervisor."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from portal_helpers import Portal, make_portal

pytest.importorskip("fastapi")


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
