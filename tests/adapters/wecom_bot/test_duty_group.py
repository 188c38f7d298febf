"""Duty alerts in the duty group through the robot: `@值班助手 报告 …` in the group, the alert
card posted there, a colleague not on duty refused, the officer on duty acknowledging it."""

from __future__ import annotations

from bot.core.services import Services
from storage.models.duty_alerts import Alert, AlertStatus
from storage.models.machinery import AuditEntry
from tests.duty.handover_support import at
from tests.duty.platform_support import centre_team
from tests.duty.support import DUTY_WECOM_ORG
from tests.fakes.wecom_robot import FakeRobot
from tests.fakes.wecom_server import FakeWeCom
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
