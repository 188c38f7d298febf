"""What `dutybot doctor` and `config check` say about the robot."""

from __future__ import annotations

import asyncio

from pydantic import SecretStr

from bot.adapters.wecom_bot.inbound import RobotInbound
from bot.adapters.wecom_bot.relay import RobotLink
from bot.cli.doctor_cmd import Level, Report, check_wecom_bot
from bot.config import Settings
from bot.core.services import Services
from bot.handlers import load_all
from tests.fakes.wecom_robot import FakeRobot
from tests.support.wecom_robot import BOT_ID, Robot


def findings(report: Report) -> list[tuple[Level, str]]:
    return [(f.level, f.text) for f in report.findings if f.topic == "企业微信智能机器人"]


async def test_doctor_reports_the_connection_and_the_groups(robot: Robot) -> None:
    report = Report()
    await check_wecom_bot(robot.services.settings, report)
    assert findings(report) == [
        (Level.OK, "长连接由一个 dutybot serve 进程持有"),
        (
            Level.WARN,
            "文旅委审核群：还没有人在群里 @ 过机器人，机器人暂不能在群里发消息"
            "（改由应用单独发送）；请在群里 @机器人 说一句话",
        ),
    ]
    await robot.say("LiKZ", "帮助")
    await robot.say("LiKZ", "帮助", chatid="wrkNotInTheOrgFile")
    report = Report()
    await check_wecom_bot(robot.services.settings, report)
    assert findings(report) == [
        (Level.OK, "长连接由一个 dutybot serve 进程持有"),
        (Level.WARN, "有群 @ 了机器人但不在组织名单中（wecom_chat_id）：wrkNotInTheOrgFile"),
    ]


def test_config_names_what_each_mode_needs() -> None:
    base = Settings(_env_file=None)  # type: ignore[call-arg]
    status = {s.name: s for s in base.channel_status()}["wecom_bot"]
    assert status.missing == ("DUTYBOT_WECOM_BOT_ID", "DUTYBOT_WECOM_BOT_SECRET")
    callback = base.model_copy(
        update={
            "wecom_bot_id": "aib1",
            "wecom_bot_mode": "callback",
            "wecom_bot_token": SecretStr("t"),
        }
    )
    status = {s.name: s for s in callback.channel_status()}["wecom_bot"]
    assert status.partially_configured
    assert status.missing == ("DUTYBOT_WECOM_BOT_AES_KEY",)
    assert not callback.wecom_bot_enabled


async def test_doctor_says_when_the_secret_is_refused(
    services: Services, fake_robot: FakeRobot
) -> None:
    services.settings = services.settings.model_copy(
        update={
            "wecom_bot_id": BOT_ID,
            "wecom_bot_secret": SecretStr("a-wrong-secret"),
            "wecom_bot_ws_url": fake_robot.url,
        }
    )
    link = RobotLink(services)
    link.renew_every = 0.2
    await link.start_connection(RobotInbound(services, load_all()))
    try:
        for _ in range(150):  # the first state is written after up to 5 s
            await asyncio.sleep(0.1)
            report = Report()
            await check_wecom_bot(services.settings, report)
            if any(level is Level.FAIL for level, _ in findings(report)):
                break
        assert findings(report)[0] == (
            Level.FAIL,
            "长连接没有连上：FrameError: 40001 invalid secret（请检查 BotID 和 Secret）",
        )
        assert fake_robot.subscribes == 0
    finally:
        await link.stop_connection()
