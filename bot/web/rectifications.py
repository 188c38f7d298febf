"""POST /api/rectifications: monitoring systems issue notices (documented in
docs/user-guide/rectification.md), authenticated by their source token (``bot.web.sources``)."""

from __future__ import annotations

import secrets
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from bot.core.emit import Emitter
from bot.deadlines import lifecycle
from bot.flows.rectification.model import SUBJECT, RectificationError, number
from bot.flows.rectification.start import NoticeRequest, issue_notice
from bot.flows.rectification.times import RECEIVED_MAX_AGE
from bot.web.keys import SERVICES_KEY
from bot.web.sources import BadRequest, authenticated_object, error, text_field, time_field
from storage import audit
from storage.models.org import Account, Unit
from storage.models.rectification import (
    RECT_CATEGORY_LABELS,
    RectCategory,
    Rectification,
    Severity,
)

ROUTE = "/api/rectifications"


def _category(value: str) -> RectCategory:
    for category, label in RECT_CATEGORY_LABELS.items():
        if value in (category.value, label):
            return category
    options = "、".join(c.value for c in RectCategory)
    raise BadRequest(f"“category”取值“{value}”无效，可选：{options}。", "category")


def _severity(value: str) -> Severity:
    found = {"ordinary": Severity.ORDINARY, "一般": Severity.ORDINARY}
    found.update({"serious": Severity.SERIOUS, "严重": Severity.SERIOUS})
    if value not in found:
        raise BadRequest("“severity”应为 ordinary（一般）或 serious（严重）。", "severity")
    return found[value]


async def _resolve(conn: BaseDBAsyncClient, data: dict[str, Any]) -> tuple[int, int | None]:
    """The owner unit and account named by the request (account by registry key or platform id)."""
    account_ref = text_field(data, "account", required=False, limit=200)
    unit_ref = text_field(data, "owner_unit", required=False, limit=200)
    if account_ref:
        account = await Account.filter(key=account_ref).using_db(conn).first()
        if account is None:
            matches = await Account.filter(platform_account_id=account_ref).using_db(conn)
            if len(matches) > 1:
                raise BadRequest(f"账号“{account_ref}”对应多个账号，请用台账编号。", "account")
            account = matches[0] if matches else None
        if account is None:
            raise BadRequest(f"台账中没有账号“{account_ref}”。", "account")
        return account.owner_unit_id, account.id
    if not unit_ref:
        raise BadRequest("请给出“account”（台账编号或平台账号ID）或“owner_unit”。", "account")
    unit = await Unit.filter(key=unit_ref, active=True).using_db(conn).first()
    if unit is None:
        unit = await Unit.filter(name=unit_ref, active=True).using_db(conn).first()
    if unit is None:
        raise BadRequest(f"没有单位“{unit_ref}”。", "owner_unit")
    return unit.id, None


async def post_rectification(request: web.Request) -> web.Response:
    services = request.app[SERVICES_KEY]
    got = await authenticated_object(request)
    if isinstance(got, web.Response):
        return got
    source, data = got
    now = services.clock.now()
    try:
        problem = text_field(data, "problem", required=True, limit=5000)
        evidence = text_field(data, "evidence", required=False, limit=2000)
        category = _category(text_field(data, "category", required=False, limit=50) or "other")
        severity = _severity(text_field(data, "severity", required=False, limit=20) or "ordinary")
        external_id = text_field(data, "external_id", required=False, limit=200) or None
        received_at = time_field(
            text_field(data, "received_at", required=False, limit=40), services.tz
        )
        if received_at is not None and received_at < now - RECEIVED_MAX_AGE:
            # The chat form's bound: a year-0001 or 1970 time is a bug in the caller, and a
            # notice counted from it would be born overdue by decades.
            raise BadRequest(
                "“received_at”早于 30 天前，请核对；确实如此的请如实写明在问题描述中。",
                "received_at",
            )
        origin = f"api:{source.source}"
        if (duplicate := await _duplicate(origin, external_id, services.tz)) is not None:
            return duplicate
        async with in_transaction() as conn:
            owner_unit_id, account_id = await _resolve(conn, data)
            emit = Emitter(services, conn, key_prefix=f"api:{secrets.token_hex(8)}", now=now)
            rect = await issue_notice(
                services,
                conn,
                emit,
                now=now,
                request=NoticeRequest(
                    owner_unit_id=owner_unit_id,
                    account_id=account_id,
                    problem=problem,
                    evidence=evidence,
                    category=category,
                    severity=severity,
                    source=origin,
                    external_id=external_id,
                    received_at=received_at,
                ),
                actor=audit.Actor.system(f"监测系统：{source.source}"),
            )
            body = await _body(rect, services.tz, conn)
    except BadRequest as exc:
        return error(400, str(exc), exc.field)
    except RectificationError as exc:
        return error(422, str(exc))
    except IntegrityError:
        # Sent twice at once: the other request created it between our check and our
        # insert (the unique (source, external_id) held). Same answer as any duplicate.
        if (duplicate := await _duplicate(origin, external_id, services.tz)) is not None:
            return duplicate
        raise
    if emit.outbox_ids and services.outbox_kick is not None:
        await services.outbox_kick(emit.outbox_ids)
    return web.json_response(body, status=201)


async def _duplicate(origin: str, external_id: str | None, tz: ZoneInfo) -> web.Response | None:
    if external_id is None:
        return None
    existing = await Rectification.filter(source=origin, external_id=external_id).first()
    if existing is None:
        return None
    return web.json_response({**await _body(existing, tz), "duplicate": True}, status=200)


async def _body(
    rect: Rectification, tz: ZoneInfo, conn: BaseDBAsyncClient | None = None
) -> dict[str, Any]:
    deadline = await lifecycle.get(conn, rect.deadline_id) if rect.deadline_id else None
    return {
        "ok": True,
        "id": rect.id,
        "number": number(rect),
        "status": rect.status.value if hasattr(rect.status, "value") else str(rect.status),
        "due_at": rect.due_at.astimezone(tz).isoformat(),
        "explanation": deadline.explanation if deadline is not None else "",
        "forward_late": await _forward_late(rect, conn),
    }


async def _forward_late(rect: Rectification, conn: BaseDBAsyncClient | None) -> str:
    from storage.models.machinery import AuditEntry

    entry = (
        await AuditEntry.filter(
            action="rectification.issued", subject_type=SUBJECT, subject_id=str(rect.id)
        )
        .using_db(conn)
        .first()
    )
    return str((entry.detail or {}).get("forward_late", "")) if entry is not None else ""


def setup_rectification_api(app: web.Application) -> None:
    app.router.add_post(ROUTE, post_rectification)
