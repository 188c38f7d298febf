"""Reading duty on every platform: the handover (提交交接 → 确认接班) and two alerts — one
acknowledged by the officer, one nobody acknowledges, which escalates to the duty lead, who
acknowledges it — on the console, WeCom and Feishu, and once through real ``dutybot serve`` +
``dutybot worker`` processes that share the demo clock with the test
(``DUTYBOT_DEMO_CLOCK``): the countdowns of minutes pass in seconds.

The team is defined from the moment the test starts: its shift change is 35 minutes
ahead (after the 30-minute reminder), so the shifts are the same whatever the real time
of day is."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.flows.duty.start.handover import plan_all as plan_handovers
from storage.models.duty import DutyShift, DutyTeam
from storage.models.duty_alerts import Alert, AlertStatus
from storage.models.duty_handover import DutyHandover, HandoverStatus
from storage.models.machinery import AuditEntry
from storage.models.org import Person
from tests.duty.support import make_team
from tests.support.dates import SHANGHAI
from tests.support.platforms import PlatformChat

GROUP = "group:wlw-duty"
ACK_MINUTES = 5  # alert.ack (一般) in the default preset


async def _holder(team: DutyTeam, at: object) -> str:
    shift = await DutyShift.filter(team_id=team.id, starts_at__lte=at, ends_at__gt=at).first()
    assert shift is not None, f"no shift at {at}"
    return (await Person.get(id=shift.person_id)).key


async def handover_and_alerts(chat: PlatformChat) -> None:
    services = chat.services
    now = services.clock.now().astimezone(SHANGHAI)
    change = (now + timedelta(minutes=35)).replace(second=0, microsecond=0)
    # 小王 and 老周 on day/night shifts changing at ``change``; lead 李科长; the 文旅委 duty group.
    team = await make_team(
        services,
        key="wlw-duty",
        name="区文旅委读网值班",
        unit="wlw",
        people=("xiaowang", "laozhou"),
        lead="likz",
        chat="wlw-duty",
        scope=(),
        day_start=f"{change:%H:%M}",
        night_start=f"{change + timedelta(hours=12):%H:%M}",
        start=(change - timedelta(days=2)).date(),
        days=3,
    )
    await plan_handovers(services)  # the worker's cron
    outgoing = await _holder(team, change - timedelta(minutes=1))
    incoming = await _holder(team, change)
    assert {outgoing, incoming} == {"xiaowang", "laozhou"}

    # 15 minutes before the change: the outgoing officer gets the pre-filled card, the
    # incoming one has been reminded.
    await chat.travel(change - timedelta(minutes=15))
    await chat.expect(incoming, "接班提醒")
    out = await chat.card(outgoing, "交班：区文旅委读网值班", button="提交交接")
    await chat.tap(outgoing, out, "提交交接")
    handed = await chat.card(incoming, "接班确认", button="确认接班")
    assert "区文旅委读网值班" in handed.text
    await chat.expect(GROUP, "接班确认")

    # The change: the outgoing officer stays responsible until the incoming one acknowledges.
    await chat.travel(change + timedelta(minutes=1))
    await chat.expect(outgoing, "值班责任仍由您承担")
    await chat.tap(incoming, handed, "确认接班")
    await chat.expect(outgoing, "值班责任已移交，您已交班")
    done = await chat.card(incoming, "接班确认")
    assert "确认接班" not in done.buttons  # WeCom shows the outcome as a disabled button
    assert f"{NAMES[incoming]}已于" in done.text
    handover = await DutyHandover.get(team_id=team.id, change_at=change)
    assert handover.status == HandoverStatus.ACKNOWLEDGED

    # An alert reported by 李科长 goes to the officer now on duty, who acknowledges it.
    await chat.say("likz", "报告 一般 临江文旅抖音号评论区出现不实信息")
    await chat.expect("likz", "已报告一般告警 GJ-", f"已通知{NAMES[incoming]}确认")
    first = await chat.card(incoming, "【一般告警】临江文旅抖音号评论区出现不实信息")
    await chat.tap(incoming, first, "确认告警")
    assert "确认告警" not in (await chat.card(incoming, "评论区出现不实信息")).buttons

    # A second alert nobody acknowledges: five minutes later it escalates to the duty lead,
    # @-mentioned in the group with the card 1:1, and he acknowledges it.
    await chat.say("likz", "报告 一般 临江文旅公众号菜单链接打不开")
    await chat.expect("likz", "已报告一般告警")
    second = await chat.card(incoming, "菜单链接打不开", button="确认告警")
    await chat.travel(change + timedelta(minutes=1 + ACK_MINUTES, seconds=5))
    await chat.expect("likz", "【告警升级】", "已升级至值班长")
    await chat.expect(GROUP, "【告警升级】")
    lead_card = await chat.card("likz", "菜单链接打不开", button="确认告警")
    await chat.tap("likz", lead_card, "确认告警")
    alert = await Alert.get(title="临江文旅公众号菜单链接打不开")
    for _ in range(chat.patience):
        alert = await Alert.get(id=alert.id)
        if alert.status == AlertStatus.ACKNOWLEDGED:
            break
        await chat.wait()
    assert alert.status == AlertStatus.ACKNOWLEDGED
    assert alert.acknowledged_by_id == (await Person.get(key="likz")).id
    escalated = await AuditEntry.filter(action="duty.alert_escalated", subject_id=str(alert.id))
    assert [e.detail["level"] for e in escalated] == [1]
    assert second.title == lead_card.title
    chat.ignore("wangzr")  # the unit head is not reached in this scenario


NAMES = {"xiaowang": "小王", "laozhou": "老周"}


async def test_handover_and_alerts(chat: PlatformChat) -> None:
    await handover_and_alerts(chat)


@pytest.mark.slow
async def test_handover_and_alerts_through_serve_and_worker(
    live_chat_demo_clock: PlatformChat,
) -> None:
    await handover_and_alerts(live_chat_demo_clock)
