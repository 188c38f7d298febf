"""End to end through real processes: ``python -m bot serve`` and ``python -m bot worker``
against the fake Feishu — what only Feishu's endpoint does (bad signatures, malformed bodies).
The conversations themselves run through the processes on every platform in tests/platforms/.
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


async def test_bad_input_to_serve_changes_nothing(
    running_bot: tuple[str, StreamedProcess, StreamedProcess], fake_feishu: FakeFeishu
) -> None:
    base, serve, _ = running_bot
    assert "已开启渠道：飞书" in serve.output
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
