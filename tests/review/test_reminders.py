"""Reminders, 催办 and escalation of a pending level, on the deadline engine and the ManualClock."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.services import Services
from bot.deadlines import lifecycle
from storage.models.machinery import AuditEntry
from storage.models.review import ReviewStep, StepStatus
from tests.support.chat import ChatHarness
from tests.support.dates import SHANGHAI
from tests.support.policy import use_policy
from tests.support.review import GROUP, review_card, submit

TEXT = "第十届临江桃花节今天开幕，欢迎广大市民前来游玩。"


async def test_pending_level_reminds_then_escalates(
    harness: ChatHarness, services: Services
) -> None:
    # Friday 9 October 2026 10:00. review.remind = 4 working hours → 15:30 the same day
    # (lunch 12:00–13:30 does not count); review.escalate = 8 working hours → Saturday 10
    # October 10:00, a 调休 make-up working day after the National Day holiday.
    await submit(harness, "xiaowang", title="桃花节开幕", text=TEXT)
    await harness.mark_read("likz")
    await harness.mark_read("zhaofzr")
    assert await harness.advance(to=datetime(2026, 10, 9, 15, 29, tzinfo=SHANGHAI)) == 0
    assert await harness.new_messages("likz") == []

    await harness.advance(to=datetime(2026, 10, 9, 15, 31, tzinfo=SHANGHAI))
    reminded = await harness.new_messages("likz")
    assert [m.text for m in reminded] == [
        "提醒：《桃花节开幕》等待您初审已超过规定时间，请尽快审核。"
    ]
    group = await harness.messages("likz", GROUP)
    assert group[-1].mentions == ["李科长"]
    assert await AuditEntry.filter(action="review.reminded").count() == 1

    # The evening does not count: nothing more until the make-up Saturday's 10:00.
    assert await harness.advance(to=datetime(2026, 10, 10, 9, 59, tzinfo=SHANGHAI)) == 0
    await harness.advance(to=datetime(2026, 10, 10, 10, 1, tzinfo=SHANGHAI))
    # No other 科室负责人 to take over: the next level's 分管领导 hears, and so does the author.
    nudged = await harness.new_messages("zhaofzr")
    assert nudged[-1].text == "《桃花节开幕》初审超时未处理（李科长），请督促。"
    told = (await harness.messages("xiaowang"))[-1].text
    assert "初审仍未处理" in told
    assert "已通知赵副主任" in told
    assert await AuditEntry.filter(action="review.escalated").count() == 1
    # Deciding stops the countdown: nothing fires later.
    card = await review_card(harness, "likz")
    await harness.tap("likz", card, "通过", chat=GROUP)
    step = await ReviewStep.get(id=1)
    deadlines = await lifecycle.for_subject(None, "review_step", step.id, open_only=False)
    assert deadlines[0].status.value == "completed"


async def test_escalation_lets_a_deputy_decide(harness: ChatHarness, services: Services) -> None:
    await submit(harness, "xiaowang", title="桃花节开幕", text=TEXT)
    await harness.tap("likz", await review_card(harness, "likz"), "通过", chat=GROUP)
    card = await review_card(harness, "zhaofzr")
    # Before escalation 钱副主任 may not decide 赵副主任's level.
    early = await harness.tap("qianfzr", card, "通过", chat=GROUP)
    assert early.toast == "当前由赵副主任复审，您的操作未生效。"
    await harness.advance(to=datetime(2026, 10, 12, 10, 1, tzinfo=SHANGHAI))
    # 赵副主任 was reminded first (at half the escalation time).
    await harness.expect("zhaofzr", "提醒：《桃花节开幕》等待您复审已超过规定时间")
    group = await harness.messages("qianfzr", GROUP)
    assert group[-1].mentions == ["钱副主任"]
    assert "超时未处理（赵副主任），请您代为审核" in group[-1].text
    result = await harness.tap("qianfzr", card, "通过", chat=GROUP)
    assert result.toast == "已通过，已转终审"
    step = await ReviewStep.get(id=2)
    assert step.status == StepStatus.APPROVED
    assert step.approver_id != step.decided_by_id
    # The reviewer's 1:1 chat says where the card waits (the group).
    await harness.expect("qianfzr", "审核卡片在群")
    await harness.expect("wangzr", "审核卡片在群")


async def test_urge_once_per_interval(harness: ChatHarness, services: Services) -> None:
    harness.ignore(GROUP)  # the group's copies; the test counts the 1:1 urges
    use_policy(services, "default", urge_interval_minutes=60)
    await submit(harness, "xiaowang", title="桃花节开幕", text=TEXT)
    await harness.mark_read("likz")
    replies = await harness.say("xiaowang", "催办")
    assert replies[-1].text == "《桃花节开幕》已催办李科长。"
    assert (await harness.new_messages("likz"))[-1].text == (
        "小王催办：《桃花节开幕》正等待您初审，请尽快审核。"
    )
    harness.clock.advance(timedelta(minutes=20))
    replies = await harness.say("xiaowang", "催办")
    assert replies[-1].text == "刚催办过，请40分钟后再催办。"
    assert await harness.new_messages("likz") == []
    harness.clock.advance(timedelta(minutes=41))
    progress = await harness.latest_card("xiaowang", title="送审进度")
    tapped = await harness.tap("xiaowang", progress, "催办")
    assert tapped.toast == "已催办李科长"
    assert await AuditEntry.filter(action="review.urged").count() == 2
    # Only the author may 催办.
    other = await harness.say("laozhou", "催办 1")
    assert other[-1].text == "只有送审人可以催办。"
