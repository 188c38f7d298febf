"""The console JSON API: health, metrics, and clear Chinese errors for bad requests."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from storage.models.machinery import ConsoleMessage, InboundEvent
from tests.support.chat import ChatHarness


async def test_healthz_checks_database_and_redis(client: TestClient[object, object]) -> None:
    # scope=web: this process's own dependencies; the worker check is in test_worker_outage.py
    resp = await client.get("/healthz?scope=web")
    body = await resp.json()
    assert resp.status == 200
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"] == "ok"
    assert "console" in body["checks"]["channels"]


async def test_metrics_serves_prometheus_text(harness: ChatHarness) -> None:
    await harness.say("xiaowang", "帮助")
    resp = await harness.client.get("/metrics")
    text = await resp.text()
    assert resp.status == 200
    assert resp.content_type == "text/plain"
    assert "# TYPE dutybot_outbox_sent_total counter" in text
    assert 'dutybot_outbox_rows{status="pending"} 0' in text
    sent = [line for line in text.splitlines() if line.startswith("dutybot_outbox_sent_total{")]
    assert sent
    assert float(sent[0].rsplit(" ", 1)[1]) >= 1


async def test_malformed_json_is_a_400_with_a_reason(harness: ChatHarness) -> None:
    resp = await harness.client.post(
        "/console/api/messages", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert resp.status == 400
    assert "JSON" in (await resp.json())["error"]
    assert await InboundEvent.all().count() == 0


async def test_missing_field_is_named(harness: ChatHarness) -> None:
    resp = await harness.client.post(
        "/console/api/messages", json={"as": "xiaowang", "chat": "dm:xiaowang"}
    )
    body = await resp.json()
    assert resp.status == 400
    assert "text" in body["error"]


async def test_cannot_speak_in_a_group_one_is_not_in(harness: ChatHarness) -> None:
    resp = await harness.client.post(
        "/console/api/messages",
        json={"as": "xiaowang", "chat": "group:ljq-jw-review", "text": "帮助"},
    )
    assert resp.status == 403
    assert "不在这个会话" in (await resp.json())["error"]
    assert await ConsoleMessage.all().count() == 0


async def test_resent_message_is_processed_once(harness: ChatHarness) -> None:
    payload = {"as": "xiaowang", "chat": "dm:xiaowang", "text": "帮助", "client_id": "same-id"}
    first = await (await harness.client.post("/console/api/messages", json=payload)).json()
    again = await (await harness.client.post("/console/api/messages", json=payload)).json()
    await harness.drain()
    assert first["duplicate"] is False
    assert again["duplicate"] is True
    bot_messages = [m for m in await harness.messages("xiaowang") if m.sender is None]
    assert len(bot_messages) == 1


async def test_group_message_is_answered_in_the_group(harness: ChatHarness) -> None:
    replies = await harness.say("likz", "我的信息", chat="group:ljq-wlw-review")
    assert len(replies) == 1
    assert "李科长" in replies[0].to_text()
    # Nothing went to his 1:1 chat.
    assert await harness.messages("likz") == []


async def test_clock_cannot_be_moved_outside_demo_mode(harness: ChatHarness) -> None:
    resp = await harness.client.post("/console/api/clock", json={"advance_minutes": 30})
    assert resp.status == 403
    state = await (await harness.client.get("/console/api/clock")).json()
    assert state["enabled"] is False


async def test_console_page_has_a_multiline_message_box_and_a_drawn_attach_icon(
    harness: ChatHarness,
) -> None:
    # A one-line <input> drops a 正文's line breaks; an emoji 📎 is an empty box without the
    # font. (Enter / Shift+Enter is tried in tests/browser, where Chromium is installed.)
    page = await (await harness.client.get("/console")).text()
    assert '<textarea id="input"' in page
    assert '<input id="input"' not in page
    attach = page[page.index('<label id="attach"') :]
    attach = attach[: attach.index("</label>")]
    assert "<svg" in attach
    assert "📎" not in attach
    script = await (await harness.client.get("/console/static/console.js")).text()
    assert 'event.key !== "Enter" || event.shiftKey' in script
