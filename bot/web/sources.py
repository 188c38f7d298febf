"""Monitoring systems that post to the bot's HTTP API: one bearer token per source, kept only
as a SHA-256 hash, and the request-reading helpers every such endpoint shares."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from tortoise.transactions import in_transaction

from bot.core import untrusted
from storage import audit
from storage.models.rectification import SourceToken

TOKEN_PREFIX = "zg_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def issue_token(
    model: Any,
    key: dict[str, str],
    prefix: str,
    now: datetime,
    *,
    replace: bool,
    refusal: str,
    audit_prefix: str,
    subject_type: str,
) -> str:
    """A new bearer token for the row of ``model`` named by ``key``; only its hash is kept.

    Shared by the monitoring sources and the dashboard's operator tokens: raises ValueError
    (``refusal``) if the row exists and ``replace`` is off; audited as ``<prefix>_created`` or
    ``<prefix>_replaced``.
    """
    token = prefix + secrets.token_urlsafe(32)
    existing = await model.filter(**key).first()
    if existing is not None and not replace:
        raise ValueError(refusal)
    async with in_transaction() as conn:
        if existing is not None:
            existing.token_hash = hash_token(token)
            existing.created_at = now
            existing.revoked = False
            await existing.save(using_db=conn)
            action = f"{audit_prefix}_replaced"
        else:
            await model.create(using_db=conn, **key, token_hash=hash_token(token), created_at=now)
            action = f"{audit_prefix}_created"
        await audit.record(
            conn,
            actor=audit.Actor.system("命令行"),
            action=action,
            subject_type=subject_type,
            subject_id=next(iter(key.values())),
            at=now,
        )
    return token


async def create_token(source: str, now: datetime, *, replace: bool = False) -> str:
    """A new token for ``source``; only its hash is kept. Raises ValueError if one exists."""
    return await issue_token(
        SourceToken,
        {"source": source},
        TOKEN_PREFIX,
        now,
        replace=replace,
        refusal=f"来源“{source}”已有令牌。如需更换，请加 --replace（旧令牌随即失效）。",
        audit_prefix="rectification.token",
        subject_type="rectification_source",
    )


def error(status: int, message: str, field: str | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error": message}
    if field is not None:
        body["field"] = field
    return web.json_response(body, status=status)


class BadRequest(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def text_field(data: dict[str, Any], key: str, *, required: bool, limit: int) -> str:
    value = data.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise BadRequest(f"“{key}”应为字符串。", key)
    value = value.strip()
    if untrusted.has_unstorable(value):
        raise BadRequest(f"“{key}”含有无法保存的字符（NUL 或不成对的代理字符）。", key)
    if required and not value:
        raise BadRequest(f"缺少“{key}”。", key)
    if len(value) > limit:
        raise BadRequest(f"“{key}”太长（最多 {limit} 字）。", key)
    return value


def time_field(value: str, tz: ZoneInfo) -> datetime | None:
    """ISO 8601 (``2026-11-23T09:30:00+08:00``); without an offset, the deployment's timezone."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BadRequest(
            "“received_at”应为 ISO 8601 时间，如 2026-11-23T09:30:00+08:00。", "received_at"
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=tz)


async def authenticate(request: web.Request) -> SourceToken | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    # Tokens are ASCII; other header bytes arrive surrogate-escaped and cannot be hashed.
    if scheme.lower() != "bearer" or not token.strip() or not token.isascii():
        return None
    found = await SourceToken.filter(token_hash=hash_token(token.strip()), revoked=False).first()
    return found


async def authenticated_object(
    request: web.Request,
) -> tuple[SourceToken, dict[str, Any]] | web.Response:
    """The calling source and the JSON object it sent, or the answer refusing the request:
    401 without a valid token (checked first, so nothing is parsed for a stranger), 400 for a
    body that is not a JSON object. Every monitoring endpoint starts here."""
    source = await authenticate(request)
    if source is None:
        return error(401, "令牌无效或缺失：请在 Authorization 头中提供 “Bearer 令牌”。")
    try:
        data = untrusted.loads(await request.read())
    except untrusted.BadJson as exc:
        return error(400, f"{exc.reason}。")
    if not isinstance(data, dict):
        return error(400, "请求内容应为 JSON 对象。")
    return source, data
