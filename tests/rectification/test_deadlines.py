"""Due times of notices by the preset and the calendar: a holiday week, a make-up working
Saturday, notices issued just before the end of working hours, category rules of beibei/jiaxian."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.core.services import Services
from bot.deadlines import lifecycle
from storage.models.rectification import Rectification
from tests.support.chat import ChatHarness, card_of
from tests.support.dates import at
from tests.support.policy import use_policy
from tests.support.rectification import WLW_UNIT, issue


async def issued_at(h: ChatHarness, when: datetime, **kwargs: str) -> tuple[Rectification, str]:
    h.clock.set(when)
    replies = await issue(h, **kwargs)
    rect = await Rectification.all().order_by("-id").first()
    assert rect is not None
    return rect, "\n".join(m.to_text() for m in replies)


@pytest.mark.parametrize(
    ("when", "severity", "due", "phrase"),
    [
        # National Day week 2026 (1–7 October): holidays count as outside working hours.
        (at(2026, 10, 3, 10, 0), "严重", at(2026, 10, 3, 12, 0), "工作时间外及节假日严重问题2小时"),
        (at(2026, 10, 5, 9, 0), "一般", at(2026, 10, 5, 13, 0), "工作时间外及节假日一般问题4小时"),
        # Saturday 10 October 2026 is a make-up working day: inside working hours.
        (at(2026, 10, 10, 10, 0), "严重", at(2026, 10, 10, 10, 30), "工作时间内严重问题30分钟"),
        # The next day, an ordinary Sunday, is not.
        (
            at(2026, 10, 11, 10, 0),
            "严重",
            at(2026, 10, 11, 12, 0),
            "工作时间外及节假日严重问题2小时",
        ),
        # Just before the end of working hours the inside limit applies, in clock time.
        (at(2026, 11, 23, 17, 50), "一般", at(2026, 11, 23, 18, 50), "工作时间内一般问题1小时"),
        (at(2026, 11, 23, 17, 59), "严重", at(2026, 11, 23, 18, 29), "工作时间内严重问题30分钟"),
        # 18:00 sharp is outside.
        (
            at(2026, 11, 23, 18, 0),
            "严重",
            at(2026, 11, 23, 20, 0),
            "工作时间外及节假日严重问题2小时",
        ),
    ],
)
async def test_kunming_limits_follow_the_calendar(
    kunming: ChatHarness, when: datetime, severity: str, due: datetime, phrase: str
) -> None:
    kunming.ignore(*WLW_UNIT)  # the notice's copies; this test is about its due time
    rect, confirmation = await issued_at(kunming, when, severity=severity)
    assert rect.due_at == due
    assert phrase in confirmation
    assert "第十五条" in confirmation
    card = card_of(await kunming.new_messages("xiaowang"), "整改通知")
    assert phrase in card.body


async def test_reminders_of_a_notice_issued_just_before_closing_time(kunming: ChatHarness) -> None:
    kunming.ignore(*WLW_UNIT)  # the notice's copies
    rect, _ = await issued_at(kunming, at(2026, 11, 23, 17, 50), severity="一般")
    assert rect.deadline_id is not None
    steps = {s.name: s.fire_at for s in await lifecycle.steps_of(None, rect.deadline_id)}
    assert steps["half"] == at(2026, 11, 23, 18, 20)
    assert steps["late"] == at(2026, 11, 23, 18, 38)
    assert steps["due"] == at(2026, 11, 23, 18, 50)


async def test_the_summary_shows_the_deadline_before_issuing(kunming: ChatHarness) -> None:
    h = kunming
    h.clock.set(at(2026, 10, 10, 10, 0))
    said = await h.say("zhangzr", "整改")
    question = card_of(said, "整改通知")
    tapped = await h.tap("zhangzr", question, question.buttons[2].label)
    tapped = await h.tap("zhangzr", card_of(tapped.replies, "整改通知"), "链接失效")
    tapped = await h.tap("zhangzr", card_of(tapped.replies, "整改通知"), "严重")
    await h.say("zhangzr", "首页“办事指南”链接打不开")
    await h.say("zhangzr", "无")  # no evidence
    said = await h.say("zhangzr", "无")  # no screenshots
    summary = card_of(said, "整改通知")
    assert "截止 10月10日 10:30" in summary.body
    assert "第十五条" in summary.body


async def test_beibei_netizen_error_reports_use_working_days_across_a_holiday(
    harness: ChatHarness, services: Services, tmp_path: Path
) -> None:
    harness.ignore(*WLW_UNIT)  # the notice's copies; this test is about its due time
    use_policy(services, "beibei", calendar_file=tmp_path / "calendar.toml")
    rect, confirmation = await issued_at(
        harness, at(2026, 9, 30, 10, 0), category="网民纠错", severity="一般"
    )
    assert rect.rule_id == "error_report.reply"
    # 1–7 October are holidays; 8 and 9 October are the two working days.
    assert rect.due_at == at(2026, 10, 9, 18, 0)
    assert "第五章" in confirmation


async def test_jiaxian_unanswered_messages_get_five_working_days(
    harness: ChatHarness, services: Services, tmp_path: Path
) -> None:
    harness.ignore(*WLW_UNIT)  # the notice's copies; this test is about its due time
    use_policy(services, "jiaxian", calendar_file=tmp_path / "calendar.toml")
    rect, confirmation = await issued_at(
        harness, at(2026, 10, 9, 10, 0), category="留言未回复", severity="一般"
    )
    assert rect.rule_id == "message.reply"
    # The make-up Saturday 10 October counts: 10, 12, 13, 14, 15 October.
    assert rect.due_at == at(2026, 10, 15, 18, 0)
    assert "第十条（四）" in confirmation


async def test_kunming_netizen_reports_use_its_own_rectification_limit(
    kunming: ChatHarness,
) -> None:
    kunming.ignore(*WLW_UNIT)  # the notice's copies; this test is about its due time
    rect, _ = await issued_at(kunming, at(2026, 11, 23, 10, 0), category="网民纠错")
    assert rect.rule_id == "rectification.serious"
    assert rect.due_at == at(2026, 11, 23, 10, 30)


async def test_the_summary_card_takes_the_due_time_of_the_tap(kunming: ChatHarness) -> None:
    """Shown at 09:55 the summary says 10:25; 下发 tapped at 10:00 gives 10:30, and the card
    that stays in the supervisor's chat says 10:30, not the preview's 10:25."""
    h = kunming
    h.ignore(*WLW_UNIT)  # the notice's copies; this test is about the supervisor's card
    h.clock.set(at(2026, 11, 23, 9, 55))
    said = await h.say("zhangzr", "整改")
    question = card_of(said, "整改通知")
    tapped = await h.tap("zhangzr", question, question.buttons[2].label)
    tapped = await h.tap("zhangzr", card_of(tapped.replies, "整改通知"), "链接失效")
    tapped = await h.tap("zhangzr", card_of(tapped.replies, "整改通知"), "严重")
    await h.say("zhangzr", "首页“办事指南”链接打不开")
    await h.say("zhangzr", "无")  # no evidence
    said = await h.say("zhangzr", "无")  # no screenshots
    summary = card_of(said, "整改通知")
    assert "截止 11月23日 10:25" in summary.body
    h.clock.set(at(2026, 11, 23, 10, 0))
    tapped = await h.tap("zhangzr", summary, "下发")
    assert tapped.card is not None
    assert "截止 11月23日 10:30" in tapped.card.body
    assert "10:25" not in tapped.card.body
    assert not tapped.card.buttons


async def test_the_timeline_reads_remaining_time_as_the_clock_does(kunming: ChatHarness) -> None:
    kunming.ignore(*WLW_UNIT)  # the notice's copies; this test is about the remaining time
    rect, _ = await issued_at(kunming, at(2026, 11, 23, 10, 0))
    assert rect.due_at == at(2026, 11, 23, 10, 30)
    kunming.clock.set(at(2026, 11, 23, 10, 16) + timedelta(seconds=5))
    said = await kunming.say("zhangzr", "整改记录 ZG2026-0001")
    timeline = "\n".join(m.text for m in said)
    assert "剩余14分钟" in timeline
