"""Dashboard sessions in signed cookies, and the CSRF token every form carries.

The cookie holds who signed in and until when, signed with an HMAC key derived from the
deployment's file-link key (kept in the database, so every replica shares it). Nothing about
a session is stored on the server: signing out clears the cookie, and each request re-reads
the person (an inactive person or a revoked token is signed out at once).

Every visitor gets a session id (``sid``) before signing in, so the sign-in forms carry a
CSRF token too; signing in issues a new ``sid`` (no session fixation). The CSRF token is an
HMAC of the ``sid``: a page of another site cannot read it, and the cookie is SameSite=Lax.
Expiry uses real time, like file links: it is a security property, not the demo clock's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, replace
from typing import Any

from aiohttp import web

from bot.core import files
from bot.core.services import Services

COOKIE = "dutybot_dash"
# A working day and a bit: a supervisor signs in in the morning and is not asked again.
SESSION_SECONDS = 12 * 3600
# An anonymous session (the sign-in page, an OAuth round trip) lives shorter.
ANONYMOUS_SECONDS = 3600


@dataclass(frozen=True)
class Session:
    sid: str
    expires: int
    person_id: int | None = None
    token_id: int | None = None
    via: str = ""  # demo / wecom / feishu / token
    oauth_state: str = ""  # the state of a platform sign-in under way

    @property
    def signed_in(self) -> bool:
        return self.person_id is not None or self.token_id is not None


async def _key(services: Services) -> bytes:
    base = await files.signing_key(services)
    return hmac.new(base, b"dutybot-dash-session", hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode(key: bytes, session: Session) -> str:
    payload: dict[str, Any] = {"s": session.sid, "e": session.expires}
    if session.person_id is not None:
        payload["p"] = session.person_id
    if session.token_id is not None:
        payload["t"] = session.token_id
    if session.via:
        payload["v"] = session.via
    if session.oauth_state:
        payload["o"] = session.oauth_state
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    mac = _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())
    return f"{body}.{mac}"


def decode(key: bytes, value: str, now: float) -> Session | None:
    """The session in a cookie, or None if it is forged, damaged or expired."""
    body, _, mac = value.partition(".")
    if not body or not mac:
        return None
    expected = _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(expected, mac):
        return None
    try:
        payload = json.loads(_unb64(body))
        session = Session(
            sid=str(payload["s"]),
            expires=int(payload["e"]),
            person_id=int(payload["p"]) if "p" in payload else None,
            token_id=int(payload["t"]) if "t" in payload else None,
            via=str(payload.get("v", "")),
            oauth_state=str(payload.get("o", "")),
        )
    except (ValueError, KeyError, TypeError):
        return None
    return session if session.expires > now else None


def anonymous(now: float) -> Session:
    return Session(sid=secrets.token_urlsafe(16), expires=int(now) + ANONYMOUS_SECONDS)


def signed_in(*, person_id: int | None, token_id: int | None, via: str, now: float) -> Session:
    """A fresh session (new sid) for whoever just proved who they are."""
    return Session(
        sid=secrets.token_urlsafe(16),
        expires=int(now) + SESSION_SECONDS,
        person_id=person_id,
        token_id=token_id,
        via=via,
    )


def with_oauth_state(session: Session) -> Session:
    return replace(session, oauth_state=secrets.token_urlsafe(16))


async def read(services: Services, request: web.Request) -> Session | None:
    value = request.cookies.get(COOKIE)
    if not value:
        return None
    return decode(await _key(services), value, time.time())


async def write(
    services: Services, request: web.Request, response: web.StreamResponse, session: Session
) -> None:
    response.set_cookie(
        COOKIE,
        encode(await _key(services), session),
        max_age=max(0, session.expires - int(time.time())),
        path="/dash",
        httponly=True,
        samesite="Lax",
        secure=_secure(services, request),
    )


def clear(response: web.StreamResponse) -> None:
    response.del_cookie(COOKIE, path="/dash")


def _secure(services: Services, request: web.Request) -> bool:
    public = services.settings.public_url or ""
    return request.secure or public.startswith("https://")


async def csrf_token(services: Services, session: Session) -> str:
    key = await _key(services)
    return hmac.new(key, f"csrf:{session.sid}".encode(), hashlib.sha256).hexdigest()[:32]


async def check_csrf(services: Services, session: Session | None, given: str) -> bool:
    if session is None or not given:
        return False
    return hmac.compare_digest(await csrf_token(services, session), given)
