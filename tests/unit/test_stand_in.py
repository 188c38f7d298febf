"""bench/stand_in_wecom.py, the WeCom stand-in for trying outages by hand: its control port
really takes the API away and brings it back, and its report counts a body accepted twice."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from bench.stand_in_wecom import StandIn, control_app
from tests.fakes.wecom_callbacks import CallbackSigner, random_aes_key
from tests.fakes.wecom_server import FakeWeCom, WeComPlatform


async def test_down_up_and_the_report() -> None:
    fake = FakeWeCom()
    await fake.start()
    signer = CallbackSigner("CallbackToken0123", random_aes_key(), fake.corp_id)
    stand_in = StandIn(
        fake, WeComPlatform(api=fake, signer=signer), "http://127.0.0.1:9", fake.port
    )
    token_url = f"{fake.url}/cgi-bin/gettoken?corpid={fake.corp_id}&corpsecret={fake.secret}"
    async with (
        TestClient(TestServer(control_app(stand_in))) as control,
        aiohttp.ClientSession() as s,
    ):
        assert (await (await control.post("/down")).json()) == {"up": False}
        with pytest.raises(aiohttp.ClientConnectionError):  # connection refused
            await s.get(token_url)
        assert (await (await control.post("/up")).json()) == {"up": True}
        async with s.get(token_url) as resp:
            token = (await resp.json())["access_token"]
        body = {"touser": "LaoZhou", "msgtype": "text", "agentid": fake.agent_id}
        body["text"] = {"content": "同一条消息"}
        for _ in range(2):
            async with s.post(f"{fake.url}/cgi-bin/message/send?access_token={token}", json=body):
                pass
        report = await (await control.get("/report")).json()
    await fake.stop()
    assert report["sends"] == 2
    assert report["doubled"] == ["text '同一条消息'"]
    assert report["per_user"] == {"LaoZhou": ["text '同一条消息'"] * 2}
