"""Long-connection mode against the fake platform's real protobuf websocket.

The client is lark-oapi's own ``ws.Client`` (adapted), running in its own thread and loop;
the fake speaks the SDK's ``pbbp2.Frame`` protocol with the SDK's own protobuf classes.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.adapters.feishu.inbound import FeishuInbound
from bot.adapters.feishu.longconn import LongConnection
from bot.adapters.feishu.setup import LONG_CONNECTION_KEY, install_feishu
from bot.app import create_app
from bot.core.services import Services
from bot.handlers import load_all
from storage.models.machinery import InboundEvent
from tests.fakes.feishu_server import FakeFeishu, card_text
from tests.support.feishu import close_feishu, feishu_settings
from tests.support.orgs import FEISHU_ORG, load_org_text
from tests.support.travel import settle

pytestmark = pytest.mark.slow


async def eventually(check: Callable[[], Any], within: float = 20.0) -> Any:
    deadline = time.monotonic() + within
    while not (result := check()):
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)
    return result


@pytest.fixture
async def ws_services(services: Services, fake_feishu: FakeFeishu) -> AsyncIterator[Services]:
    # Long-connection mode needs no public URL, no Encrypt Key and no Verification Token.
    services.settings = feishu_settings(
        services.settings,
        fake_feishu,
        feishu_mode="websocket",
        feishu_encrypt_key=None,
        feishu_verification_token=None,
    )
    assert services.settings.feishu_enabled
    services.channels.clear()
    install_feishu(services)
    await load_org_text(FEISHU_ORG, services.clock.now())
    try:
        yield services
    finally:
        await close_feishu(services)


@pytest.fixture
async def connection(
    ws_services: Services, fake_feishu: FakeFeishu
) -> AsyncIterator[LongConnection]:
    """A supervised long connection with short watchdog limits."""
    inbound = FeishuInbound(ws_services, load_all())
    lc = LongConnection(
        app_id=fake_feishu.app_id,
        app_secret=fake_feishu.app_secret,
        domain=fake_feishu.base_url,
        handle=inbound.handle_frame,
        stall_after=2.0,
        silence_after=3.0,
        endpoint_timeout=30.0,
        check_every=0.1,
        restart_backoff=(0.2,),
    )
    await lc.start()
    try:
        yield lc
    finally:
        fake_feishu.release_endpoint()
        await lc.stop()


async def test_serve_in_long_connection_mode(
    ws_services: Services, fake_feishu: FakeFeishu
) -> None:
    """The app starts the connection itself; events arrive and are answered over the API."""
    app = create_app(ws_services, load_all(), console=False)
    async with TestClient(TestServer(app)) as client:
        slot = app[LONG_CONNECTION_KEY]
        assert slot.connection is not None
        await eventually(lambda: slot.connection and slot.connection.connected)
        # No public callback URL in this mode (no keys configured).
        assert (await client.post("/feishu/events", data=b"{}")).status == 404
        ack = await fake_feishu.push(
            fake_feishu.message_event(sender_open_id="ou_xiaowang", text="帮助")
        )
        assert ack == {"code": 200, "data": None}
        await settle(ws_services)
        assert "我能帮您做什么" in fake_feishu.sent("interactive")[0].text
    assert slot.connection is None  # stopped with the app


async def _help_card(services: Services, fake: FakeFeishu) -> str:
    ack = await fake.push(fake.message_event(sender_open_id="ou_xiaowang", text="帮助"))
    assert ack["code"] == 200
    await settle(services)
    return fake.sent("interactive", receive_id="ou_xiaowang")[-1].message_id


@pytest.mark.parametrize("kind", ["card", "event"])
async def test_card_tap_frames_are_answered_with_toast_and_card(
    ws_services: Services, fake_feishu: FakeFeishu, connection: LongConnection, kind: str
) -> None:
    # Some tenants get card clicks as CARD frames (dropped by lark-oapi 1.7.5), others as EVENT.
    message_id = await _help_card(ws_services, fake_feishu)
    tap = fake_feishu.tap_event(message_id, "我的信息", operator_open_id="ou_xiaowang")
    ack = await fake_feishu.push(tap, kind=kind)
    assert ack["code"] == 200
    answer = ack["data"]
    assert answer["toast"] == {"type": "success", "content": "开始：我的信息"}
    assert "已开始：我的信息" in card_text(answer["card"]["data"])
    fake_feishu.apply_callback_answer(message_id, answer)
    await settle(ws_services)
    assert "区文旅委宣传科" in fake_feishu.sent("interactive")[-1].text


async def test_split_frames_are_reassembled_and_redelivery_is_ignored(
    ws_services: Services, fake_feishu: FakeFeishu, connection: LongConnection
) -> None:
    event = fake_feishu.message_event(sender_open_id="ou_xiaowang", text="我的信息")
    assert (await fake_feishu.push(event, parts=3))["code"] == 200
    # Feishu re-pushes when it misses an ack: the same message is not handled twice.
    assert (await fake_feishu.push(event))["code"] == 200
    await settle(ws_services)
    assert len(fake_feishu.sent("interactive")) == 1
    assert await InboundEvent.all().count() == 1


async def test_malformed_frame_is_acknowledged_and_dropped(
    ws_services: Services, fake_feishu: FakeFeishu, connection: LongConnection
) -> None:
    event = fake_feishu.message_event(sender_open_id="ou_xiaowang", text="帮助")
    del event["event"]["message"]["chat_type"]
    assert await fake_feishu.push(event) == {"code": 200, "data": None}
    event = fake_feishu.message_event(sender_open_id="ou_xiaowang", text="帮助")
    del event["event"]["sender"]
    assert await fake_feishu.push(event) == {"code": 200, "data": None}
    assert await InboundEvent.all().count() == 0


async def test_watchdog_restarts_a_hung_reconnect(
    ws_services: Services, fake_feishu: FakeFeishu, connection: LongConnection
) -> None:
    await eventually(lambda: connection.connected)
    # The network blips and the endpoint request then hangs (lark-oapi issue #169).
    fake_feishu.hold_endpoint()
    await fake_feishu.drop_connections()
    await eventually(lambda: connection.restarts >= 1)
    assert connection.status()["generation"] >= 2
    fake_feishu.release_endpoint()
    await eventually(lambda: connection.connected)
    ack = await fake_feishu.push(
        fake_feishu.message_event(sender_open_id="ou_xiaowang", text="帮助")
    )
    assert ack["code"] == 200
    await settle(ws_services)
    assert fake_feishu.sent("interactive")
    # Exactly one live connection: the retired client does not come back.
    await asyncio.sleep(0.5)
    assert len(fake_feishu.ws_peers) == 1


async def test_watchdog_replaces_a_silent_connection(
    fake_feishu: FakeFeishu, connection: LongConnection
) -> None:
    await eventually(lambda: connection.connected)
    fake_feishu.answer_pings = False  # half-open: nothing comes back any more
    await eventually(lambda: connection.restarts >= 1)
    fake_feishu.answer_pings = True
    await eventually(lambda: connection.connected and fake_feishu.ws_connects >= 2)
    assert connection.status()["connected"] is True


async def test_bad_credentials_back_off_and_recover(
    ws_services: Services, fake_feishu: FakeFeishu
) -> None:
    inbound = FeishuInbound(ws_services, load_all())
    lc = LongConnection(
        app_id=fake_feishu.app_id,
        app_secret="not-the-secret",
        domain=fake_feishu.base_url,
        handle=inbound.handle_frame,
        check_every=0.1,
        restart_backoff=(0.2, 0.4),
    )
    await lc.start()
    try:
        await eventually(lambda: lc.restarts >= 3)
        assert not lc.connected
        assert fake_feishu.ws_connects == 0
        lc._app_secret = fake_feishu.app_secret  # the admin fixes the secret
        await eventually(lambda: lc.connected)
    finally:
        await lc.stop()


def test_ack_payload_shape_matches_the_sdk() -> None:
    """The ack we write is what lark-oapi itself writes: {"code":200,"data":base64(json)}."""
    import base64

    from lark_oapi.core.json import JSON
    from lark_oapi.ws.model import Response

    response = Response(code=200)
    response.data = base64.b64encode(JSON.marshal({"toast": {"type": "info"}}).encode())
    wire = json.loads(JSON.marshal(response))
    assert wire["code"] == 200
    assert json.loads(base64.b64decode(wire["data"])) == {"toast": {"type": "info"}}
