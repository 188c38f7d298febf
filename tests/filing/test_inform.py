"""Where the preset names the 网信办 among the recipients (yongchuan 第十二条), it is informed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.core.services import Services
from bot.handlers import load_all
from bot.policy.runtime import TimeKeeping
from tests.support.chat import ChatHarness, card_of, harness_on
from tests.support.filing import (
    SUPERVISING_UNIT,
    UNIT_GROUPS,
    answer_all,
    approve_both,
    open_filing,
    pick,
)


@pytest.fixture
async def yongchuan(
    request: pytest.FixtureRequest, services: Services, demo_org: None
) -> AsyncIterator[ChatHarness]:
    settings = services.settings.model_copy(update={"policy": "yongchuan"})
    services.timekeeping = TimeKeeping.from_settings(settings)
    app = create_app(services, load_all(), console=True)
    async with TestClient(TestServer(app)) as client, harness_on(request, client, services) as h:
        yield h


async def test_the_cyberspace_office_is_informed_of_an_approved_filing(
    yongchuan: ChatHarness,
) -> None:
    yongchuan.ignore(*UNIT_GROUPS, *SUPERVISING_UNIT)  # approval-card copies
    summary = await open_filing(yongchuan)
    await yongchuan.tap("xiaoxu", summary, "提交备案")
    await approve_both(yongchuan, head="chenzr", supervisor="zhangzr")
    informed = await yongchuan.new_messages("sunke")
    assert any("知会：开设备案 #1「临江教育」已审批同意" in m.text for m in informed)
    card_of(await yongchuan.new_messages("xiaoxu"), "备案已同意")  # fails when absent


async def test_yongchuan_closure_notice_is_fifteen_working_days(yongchuan: ChatHarness) -> None:
    await pick(yongchuan, "laozhou", "关停", "临江文旅（微博）")
    replies = await answer_all(yongchuan, "laozhou", ["整合", "迁移至微信", "首页公告", "今天"])
    summary = card_of(replies, "请核对")
    assert "永川区政务新媒体管理办法（试行）》第十一条" in summary.body
    assert "15个工作日" in summary.body
