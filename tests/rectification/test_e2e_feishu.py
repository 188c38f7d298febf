"""End to end through real ``python -m bot serve`` and ``python -m bot worker`` processes and the
fake Feishu: the supervisor issues a notice with the form card in Feishu, the worker delivers it
to the unit, the unit taps 已接收 and the card is updated in the callback answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.services import Services
from storage.models.rectification import Rectification, RectStatus
from tests.fakes.feishu_server import FakeFeishu
from tests.support.feishu import fake_feishu
from tests.support.orgs import RECT_FEISHU_ORG as ORG
from tests.support.orgs import load_org_text
from tests.support.processes import running_processes

pytestmark = pytest.mark.slow

__all__ = ["fake_feishu"]  # fixture


@pytest.fixture
async def running_bot(
    services: Services, fake_feishu: FakeFeishu, db_url: str, redis_url: str, tmp_path: Path
) -> AsyncIterator[str]:
    await load_org_text(ORG, services.clock.now())
    calendar = {"DUTYBOT_CALENDAR_FILE": str(tmp_path / "calendar.toml")}
    async with running_processes(fake_feishu, db_url, redis_url, tmp_path, calendar) as running:
        yield running[0] + "/feishu/events"


async def test_notice_issued_and_acknowledged_in_feishu(
    running_bot: str, fake_feishu: FakeFeishu
) -> None:
    events = running_bot
    event = fake_feishu.message_event(sender_open_id="ou_zhangzr", text="整改")
    assert (await fake_feishu.post_to_bot(events, event))[0] == 200
    [form_card] = await fake_feishu.wait_for(
        lambda: fake_feishu.sent("interactive", receive_id="ou_zhangzr"), 60
    )
    form = {
        "account": "临江文旅（微信） · 临江区文化和旅游发展委员会",
        "category": "链接失效",
        "severity": "一般",
        "problem": "首页“旅游攻略”栏目链接返回 404",
        "evidence": "无",
    }
    await fake_feishu.tap(
        events, form_card.message_id, "下一步", operator_open_id="ou_zhangzr", form=form
    )
    # Cards take no files: the 截图 step is asked in the chat after the card.
    await fake_feishu.wait_for(
        lambda: [m for m in fake_feishu.sent(receive_id="ou_zhangzr") if "有截图或文件" in m.text],
        60,
    )
    none = fake_feishu.message_event(sender_open_id="ou_zhangzr", text="无")
    assert (await fake_feishu.post_to_bot(events, none))[0] == 200
    summaries = await fake_feishu.wait_for(
        lambda: [
            m
            for m in fake_feishu.sent("interactive", receive_id="ou_zhangzr")
            if "请核对整改通知" in m.text
        ],
        60,
    )
    # Under load the answer may come after Feishu's 3 s budget (then the card is patched):
    # what counts is what people end up seeing.
    await fake_feishu.tap(events, summaries[0].message_id, "下发", operator_open_id="ou_zhangzr")

    notices = await fake_feishu.wait_for(
        lambda: [
            m
            for m in fake_feishu.sent("interactive", receive_id="ou_xiaowang")
            if "整改通知 ZG2026-0001" in m.text
        ],
        60,
    )
    notice = notices[0]
    await fake_feishu.tap(events, notice.message_id, "已接收", operator_open_id="ou_xiaowang")
    await fake_feishu.wait_for(lambda: "整改中" in fake_feishu.messages[notice.message_id].text, 60)
    rect = await Rectification.get(id=1)
    assert rect.status == RectStatus.ACKNOWLEDGED
    assert rect.evidence == ""
