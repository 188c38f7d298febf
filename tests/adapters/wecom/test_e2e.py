"""End to end: ``python -m bot serve`` and ``python -m bot worker`` as real processes, the fake
WeCom API, signed and encrypted callbacks: what only WeCom's callback does. The conversations
themselves run through the processes on every platform in tests/platforms/ (``live_chat``).
"""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from storage.models.machinery import AuditEntry, InboundEvent
from tests.fakes.wecom_callbacks import text_xml
from tests.fakes.wecom_server import WeComPlatform
from tests.support.processes import Processes, eventually, stack
from tests.support.wecom import CORP_ID

pytestmark = pytest.mark.slow

__all__ = ["stack"]  # the fixture


async def test_callback_url_check_retries_and_forgeries_through_serve_and_worker(
    stack: tuple[str, WeComPlatform, Processes],
) -> None:
    """What only WeCom's callback does (the conversation itself runs on every platform in
    tests/platforms/test_help.py): the URL check when the admin saves the callback, an answer
    within WeCom's limit, a retried tap that changes nothing, a forged callback refused."""
    base, platform, procs = stack
    fake = platform.api
    async with aiohttp.ClientSession() as session:
        # The admin saves the callback URL: WeCom verifies it.
        params = platform.signer.url_verification("5927782489442352469")
        async with session.get(f"{base}/wecom/callback", params=params) as resp:
            assert resp.status == 200
            assert await resp.text() == "5927782489442352469"

    # 张三 sends 帮助 in the app: answered at once (empty body), the card comes via the worker.
    started = time.monotonic()
    status, body = await platform.post(base, text_xml(CORP_ID, "ZhangSan", "帮助", "880001"))
    assert (status, body) == (200, "")
    assert time.monotonic() - started < 5
    sent = await eventually(
        lambda: fake.sent(msgtype="template_card", touser="ZhangSan"), "the help card", procs
    )
    card = sent[0]["template_card"]

    # The same tap delivered twice (WeCom retries when the answer is slow) is one tap.
    tap = platform.tap("ZhangSan", card, "我的信息")
    assert (await platform.post(base, tap))[0] == 200
    assert (await platform.post(base, tap))[0] == 200
    updates = await eventually(fake.updates, "the card update", procs)
    assert updates[0]["userids"] == ["ZhangSan"]
    await eventually(
        lambda: fake.sent(msgtype="markdown", touser="ZhangSan"), "the info reply", procs
    )

    # A forged callback changes nothing and is refused.
    signed = platform.signer.post(text_xml(CORP_ID, "ZhangSan", "帮助", "880002"))
    signed.params["msg_signature"] = "0" * 40
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{base}/wecom/callback?{signed.query}", data=signed.body) as resp,
    ):
        assert resp.status == 403
    await asyncio.sleep(1)
    assert len(fake.updates()) == 1
    assert len(fake.sent(touser="ZhangSan")) == 2
    assert await InboundEvent.all().count() == 2
    assert await AuditEntry.filter(action="card.denied").count() == 0
