"""POST /api/alerts: monitoring systems raise duty alerts (documented in docs/alerts-api.md),
authenticated by their source token (``bot.web.sources``, the same tokens as
``POST /api/rectifications``: one per monitoring system).

A retry with the same ``external_id`` finds the alert the first request raised (``200`` with
``"duplicate": true``), also when two copies race: the second insert hits the unique
``dedupe_key`` and the request answers with the winner.
"""

from __future__ import annotations

import secrets
from typing import Any

from aiohttp import web
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from bot.core.work import Work
from bot.flows.duty.model import DutyError
from bot.flows.duty.model import alert_number as number
from bot.flows.duty.people import teams_watching
from bot.flows.duty.transitions.alerts import AlertRequest, raise_alert
from bot.web.keys import SERVICES_KEY
from bot.web.sources import BadRequest, authenticated_object, error, text_field
from storage.models.duty import DutyTeam
from storage.models.duty_alerts import ALERT_SEVERITY_LABELS, Alert, AlertSeverity, AlertSource
from storage.models.org import Account

ROUTE = "/api/alerts"


def _severity(value: str) -> AlertSeverity:
    for severity, label in ALERT_SEVERITY_LABELS.items():
        if value in (severity.value, label):
            return severity
    raise BadRequest(
        "“severity”应为 ordinary（一般）、serious（严重）或 opinion（舆情）。", "severity"
    )


async def _account(conn: BaseDBAsyncClient, ref: str) -> Account | None:
    if not ref:
        return None
    account = await Account.filter(key=ref).using_db(conn).first()
    if account is None:
        matches = await Account.filter(platform_account_id=ref).using_db(conn)
        if len(matches) > 1:
            raise BadRequest(f"账号“{ref}”对应多个账号，请用台账编号。", "account")
        account = matches[0] if matches else None
    if account is None:
        raise BadRequest(f"台账中没有账号“{ref}”。", "account")
    return account


async def _team(conn: BaseDBAsyncClient, ref: str, account: Account | None) -> DutyTeam:
    """The team named, else the team watching the account's owner unit, else the only team."""
    if ref:
        team = await DutyTeam.filter(key=ref, active=True).using_db(conn).first()
        if team is None:
            raise BadRequest(f"没有值班组“{ref}”。", "team")
        return team
    if account is not None:
        watching = await teams_watching(conn, account.owner_unit_id)
        if watching:
            return watching[0]
    teams = await DutyTeam.filter(active=True).using_db(conn).order_by("id").limit(2)
    if len(teams) == 1:
        return teams[0]
    raise BadRequest("无法确定值班组：请给出“team”（值班组编号）或“account”。", "team")


async def post_alert(request: web.Request) -> web.Response:
    services = request.app[SERVICES_KEY]
    got = await authenticated_object(request)
    if isinstance(got, web.Response):
        return got
    source, data = got
    now = services.clock.now()
    try:
        title = text_field(data, "title", required=True, limit=200)
        description = text_field(data, "description", required=False, limit=5000)
        link = text_field(data, "link", required=False, limit=1000)
        severity = _severity(text_field(data, "severity", required=False, limit=20) or "ordinary")
        external_id = text_field(data, "external_id", required=False, limit=200) or None
        account_ref = text_field(data, "account", required=False, limit=200)
        team_ref = text_field(data, "team", required=False, limit=64)
    except BadRequest as exc:
        return error(400, str(exc), exc.field)
    dedupe_key = f"api:{source.source}:{external_id}" if external_id is not None else None
    if dedupe_key is not None:
        existing = await Alert.filter(dedupe_key=dedupe_key).first()
        if existing is not None:
            return web.json_response(_body(existing, duplicate=True), status=200)
    try:
        async with in_transaction() as conn:
            account = await _account(conn, account_ref)
            team = await _team(conn, team_ref, account)
            w = Work.system(
                services,
                conn,
                now=now,
                key_prefix=f"api:{secrets.token_hex(8)}",
                label=f"监测系统：{source.source}",
            )
            alert, created = await raise_alert(
                w,
                AlertRequest(
                    team_id=team.id,
                    severity=severity,
                    source=AlertSource.API,
                    title=title,
                    description=description,
                    link=link,
                    account_id=account.id if account is not None else None,
                    source_name=source.source,
                    external_id=external_id,
                    dedupe_key=dedupe_key,
                ),
            )
    except BadRequest as exc:
        return error(400, str(exc), exc.field)
    except DutyError as exc:
        return error(422, str(exc))
    except IntegrityError:
        # A copy of this request won the race to insert: answer with its alert.
        existing = await Alert.filter(dedupe_key=dedupe_key).first() if dedupe_key else None
        if existing is None:
            raise
        return web.json_response(_body(existing, duplicate=True), status=200)
    if not created:
        # A copy of this request committed while this one waited for the write lock.
        return web.json_response(_body(alert, duplicate=True), status=200)
    if w.emit.outbox_ids and services.outbox_kick is not None:
        await services.outbox_kick(w.emit.outbox_ids)
    return web.json_response(_body(alert, duplicate=False), status=201)


def _body(alert: Alert, *, duplicate: bool) -> dict[str, Any]:
    return {
        "ok": True,
        "id": alert.id,
        "number": number(alert),
        "status": str(alert.status.value if hasattr(alert.status, "value") else alert.status),
        "duplicate": duplicate,
    }


def setup_alert_api(app: web.Application) -> None:
    app.router.add_post(ROUTE, post_alert)
