"""The robot's transports: the long connection's reconnects and budgets, the callback mode,
and the app 1:1 when a group cannot be reached yet."""

from __future__ import annotations

import asyncio

import pytest

from bot.adapters.wecom_bot.channel import SendFailed
from bot.adapters.wecom_bot.inbound import RobotInbound
from bot.adapters.wecom_bot.relay import RobotLink
from bot.handlers import load_all
from bot.web.sources import create_token
from storage.enums import OutboxStatus
from storage.models.machinery import OutboxMessage
from tests.support.review import TEXT
from tests.support.travel import deliver_all
from tests.support.wecom_robot import REVIEW_CHATID, CallbackRobot, Robot

NOTICE = {
    "account": "wlw-wechat",
    "problem": "首页“旅游攻略”栏目链接返回 404",
    "evidence": "https://monitor.example/checks/8812",
    "category": "broken_link",
    "severity": "serious",
}


async def submit_by_robot(robot: Robot) -> None:
    for answer in ("送审", "桃花节开幕", TEXT, "无", "无", "1", "原创"):
        await robot.say("XiaoWang", answer, chatid=None)
    summary = robot.fake.cards("XiaoWang", "请核对送审稿件")[-1]
    await robot.fake.tap("XiaoWang", summary, "送审")
    await robot.settle()


async def test_a_dropped_connection_is_reestablished_and_loses_nothing(robot: Robot) -> None:
    await robot.say("LaoZhou", "帮助")
    assert len(robot.group()) == 1
    await robot.fake.drop()
    # While the connection is down a notice arrives: its group card waits in the outbox.
    token = await create_token("web-monitor", robot.services.clock.now())
    resp = await robot.client.post(
        "/api/rectifications", json=NOTICE, headers={"Authorization": f"Bearer {token}"}
    )
    assert resp.status == 201, await resp.text()
    await robot.settle()
    assert len(robot.group()) == 1
    await robot.until_connected()
    assert robot.fake.subscribes == 2
    await deliver_all(robot.services)
    assert len(robot.fake.cards(REVIEW_CHATID, "整改通知 ZG2026-0001")) == 1
    await robot.say("LiKZ", "帮助")
    await deliver_all(robot.services)
    assert len(robot.group()) == 3


async def test_a_kicked_connection_waits_before_subscribing_again(robot: Robot) -> None:
    await robot.fake.kick()
    await asyncio.sleep(1.5)  # a plain drop reconnects after 1 s
    assert robot.fake.subscribes == 1
    assert not robot.fake.connected.is_set()


async def test_the_group_budget_delays_and_never_drops(robot: Robot) -> None:
    for _ in range(31):
        await robot.fake.say("LaoZhou", "帮助", REVIEW_CHATID)
    await robot.settle()
    assert len(robot.group()) == 30
    assert robot.fake.refused == []  # we waited; WeCom never had to refuse
    waiting = await OutboxMessage.filter(status=OutboxStatus.PENDING, platform="wecom_bot").get()
    assert "30 条/分钟" in waiting.last_error
    assert waiting.attempts == 0


async def test_an_unopened_group_falls_back_to_the_app(robot: Robot) -> None:
    await submit_by_robot(robot)
    assert robot.group() == []
    assert robot.fake.refused == []
    cards = [
        s["template_card"]
        for s in robot.app_fake.sent(msgtype="template_card", touser="LiKZ")
        if "初审：《桃花节开幕》" in s["template_card"]["main_title"]["title"]
    ]
    assert len(cards) == 1
    assert "改由应用单独发送" in cards[0]["sub_title_text"]
    assert [b["text"] for b in cards[0]["button_list"]][:2] == ["通过", "退回修改"]


async def test_callback_mode_answers_through_the_response_url(
    callback_robot: CallbackRobot,
) -> None:
    robot = callback_robot
    answer = await robot.say("LiKZ", "帮助", with_response_url=True)
    assert answer is None  # recorded and acknowledged at once; the answer follows
    posted = robot.fake.chat(REVIEW_CHATID)
    assert len(posted) == 1
    assert "科室负责人" in posted[0].text()
    assert posted[0].reply_to is not None
    # A second message without a response_url: the group cannot be reached, the app is used.
    await robot.say("LiKZ", "帮助")
    assert len(robot.fake.chat(REVIEW_CHATID)) == 1
    texts = robot.app_fake.sent(touser="LiKZ")
    assert "改由应用单独发送" in str(texts[-1])


async def test_callback_mode_tells_an_unknown_group_its_chatid(
    callback_robot: CallbackRobot,
) -> None:
    answer = await callback_robot.say("LiKZ", "帮助", chatid="wrkOtherGroup")
    assert answer is not None
    assert answer["msgtype"] == "stream"
    assert answer["stream"]["finish"] is True
    assert "wecom_chat_id: wrkOtherGroup" in answer["stream"]["content"]


async def test_callback_mode_refuses_a_bad_signature(callback_robot: CallbackRobot) -> None:
    robot = callback_robot
    query, data, _ = robot.sender.post(robot.fake.message_body("LiKZ", "帮助", REVIEW_CHATID))
    tampered = query.replace("msg_signature=", "msg_signature=0")
    resp = await robot.client.post(f"/wecom/bot/callback?{tampered}", data=data)
    assert resp.status == 403
    assert await OutboxMessage.all().count() == 0


async def test_callback_mode_url_verification(callback_robot: CallbackRobot) -> None:
    resp = await callback_robot.client.get(
        f"/wecom/bot/callback?{callback_robot.sender.url_verification('echo-1234')}"
    )
    assert resp.status == 200
    assert await resp.text() == "echo-1234"


async def test_a_process_without_the_connection_sends_through_its_holder(robot: Robot) -> None:
    """The worker has no long connection: its pushes travel through Redis to the holder."""
    await robot.say("LaoZhou", "帮助")
    worker_side = RobotLink(robot.services)  # as the worker builds it: never started
    await worker_side.send(
        REVIEW_CHATID, {"msgtype": "markdown", "markdown": {"content": "经由持有者"}}
    )
    assert robot.group()[-1].text() == "经由持有者"
    with pytest.raises(SendFailed) as refused:
        await worker_side.send(
            "wrkNobodyWroteHere", {"msgtype": "markdown", "markdown": {"content": "x"}}
        )
    assert refused.value.errcode == 93006


async def test_a_second_web_process_stands_by(robot: Robot) -> None:
    standby = RobotLink(robot.services)
    await standby.start_connection(RobotInbound(robot.services, load_all()))
    try:
        await asyncio.sleep(0.5)
        assert standby.connection is None
        assert robot.fake.subscribes == 1
    finally:
        await standby.stop_connection()
    assert robot.fake.connected.is_set()


async def test_callback_mode_acknowledges_a_body_of_the_wrong_shape(
    callback_robot: CallbackRobot,
) -> None:
    robot = callback_robot
    odd = robot.fake.message_body("LiKZ", "帮助", REVIEW_CHATID)
    odd["msgtype"] = "mixed"
    odd["mixed"] = {"msg_item": [{"msgtype": "text", "text": "not an object"}]}
    assert await robot.post(odd) is None
    assert await OutboxMessage.all().count() == 0
