"""POST /api/alerts: a monitoring system raises an alert with its source token (made by the
real ``dutybot rectification token create``); retries and racing copies with the same
external id make one alert; bad tokens and malformed requests store nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from bot.core.services import Services
from storage.models.duty_alerts import Alert, AlertSource
from storage.models.machinery import AuditEntry
from tests.duty.alerts_support import GROUP, MONDAY_10, advance
from tests.duty.support import make_team
from tests.harness import ChatHarness
from tests.rectification.conftest import card_of
from tests.rectification.test_api import new_token

pytestmark = pytest.mark.slow

ALERT = {
    "title": "临江文旅公众号首页无法访问",
    "description": "连续 3 次探测返回 502",
    "link": "https://monitor.example/checks/77",
    "severity": "serious",
    "account": "ljq-wlw-wechat",
    "external_id": "probe-77",
}


async def post(h: ChatHarness, body: Any, token: str | None, raw: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if raw is not None:
        resp = await h.client.post("/api/alerts", data=raw, headers=headers)
    else:
        resp = await h.client.post("/api/alerts", json=body, headers=headers)
    return resp.status, await resp.json()


async def test_monitoring_alert_once_however_often_sent(
    harness: ChatHarness, services: Services, db_url: str, tmp_path: Path
) -> None:
    h = harness
    h.clock.set(MONDAY_10)
    await make_team(services)
    token = await new_token(db_url, tmp_path, "web-probe")

    status, data = await post(h, ALERT, token)
    assert status == 201, data
    assert data["number"] == "GJ-0001"
    assert data["duplicate"] is False
    await h.drain()
    card = card_of(await h.new_messages("xiaochen"), "严重告警")
    assert "监测系统（web-probe）" in card.to_text()
    assert "临江文旅（微信）" in card.to_text()
    assert any("小陈" in m.mentions for m in await h.new_messages("xiaochen", GROUP))

    # A retry, and two racing copies: still one alert, one card.
    status, again = await post(h, ALERT, token)
    assert (status, again["id"], again["duplicate"]) == (200, data["id"], True)
    other = {**ALERT, "external_id": "probe-78"}
    results = await asyncio.gather(post(h, other, token), post(h, other, token))
    assert sorted(r[0] for r in results) == [200, 201]
    assert results[0][1]["id"] == results[1][1]["id"]
    assert await Alert.filter(source=AlertSource.API).count() == 2
    assert await AuditEntry.filter(action="duty.alert_raised").count() == 2

    # The countdown runs as for any alert.
    await advance(h, 3)
    assert any("告警升级" in m.text for m in await h.new_messages("fengzz"))


async def test_bad_requests_store_nothing(
    harness: ChatHarness, services: Services, db_url: str, tmp_path: Path
) -> None:
    h = harness
    h.clock.set(MONDAY_10)
    await make_team(services)
    token = await new_token(db_url, tmp_path, "web-probe")
    status, data = await post(h, ALERT, "zg_wrong")
    assert status == 401
    assert "令牌" in data["error"]
    status, data = await post(h, None, token, raw="{not json")
    assert status == 400
    status, data = await post(h, {**ALERT, "severity": "紧急"}, token)
    assert (status, data["field"]) == (400, "severity")
    status, data = await post(h, {**ALERT, "title": ""}, token)
    assert (status, data["field"]) == (400, "title")
    status, data = await post(h, {**ALERT, "account": "nope"}, token)
    assert (status, data["field"]) == (400, "account")
    assert await Alert.all().count() == 0
