"""End to end through real processes: ``python -m bot serve`` and ``python -m bot worker``
against the fake Feishu. A person messages the bot, gets a card, taps it, the card is updated.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.core.services import Services
from storage.models.machinery import AuditEntry, InboundEvent
from tests.fakes.feishu_server import FakeFeishu
from tests.support.orgs import FEISHU_ORG, load_org_text
from tests.support.processes import StreamedProcess, running_processes

pytestmark = pytest.mark.slow


@pytest.fixture
async def running_bot(
    services: Services, fake_feishu: FakeFeishu, db_url: str, redis_url: str, tmp_path: Path
) -> AsyncIterator[tuple[str, StreamedProcess, StreamedProcess]]:
    await load_org_text(FEISHU_ORG, services.clock.now())
    async with running_processes(fake_feishu, db_url, redis_url, tmp_path) as running:
        yield running


async def test_message_card_tap_update_through_serve_and_worker(
    running_bot: tuple[str, StreamedProcess, StreamedProcess], fake_feishu: FakeFeishu
) -> None:
    base, serve, worker = running_bot
    assert "已开启渠道：飞书" in serve.output
    events = base + "/feishu/events"

    # 小王 writes 帮助 to the bot in a 1:1 chat (signed and encrypted, as Feishu sends it).
    status, answer = await fake_feishu.post_to_bot(
        events, fake_feishu.message_event(sender_open_id="ou_xiaowang", text="帮助")
    )
    assert (status, answer) == (200, {})
    [help_card] = await fake_feishu.wait_for(
        lambda: fake_feishu.sent("interactive", receive_id="ou_xiaowang"), 60
    )
    assert "小王，我能帮您做什么" in help_card.text

    # 小王 taps 我的信息: the answer carries a toast and the updated card, which Feishu shows.
    answer = await fake_feishu.tap(
        events, help_card.message_id, "我的信息", operator_open_id="ou_xiaowang"
    )
    assert answer["toast"]["content"] == "开始：我的信息"
    assert help_card.updates == ["callback"]
    assert "已开始：我的信息" in help_card.text

    # The worker delivers what the tap started.
    info = await fake_feishu.wait_for(
        lambda: [m for m in fake_feishu.sent("interactive") if "区文旅委宣传科" in m.text], 60
    )
    assert info[0].receive_id == "ou_xiaowang"
    assert "worker 已启动" in worker.output


async def test_bad_input_to_serve_changes_nothing(
    running_bot: tuple[str, StreamedProcess, StreamedProcess], fake_feishu: FakeFeishu
) -> None:
    base, _, _ = running_bot
    events = base + "/feishu/events"
    audit_before = await AuditEntry.all().count()
    event = fake_feishu.message_event(sender_open_id="ou_xiaowang", text="帮助")
    status, _ = await fake_feishu.post_to_bot(events, event, encrypt_key="forged")
    assert status == 401
    async with aiohttp.ClientSession() as session, session.post(events, data=b"{oops") as resp:
        assert resp.status == 400
    assert await InboundEvent.all().count() == 0
    assert await AuditEntry.all().count() == audit_before
    await asyncio.sleep(1)
    assert fake_feishu.sent() == []
