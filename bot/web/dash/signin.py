"""Signing in to /dash: a person picked from the directory (demo only), an operator's token,
or a chat platform's web sign-in (WeCom 网页授权 / 扫码登录, Feishu OAuth).

The platform adapters know their own OAuth endpoints; each registers a ``SignInProvider``
here when its channel is on (``register_provider``). This module only runs the round trip:
a ``state`` kept in the signed session cookie, the provider's redirect, its callback with a
``code``, the code exchanged for the platform's user ids, those ids mapped to a person of the
directory exactly as a chat message's sender is.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from urllib.parse import urlencode

from aiohttp import web
from tortoise.transactions import in_transaction

from bot.core.directory import find_person
from bot.core.events import PlatformUser
from bot.web.sources import hash_token, issue_token
from storage import audit
from storage.models.dash import DashToken
from storage.models.org import Person

log = logging.getLogger(__name__)

TOKEN_PREFIX = "dash_"


class SignInError(Exception):
    """The platform refused the code (expired, used twice) or could not be reached."""


class SignInProvider(Protocol):
    name: str  # in URLs: /dash/login/<name>
    label: str  # on the button: 企业微信登录

    def authorize_url(self, redirect_uri: str, state: str, user_agent: str) -> str:
        """Where to send the browser to sign in on the platform."""
        ...

    async def users(self, code: str, redirect_uri: str) -> list[PlatformUser]:
        """The platform's ids of whoever signed in (open_id, user_id …), best first."""
        ...


PROVIDERS_KEY = web.AppKey("dash_signin_providers", dict[str, SignInProvider])


def register_provider(app: web.Application, provider: SignInProvider) -> None:
    """Called by a platform adapter's route setup when its channel is on."""
    app[PROVIDERS_KEY][provider.name] = provider


def providers(app: web.Application) -> dict[str, SignInProvider]:
    return app[PROVIDERS_KEY]


async def person_of(users: list[PlatformUser]) -> Person | None:
    """The active person behind the first id the directory knows."""
    for user in users:
        person = await find_person(user)
        if person is not None:
            return person
    return None


def callback_url(request: web.Request, public_url: str | None, provider: str) -> str:
    """The redirect URI the platform sends the browser back to (its trusted domain must match:
    DUTYBOT_PUBLIC_URL when set, else the address the browser used)."""
    base = (public_url or f"{request.scheme}://{request.host}").rstrip("/")
    return f"{base}/dash/login/{provider}/callback"


def with_query(url: str, params: dict[str, str]) -> str:
    return url + ("&" if "?" in url else "?") + urlencode(params)


# ---- operators' tokens ------------------------------------------------------------------


async def token_sign_in(token: str, now: datetime) -> DashToken | None:
    given = token.strip()
    if not given.startswith(TOKEN_PREFIX):
        return None
    row = await DashToken.filter(token_hash=hash_token(given), revoked=False).first()
    if row is None or not hmac.compare_digest(row.token_hash, hash_token(given)):
        return None
    row.last_used_at = now
    await row.save(update_fields=["last_used_at"])
    return row


@dataclass(frozen=True)
class NewToken:
    name: str
    token: str


async def create_token(name: str, now: datetime, *, replace: bool = False) -> NewToken:
    """A new operator token; only its hash is kept. Raises ValueError if the name exists."""
    token = await issue_token(
        DashToken,
        {"name": name},
        TOKEN_PREFIX,
        now,
        replace=replace,
        refusal=f"“{name}”已有令牌。如需更换，请加 --replace（旧令牌随即失效）。",
        audit_prefix="dash.token",
        subject_type="dash_token",
    )
    return NewToken(name, token)


async def revoke_token(name: str, now: datetime) -> bool:
    async with in_transaction() as conn:
        row = await DashToken.filter(name=name, revoked=False).using_db(conn).first()
        if row is None:
            return False
        row.revoked = True
        await row.save(using_db=conn, update_fields=["revoked"])
        await audit.record(
            conn,
            actor=audit.Actor.system("命令行"),
            action="dash.token_revoked",
            subject_type="dash_token",
            subject_id=name,
            at=now,
        )
    return True
