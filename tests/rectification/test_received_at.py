"""The 整改 form asks when a netizen's error report was received; the limit counts from then."""

from __future__ import annotations

from pathlib import Path

from bot.core.services import Services
from storage.models.rectification import Rectification
from tests.support.chat import ChatHarness, button_starting, card_of
from tests.support.dates import MONDAY_10, at
from tests.support.policy import use_policy
from tests.support.rectification import WLW_UNIT


async def test_a_netizen_report_counts_from_when_it_was_received(
    harness: ChatHarness, services: Services, tmp_path: Path
) -> None:
    harness.ignore(*WLW_UNIT)  # the notice's copies; this test is about its due time
    use_policy(services, "beibei", calendar_file=tmp_path / "calendar.toml")
    h = harness
    h.clock.set(MONDAY_10)
    question = card_of(await h.say("zhangzr", "整改"), "整改通知")
    tapped = await h.tap("zhangzr", question, button_starting(question, "临江文旅（微信）"))
    tapped = await h.tap("zhangzr", card_of(tapped.replies, "整改通知"), "网民纠错")
    tapped = await h.tap("zhangzr", card_of(tapped.replies, "整改通知"), "一般")
    assert any("什么时候收到的" in m.to_text() for m in tapped.replies)
    # Wrong answers are explained and asked again.
    said = await h.say("zhangzr", "明天 9:00")
    assert any("不能晚于现在" in m.to_text() for m in said)
    said = await h.say("zhangzr", "上周")
    assert any("格式不正确" in m.to_text() for m in said)
    await h.say("zhangzr", "11月20日 9:30")  # the Friday before
    await h.say("zhangzr", "网民反映：活动报名链接打不开")
    await h.say("zhangzr", "无")  # no evidence
    said = await h.say("zhangzr", "无")  # no screenshots
    summary = card_of(said, "整改通知")
    assert "2026-11-20 09:30" in summary.to_text()
    assert "时限从收到时间起算" in summary.to_text()
    tapped = await h.tap("zhangzr", summary, "下发")
    assert any("已下发" in m.text for m in tapped.replies)
    rect = await Rectification.get()
    received = at(2026, 11, 20, 9, 30)
    expected = services.timekeeping.due(rect.rule_id, received)
    assert rect.due_at == expected.due_at
    assert rect.due_at < services.timekeeping.due(rect.rule_id, MONDAY_10).due_at


async def test_other_categories_are_not_asked(kunming: ChatHarness) -> None:
    h = kunming
    question = card_of(await h.say("zhangzr", "整改"), "整改通知")
    tapped = await h.tap("zhangzr", question, button_starting(question, "临江文旅（微信）"))
    tapped = await h.tap("zhangzr", card_of(tapped.replies, "整改通知"), "内容差错")
    tapped = await h.tap("zhangzr", card_of(tapped.replies, "整改通知"), "一般")
    assert not any("什么时候收到的" in m.to_text() for m in tapped.replies)
