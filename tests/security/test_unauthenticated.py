"""Issue 12 item 4: malformed requests anyone can send get a 4xx with a Chinese reason,
never a 500 with a traceback; a client that vanishes mid-body is closed quietly."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.core.services import Services
from bot.handlers import load_all
from bot.web.sources import create_token
from storage.models.machinery import AuditEntry, InboundEvent
from storage.models.rectification import Rectification
from tests.fakes.feishu_server import FakeFeishu
from tests.harness import ChatHarness
from tests.security.conftest import post_signed_plaintext
from tests.security.raw_http import raw_request

DEEP = b"[" * 100_000 + b"]" * 100_000
CJK = "请求签名时间格式缺少无效不正确嵌套层数过多令牌内容参数字符"


def chinese(reason: Any) -> bool:
    return isinstance(reason, str) and any(ch in CJK for ch in reason)


# ---- /feishu/events --------------------------------------------------------------------


@pytest.mark.usefixtures("bot_client")
async def test_deeply_nested_json_to_feishu_is_refused(
    bot_client: TestClient[Any, Any], fake_feishu: FakeFeishu, events_url: str
) -> None:
    resp = await bot_client.post("/feishu/events", data=DEEP)
    answer = await resp.json()
    assert resp.status == 400, answer
    assert chinese(answer["msg"])
    # Signed and encrypted, but nested beyond reason inside.
    status, answer = await post_signed_plaintext(fake_feishu, events_url, DEEP)
    assert status == 400, answer
    assert chinese(answer["msg"])
    assert await InboundEvent.all().count() == 0


@pytest.mark.parametrize(
    "header",
    [
        b"X-Lark-Signature: \xe7\xad\xbe\xe5\x90\x8d",  # UTF-8 签名
        b"X-Lark-Signature: \xff\xfe",  # not UTF-8 at all
        b"X-Lark-Request-Nonce: \xff",
        b"X-Lark-Request-Timestamp: \xd9\xa1\xd9\xa2",  # Arabic-Indic digits
    ],
)
async def test_non_ascii_signature_headers_are_refused(
    bot_client: TestClient[Any, Any], fake_feishu: FakeFeishu, header: bytes
) -> None:
    event = fake_feishu.message_event(sender_open_id="ou_xiaowang", text="帮助")
    headers, body = fake_feishu.build_request(event)
    sent = [(k.encode(), v.encode()) for k, v in headers.items()]
    name, _, value = header.partition(b": ")
    sent = [(k, v) for k, v in sent if k.lower() != name.lower()] + [(name, value)]
    status, answer = await raw_request(bot_client, "POST", "/feishu/events", sent, body)
    assert status == 401, answer
    assert chinese(answer["msg"])
    assert await InboundEvent.all().count() == 0


# ---- /api/rectifications ---------------------------------------------------------------

NOTICE = {"owner_unit": "ljq-wlw", "problem": "首页链接返回 404", "external_id": "c-1"}


async def _token(services: Services) -> str:
    return await create_token("web-monitor", services.clock.now())


@pytest.mark.parametrize(
    "authorization",
    [b"Bearer \xe4\xbb\xa4\xe7\x89\x8c", b"Bearer \xff\xfe", b"\xc3\xa9 token"],
)
async def test_non_ascii_authorization_is_a_401(harness: ChatHarness, authorization: bytes) -> None:
    body = json.dumps(NOTICE).encode()
    status, answer = await raw_request(
        harness.client,
        "POST",
        "/api/rectifications",
        [(b"Authorization", authorization), (b"Content-Type", b"application/json")],
        body,
    )
    assert status == 401, answer
    assert chinese(answer["error"])
    assert await Rectification.all().count() == 0


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (json.dumps({**NOTICE, "problem": "链接\x00返回 404"}), "problem"),
        (json.dumps({**NOTICE, "evidence": "\ud800"}), "evidence"),
        (json.dumps({**NOTICE, "external_id": "c\x00"}), "external_id"),
        (DEEP.decode(), None),
        ('{"problem": ' * 5000 + "1" + "}" * 5000, None),
    ],
)
async def test_unstorable_or_deep_rectification_bodies_are_a_400(
    harness: ChatHarness, services: Services, raw: str, field: str | None
) -> None:
    token = await _token(services)
    resp = await harness.client.post(
        "/api/rectifications",
        data=raw.encode("utf-8", "surrogatepass"),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    answer = await resp.json()
    assert resp.status == 400, answer
    assert chinese(answer["error"])
    assert answer.get("field") == field
    assert await Rectification.all().count() == 0
    assert not await AuditEntry.filter(action="rectification.issued").exists()


# ---- a client that vanishes ---------------------------------------------------------------


@pytest.fixture
async def served(services: Services, demo_org: None) -> AsyncIterator[tuple[str, int]]:
    """The app served as ``dutybot serve`` serves it: aiohttp's test server cancels a
    handler whose client went away, the real one lets the handler see the reset."""
    runner = web.AppRunner(
        create_app(services, load_all(), console=True), access_log=None, handle_signals=False
    )
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield "127.0.0.1", runner.addresses[0][1]
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("path", ["/api/rectifications", "/console/api/messages"])
async def test_client_gone_mid_body_is_closed_quietly(
    served: tuple[str, int],
    services: Services,
    caplog: pytest.LogCaptureFixture,
    path: str,
) -> None:
    token = await _token(services)
    caplog.set_level(logging.DEBUG)
    await raw_request(
        served,
        "POST",
        path,
        [
            (b"Authorization", f"Bearer {token}".encode()),
            (b"Content-Type", b"application/json"),
            (b"Content-Length", b"100000"),
        ],
        b'{"problem": "only the start of',
        close_after=True,
    )
    await asyncio.sleep(0.3)  # the server notices the reset
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert not errors, [r.getMessage() for r in errors]
    assert await Rectification.all().count() == 0


# ---- the console -----------------------------------------------------------------------


@pytest.mark.parametrize("after", [str(10**30), "-" + str(10**30), "9223372036854775808"])
async def test_console_after_out_of_range_is_a_400(harness: ChatHarness, after: str) -> None:
    resp = await harness.client.get(
        "/console/api/messages", params={"as": "xiaowang", "chat": "dm:xiaowang", "after": after}
    )
    answer = await resp.json()
    assert resp.status == 400, answer
    assert chinese(answer["error"])


@pytest.mark.parametrize(
    "raw",
    [
        DEEP,
        json.dumps({"as": "xiaowang", "chat": "dm:xiaowang", "text": "帮助\x00"}).encode(),
        json.dumps({"as": "xiaowang\ud800", "chat": "dm:xiaowang", "text": "帮助"}).encode(),
    ],
)
async def test_console_bodies_it_cannot_store_are_a_400(harness: ChatHarness, raw: bytes) -> None:
    resp = await harness.client.post(
        "/console/api/messages", data=raw, headers={"Content-Type": "application/json"}
    )
    answer = await resp.json()
    assert resp.status == 400, answer
    assert chinese(answer["error"])
    assert await InboundEvent.all().count() == 0


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/console/api/chats", {"as": "\x00"}),
        ("/console/api/messages", {"as": "\x00"}),
        ("/console/api/messages", {"as": "xiaowang", "chat": "dm:\x00"}),
    ],
)
async def test_console_query_it_cannot_store_is_a_400(
    harness: ChatHarness, path: str, params: dict[str, str]
) -> None:
    resp = await harness.client.get(path, params=params)
    answer = await resp.json()
    assert resp.status == 400, answer
    assert chinese(answer["error"])


async def test_file_link_with_a_non_ascii_signature_is_a_403(harness: ChatHarness) -> None:
    resp = await harness.client.get("/files/abc/x.pdf", params={"e": "9999999999", "s": "签名"})
    assert resp.status == 403, await resp.text()


# ---- /api/alerts (same tokens and reading rules as /api/rectifications) ----------------------


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (DEEP, None),
        (json.dumps({"title": "首页\x00无法访问"}).encode(), "title"),
        (json.dumps({"title": "首页无法访问", "link": "\ud800"}).encode(), "link"),
    ],
)
async def test_unstorable_or_deep_alert_bodies_are_a_400(
    harness: ChatHarness, services: Services, raw: bytes, field: str | None
) -> None:
    token = await _token(services)
    resp = await harness.client.post(
        "/api/alerts",
        data=raw,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    answer = await resp.json()
    assert resp.status == 400, answer
    assert chinese(answer["error"])
    assert answer.get("field") == field


async def test_signed_feishu_message_with_deeply_nested_content_is_a_400(
    fake_feishu: FakeFeishu, events_url: str
) -> None:
    event = fake_feishu.message_event(sender_open_id="ou_xiaowang", text="", content=DEEP.decode())
    status, answer = await fake_feishu.post_to_bot(events_url, event)
    assert status == 400, answer
    assert chinese(answer["msg"])
    assert await InboundEvent.all().count() == 0
