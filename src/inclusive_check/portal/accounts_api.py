"""The supervisor's credential endpoints of the JSON API: list users and tokens, disable or enable a user, set a
password, revoke a token (portal/credentials.py does the work and the audit). A filer is answered 404 (as for
anything not theirs)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from . import credentials, service
from .api import PROBLEMS, User, _address, _portal
from .models import Time

router = APIRouter(prefix="/api", responses=PROBLEMS)
USER = Annotated[str, Path(min_length=1, max_length=100, description="A user's name.")]
TOKEN_ID = Annotated[int, Path(ge=1, le=2**31 - 1, description="A token's id (GET /api/tokens).")]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Account(_Out):
    name: str
    role: str
    insurer: str | None
    created_at: Time
    disabled_at: Time | None


class Token(_Out):
    id: int
    user: str
    name: str | None
    state: str = Field(description="active, expired or revoked")
    created_at: Time
    expires_at: Time | None
    last_used_at: Time | None
    revoked_at: Time | None


class PasswordIn(BaseModel):
    password: str = Field(min_length=8, max_length=1000)


def _supervisor(user: service.User) -> None:
    if not user.supervisor:
        raise service.NotFound("only a supervisor manages accounts")


def _account(engine: Any, name: str) -> dict[str, Any]:
    for item in credentials.list_users(engine):
        if item.name == name:
            found: dict[str, Any] = item.as_dict()
            return found
    raise service.NotFound(f"no user named {name!r}")


@router.get("/users", response_model=list[Account])
def get_users(request: Request, user: User) -> list[dict[str, Any]]:
    _supervisor(user)
    return [x.as_dict() for x in credentials.list_users(_portal(request).engine)]


@router.post("/users/{user}/disable", response_model=Account)
def post_disable(request: Request, user: USER, caller: User) -> dict[str, Any]:
    """Disable the user at once: its sessions end and its tokens are revoked in the same transaction."""
    _supervisor(caller)
    engine = _portal(request).engine
    credentials.set_disabled(engine, user, True, caller.name, _address(request))
    return _account(engine, user)


@router.post("/users/{user}/enable", response_model=Account)
def post_enable(request: Request, user: USER, caller: User) -> dict[str, Any]:
    _supervisor(caller)
    engine = _portal(request).engine
    credentials.set_disabled(engine, user, False, caller.name, _address(request))
    return _account(engine, user)


@router.put("/users/{user}/password", response_model=Account)
def put_password(request: Request, user: USER, caller: User, body: Annotated[PasswordIn, Body()]) -> dict[str, Any]:
    """Set the user's password; its sessions end."""
    _supervisor(caller)
    engine = _portal(request).engine
    credentials.set_password(engine, user, body.password, caller.name, _address(request))
    return _account(engine, user)


@router.get("/tokens", response_model=list[Token])
def get_tokens(request: Request, user: User) -> list[dict[str, Any]]:
    _supervisor(user)
    at = service.now()
    return [x.as_dict(at) for x in credentials.list_tokens(_portal(request).engine)]


@router.post("/tokens/{token_id}/revoke", response_model=Token)
def post_revoke(request: Request, token_id: TOKEN_ID, user: User) -> dict[str, Any]:
    _supervisor(user)
    info = credentials.revoke_token(_portal(request).engine, token_id, user.name, _address(request))
    tokens = credentials.list_tokens(_portal(request).engine, info.user)
    found: dict[str, Any] = next(x.as_dict(service.now()) for x in tokens if x.id == token_id)
    return found
