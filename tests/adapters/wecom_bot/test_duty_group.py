"""The duty group through the robot: `@值班助手 报告 …` raises an alert whose card is posted and
acknowledged there; the incoming officer confirms a handover there; colleagues who may not
act are refused on their own copy of the card."""

from __future__ import annotations

from bot.core.services import Services
from bot.deadlines import reconciler
from bot.flows.duty.start.handover import plan_all
from storage.models.duty_alerts import Alert, AlertStatus
from storage.models.duty_handover import DutyHandover, HandoverStatus
from storage.models.machinery import AuditEntry
from tests.duty.handover_support import at
from tests.duty.platform_support import centre_team
from tests.duty.support import DUTY_WECOM_ORG
from tests.fakes.wecom_callbacks import CallbackSigner
from tests.fakes.wecom_robot import FakeRobot
from tests.fakes.wecom_server import FakeWeCom, WeComPlatform
from tests.support.wecom import AGENT_ID, CORP_ID, TOKEN
from tests.support.wecom_robot import running_robot

DUTY_CHATID = "wrkDutyGroupZx0001"
ORG = DUTY_WECOM_ORG.replace(
    "    purpose: duty\n", f"    purpose: duty\n    wecom_chat_id: {DUTY_CHATID}\n", 1
)


async def test_alert_reported_and_acknowledged_in_the_duty_group(
    services: Services, fake_robot: FakeRobot, fake_wecom: FakeWeCom, aes_key: str
) -> None:
    services.clock.set(at(10))  # type: ignore[attr-defined]
    async with running_robot(services, fake_robot, fake_wecom, aes_key, ORG) as robot:
        await centre_team(services)
        await robot.say(
            "LaoLiu",
            "报告 严重 临江文旅公众号首页无法打开 https://example.cn/wlw",
            chatid=DUTY_CHATID,
        )
        cards = [p for p in robot.group(DUTY_CHATID) if p.card is not None]
        assert len(cards) == 1, [p.text() for p in robot.group(DUTY_CHATID)]
        card = cards[0]
        assert "严重告警" in card.text()
        assert "@小陈" in card.text()

        # 小马 is not on duty: his copy says why, the alert stays open, the attempt is audited.
        await robot.fake.tap("XiaoMa", card, "确认告警")
        await robot.settle()
        assert "【未生效】" in card.text("XiaoMa")
        assert "【未生效】" not in card.text("XiaoChen")
        assert (await Alert.get(id=1)).status == AlertStatus.OPEN
        assert await AuditEntry.filter(action="duty.alert_ack_refused").count() == 1

        await robot.fake.tap("XiaoChen", card, "确认告警")
        await robot.settle()
        assert (await Alert.get(id=1)).status == AlertStatus.ACKNOWLEDGED
        assert "确认告警" not in card.text("XiaoChen").splitlines()
        assert card.text("XiaoMa") == card.text("XiaoChen")


async def test_handover_acknowledged_in_the_duty_group(
    services: Services, fake_robot: FakeRobot, fake_wecom: FakeWeCom, aes_key: str
) -> None:
    services.clock.set(at(10))  # type: ignore[attr-defined]
    app = WeComPlatform(api=fake_wecom, signer=CallbackSigner(TOKEN, aes_key, CORP_ID))
    async with running_robot(services, fake_robot, fake_wecom, aes_key, ORG) as robot:
        team = await centre_team(services)
        await plan_all(services)
        await robot.say("LaoLiu", "帮助", chatid=DUTY_CHATID)  # the group is open from now on

        services.clock.set(at(20, 15))  # type: ignore[attr-defined]
        await reconciler.reconcile(services)
        await robot.settle()
        out = fake_wecom.sent(msgtype="template_card", touser="XiaoChen")[-1]["template_card"]
        assert "交班" in out["main_title"]["title"]
        signed = app.signer.post(app.tap("XiaoChen", out, "提交交接"), agent_id=AGENT_ID)
        resp = await robot.client.post(f"/wecom/callback?{signed.query}", data=signed.body)
        assert resp.status == 200
        await robot.settle()
        handover = await DutyHandover.get(team_id=team.id, change_at=at(20, 30))
        assert handover.status == HandoverStatus.SUBMITTED

        cards = robot.fake.cards(DUTY_CHATID, "接班确认")
        assert len(cards) == 1
        card = cards[0]
        assert "@老刘" in card.text()
        await robot.fake.tap("XiaoMa", card, "确认接班")
        await robot.settle()
        assert "【未生效】" in card.text("XiaoMa")
        assert (await DutyHandover.get(id=handover.id)).status == HandoverStatus.SUBMITTED
        assert await AuditEntry.filter(action="duty.handover_refused").count() == 1

        services.clock.set(at(20, 32))  # type: ignore[attr-defined]
        await reconciler.reconcile(services)
        await robot.settle()
        await robot.fake.tap("LaoLiu", card, "确认接班")
        await robot.settle()
        assert (await DutyHandover.get(id=handover.id)).status == HandoverStatus.ACKNOWLEDGED
        assert "老刘已于" in card.text("LaoLiu")
        assert "确认接班" not in card.text("LaoLiu").splitlines()
