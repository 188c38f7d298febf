"""The same alert acknowledgement on WeCom and on Feishu (faked at the HTTP level only): 报告 in
the app, the card 1:1 and the @ in the duty group, a refused acknowledgement by a colleague
not on duty (audited, with the reason), 确认告警 by the officer updating the card; on Feishu
a 严重 alert is pushed with urgent_app."""

from __future__ import annotations

from typing import Any

from bot.core.services import Services
from storage.models.duty_alerts import Alert, AlertStatus
from storage.models.machinery import AuditEntry
from tests.duty.platform_support import Client, centre_team, events_url, wecom_client
from tests.fakes.feishu_server import FakeFeishu, card_text
from tests.fakes.wecom_callbacks import text_xml
from tests.fakes.wecom_server import FakeWeCom, WeComPlatform
from tests.support.feishu import fake_feishu
from tests.support.travel import settle
from tests.support.travel import settle as feishu_settle
from tests.support.wecom import (
    AGENT_ID,
    CORP_ID,
    ROBOT_KEY,
    aes_key,
    fake_wecom,
    platform,
)

__all__ = [
    "aes_key",
    "events_url",
    "fake_feishu",
    "fake_wecom",
    "platform",
    "wecom_client",
]  # fixtures


REPORT = "报告 严重 临江文旅公众号首页无法打开 https://example.cn/wlw"


async def test_alert_acknowledged_on_wecom(
    wecom_client: Client, platform: WeComPlatform, services: Services, fake_wecom: FakeWeCom
) -> None:
    await centre_team(services)

    async def post(xml: str) -> None:
        signed = platform.signer.post(xml, agent_id=AGENT_ID)
        resp = await wecom_client.post(f"/wecom/callback?{signed.query}", data=signed.body)
        assert resp.status == 200
        await settle(services)

    def last_card(userid: str) -> dict[str, Any]:
        sent = platform.api.sent(msgtype="template_card", touser=userid)
        card: dict[str, Any] = sent[-1]["template_card"]
        return card

    await post(text_xml(CORP_ID, "LaoLiu", REPORT, "9101"))
    card = last_card("XiaoChen")
    assert "严重告警" in card["main_title"]["title"]
    robot = fake_wecom.robot_posts(ROBOT_KEY)
    assert any("<@XiaoChen>" in str(p) for p in robot)

    # 小马 is not on duty: refused (a forwarded card or a forged callback), audited.
    await post(platform.tap("XiaoMa", card, "确认告警"))
    assert (await Alert.get(id=1)).status == AlertStatus.OPEN
    assert await AuditEntry.filter(action="duty.alert_ack_refused").count() == 1

    await post(platform.tap("XiaoChen", card, "确认告警"))
    alert = await Alert.get(id=1)
    assert alert.status == AlertStatus.ACKNOWLEDGED
    seen = fake_wecom.cards[("XiaoChen", card["task_id"])]
    assert "小陈" in str(seen)
    assert "确认告警" not in [b.get("text") for b in seen.get("button_list", [])]


async def test_alert_acknowledged_on_feishu(
    services: Services, fake_feishu: FakeFeishu, events_url: str
) -> None:
    url = events_url
    await centre_team(services)
    status, _ = await fake_feishu.post_to_bot(
        url, fake_feishu.message_event(sender_open_id="ou_laoliu", text=REPORT)
    )
    assert status == 200
    await feishu_settle(services)
    card = await fake_feishu.wait_for(
        lambda: next(
            (
                m
                for m in fake_feishu.sent("interactive", receive_id="ou_xiaochen")
                if "严重告警" in m.text
            ),
            None,
        )
    )
    # 严重: pushed with urgent_app to the officer.
    await fake_feishu.wait_for(lambda: card.urgent)
    assert ["ou_xiaochen"] in card.urgent
    group = [m for m in fake_feishu.sent(receive_id="oc_zx_duty") if "严重告警" in m.content]
    assert any("ou_xiaochen" in m.content for m in group)  # the @-mention
    group = [m for m in group if m.msg_type == "interactive"]
    assert group

    refused = await fake_feishu.tap(
        url, group[0].message_id, "确认告警", operator_open_id="ou_xiaoma"
    )
    assert "须由当前值班责任人确认（小陈）" in refused["toast"]["content"]
    assert await AuditEntry.filter(action="duty.alert_ack_refused").count() == 1

    answer = await fake_feishu.tap(url, card.message_id, "确认告警", operator_open_id="ou_xiaochen")
    assert answer["toast"]["type"] == "success"
    assert "确认人" in card_text(answer["card"]["data"])
    assert (await Alert.get(id=1)).status == AlertStatus.ACKNOWLEDGED
    await feishu_settle(services)
    assert "已确认" in fake_feishu.messages[group[0].message_id].text
