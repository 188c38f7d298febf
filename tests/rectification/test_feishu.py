"""The same notice issued and acknowledged on Feishu: the supervisor fills the one form card,
the unit gets the card 1:1 and in the group with @, a tap on 已接收 updates the card in the
callback answer. Platform faked at the HTTP level only."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.adapters.feishu.setup import install_feishu
from bot.app import create_app
from bot.core.services import Services
from bot.handlers import load_all
from storage.models.org import Account
from storage.models.rectification import Rectification, RectStatus
from tests.fakes.feishu_server import FakeFeishu, card_text
from tests.support.dates import MONDAY_10
from tests.support.feishu import close_feishu, fake_feishu, feishu_settings
from tests.support.orgs import load_org_text
from tests.support.travel import settle

__all__ = ["fake_feishu"]  # fixture

ORG = """
units:
  - {key: fzb, name: 临江区人民政府办公室, kind: government}
  - {key: wlw, name: 临江区文化和旅游发展委员会, kind: government, supervisor: fzb}
  - {key: xck, name: 区文旅委宣传科, kind: government, parent: wlw, internal_office: true}
people:
  - {key: zhangzr, name: 张主任, unit: fzb, roles: [supervisor_staff], feishu_open_id: ou_zhangzr}
  - {key: xiaowang, name: 小王, unit: xck, roles: [editor], feishu_open_id: ou_xiaowang}
  - {key: wangzr, name: 王主任, unit: wlw, roles: [principal], feishu_open_id: ou_wangzr}
chats:
  - {key: wlw-duty, name: 区文旅委值班群, purpose: duty, unit: wlw,
     members: [xiaowang, wangzr], feishu_chat_id: oc_wlw_duty}
accounts:
  - {key: wlw-wechat, name: 临江文旅, platform: wechat, owner_unit: wlw, operator_unit: xck}
"""


@pytest.fixture
async def events_url(services: Services, fake_feishu: FakeFeishu) -> AsyncIterator[str]:
    services.settings = feishu_settings(services.settings, fake_feishu)
    services.channels.clear()
    install_feishu(services)
    services.clock.set(MONDAY_10)  # type: ignore[attr-defined]
    await load_org_text(ORG, MONDAY_10)
    app = create_app(services, load_all(), console=False)
    async with TestClient(TestServer(app)) as client:
        yield str(client.make_url("/feishu/events"))
    await close_feishu(services)


async def test_notice_issued_and_acknowledged_on_feishu(
    services: Services, fake_feishu: FakeFeishu, events_url: str
) -> None:
    url = events_url
    event = fake_feishu.message_event(sender_open_id="ou_zhangzr", text="整改")
    assert (await fake_feishu.post_to_bot(url, event))[0] == 200
    await settle(services)
    form_card = fake_feishu.sent("interactive")[-1]
    assert "整改通知" in form_card.text
    account = await Account.get(key="wlw-wechat")

    # A missing problem: marked on the card, nothing issued.
    form = {
        "account": "临江文旅（微信） · 临江区文化和旅游发展委员会",
        "category": "内容差错",
        "severity": "严重",
    }
    answer = await fake_feishu.tap(
        url, form_card.message_id, "下一步", operator_open_id="ou_zhangzr", form=form
    )
    assert answer["toast"]["type"] == "warning"
    await settle(services)
    marked = fake_feishu.sent("interactive")[-1]
    answer = await fake_feishu.tap(
        url,
        marked.message_id,
        "下一步",
        operator_open_id="ou_zhangzr",
        form={**form, "problem": "推文标题把“临江”写成“林江”", "evidence": "https://x/1"},
    )
    await settle(services)
    summary = fake_feishu.sent("interactive")[-1]
    assert "截止 11月23日 10:30" in summary.text
    answer = await fake_feishu.tap(url, summary.message_id, "下发", operator_open_id="ou_zhangzr")
    assert answer["toast"]["type"] == "success"
    await settle(services)

    rect = await Rectification.get(id=1)
    assert rect.account_id == account.id
    notice = next(
        m
        for m in fake_feishu.sent("interactive", receive_id="ou_xiaowang")
        if "整改通知 ZG2026-0001" in m.text
    )
    assert "剩余30分钟" in notice.text
    group = [m for m in fake_feishu.sent(receive_id="oc_wlw_duty") if "ZG2026-0001" in m.content]
    assert group
    assert any("ou_xiaowang" in m.content for m in group)  # the @-mention

    answer = await fake_feishu.tap(url, notice.message_id, "已接收", operator_open_id="ou_xiaowang")
    assert answer["toast"]["type"] == "success"
    assert "整改中" in card_text(answer["card"]["data"])
    assert (await Rectification.get(id=1)).status == RectStatus.ACKNOWLEDGED
    # The copy in the group is updated too (the same card, patched).
    await settle(services)
    group_card = next(m for m in group if m.msg_type == "interactive")
    assert "整改中" in fake_feishu.messages[group_card.message_id].text

    # Someone else's tap is refused.
    answer = await fake_feishu.tap(
        url, notice.message_id, "已整改", operator_open_id="ou_zhangzr", form={"note": "x"}
    )
    assert (await Rectification.get(id=1)).status == RectStatus.ACKNOWLEDGED
    assert "指定的人" in answer["toast"]["content"]
