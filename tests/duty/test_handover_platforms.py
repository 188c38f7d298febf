"""The same handover and acknowledgement on WeCom and on Feishu: the outgoing officer's card,
提交交接, the incoming officer's card 1:1 and in the duty group, a refused tap by a colleague,
确认接班 updating the card. Platforms faked at the HTTP level only."""

from __future__ import annotations

from typing import Any

from bot.core.services import Services
from bot.deadlines import reconciler
from bot.flows.duty.start.handover import plan_all
from storage.models.duty import DutyTeam
from storage.models.duty_handover import DutyHandover, HandoverStatus
from storage.models.machinery import AuditEntry
from tests.duty.handover_support import at
from tests.duty.platform_support import Client, centre_team, events_url, wecom_client
from tests.fakes.feishu_server import FakeFeishu, card_text
from tests.fakes.wecom_callbacks import text_xml
from tests.fakes.wecom_server import FakeWeCom, WeComPlatform
from tests.support.feishu import fake_feishu
from tests.support.travel import settle
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


async def _team(services: Services) -> DutyTeam:
    team = await centre_team(services)
    await plan_all(services)
    return team


async def _travel(services: Services, hh: int, mm: int) -> None:
    services.clock.set(at(hh, mm))  # type: ignore[attr-defined]
    await reconciler.reconcile(services)


# ---- WeCom -----------------------------------------------------------------------------------


async def test_handover_on_wecom(
    wecom_client: Client, platform: WeComPlatform, services: Services, fake_wecom: FakeWeCom
) -> None:
    team = await _team(services)

    async def post(xml: str) -> None:
        signed = platform.signer.post(xml, agent_id=AGENT_ID)
        resp = await wecom_client.post(f"/wecom/callback?{signed.query}", data=signed.body)
        assert resp.status == 200
        await settle(services)

    def last_card(userid: str) -> dict[str, Any]:
        sent = platform.api.sent(msgtype="template_card", touser=userid)
        card: dict[str, Any] = sent[-1]["template_card"]
        return card

    # A note taken in the app goes into the handover.
    await post(text_xml(CORP_ID, "XiaoChen", "记录 临江文旅留言未回复，已告知李科长", "9001"))
    await _travel(services, 20, 15)
    await settle(services)
    out = last_card("XiaoChen")
    assert "交班" in out["main_title"]["title"]
    assert "留言未回复" in str(out)
    await post(platform.tap("XiaoChen", out, "提交交接"))
    handover = await DutyHandover.get(team_id=team.id, change_at=at(20, 30))
    assert handover.status == HandoverStatus.SUBMITTED
    incoming = last_card("LaoLiu")
    assert "接班确认" in incoming["main_title"]["title"]
    assert "留言未回复" in str(incoming)
    robot = fake_wecom.robot_posts(ROBOT_KEY)
    assert any("<@LaoLiu>" in str(p) for p in robot)

    # 小马 taps 确认接班 on 老刘's card (a forwarded card, or a forged callback): refused, audited.
    await post(platform.tap("XiaoMa", incoming, "确认接班"))
    assert (await DutyHandover.get(id=handover.id)).status == HandoverStatus.SUBMITTED
    assert await AuditEntry.filter(action="duty.handover_refused").count() == 1

    await _travel(services, 20, 32)
    await settle(services)
    await post(platform.tap("LaoLiu", last_card("LaoLiu"), "确认接班"))
    done = await DutyHandover.get(id=handover.id)
    assert done.status == HandoverStatus.ACKNOWLEDGED
    seen = fake_wecom.cards[("LaoLiu", incoming["task_id"])]
    assert "老刘已于" in str(seen)
    assert "确认接班" not in [b.get("text") for b in seen.get("button_list", [])]


# ---- Feishu ----------------------------------------------------------------------------------


async def test_handover_on_feishu(
    services: Services, fake_feishu: FakeFeishu, events_url: str
) -> None:
    url = events_url
    team = await _team(services)
    await _travel(services, 20, 15)
    await settle(services)
    out = next(
        m for m in fake_feishu.sent("interactive", receive_id="ou_xiaochen") if "交班" in m.text
    )
    answer = await fake_feishu.tap(
        url,
        out.message_id,
        "提交交接",
        operator_open_id="ou_xiaochen",
        form={"note": "临江文旅留言已转李科长"},
    )
    assert answer["toast"]["type"] == "success"
    await settle(services)
    incoming = next(
        m for m in fake_feishu.sent("interactive", receive_id="ou_laoliu") if "接班确认" in m.text
    )
    assert "临江文旅留言已转李科长" in incoming.text
    group = [m for m in fake_feishu.sent(receive_id="oc_zx_duty") if "接班确认" in m.content]
    assert group
    assert any("ou_laoliu" in m.content for m in group)  # the @-mention

    # 小马 taps 确认接班 on the group's copy: refused, saying who may act.
    refused = await fake_feishu.tap(
        url, group[0].message_id, "确认接班", operator_open_id="ou_xiaoma"
    )
    assert "只有接班人老刘可以确认接班" in refused["toast"]["content"]

    await _travel(services, 20, 32)
    await settle(services)
    answer = await fake_feishu.tap(
        url, incoming.message_id, "确认接班", operator_open_id="ou_laoliu"
    )
    assert answer["toast"]["type"] == "success"
    assert "老刘已于" in card_text(answer["card"]["data"])
    handover = await DutyHandover.get(team_id=team.id, change_at=at(20, 30))
    assert handover.status == HandoverStatus.ACKNOWLEDGED
    assert handover.acknowledged_at == at(20, 32)
    # The group's copy shows the outcome too.
    await settle(services)
    assert "老刘已于" in fake_feishu.messages[group[0].message_id].text
