"""帮助 for the people of the duty flow lists what they can do now, in their words."""

from __future__ import annotations

from bot.cards.model import Card
from tests.support.chat import ChatHarness


async def help_card(h: ChatHarness, person: str) -> Card:
    said = await h.say(person, "帮助")
    card = said[-1].card
    assert card is not None
    return card


async def test_unit_head_sees_the_leaving_commands(harness: ChatHarness) -> None:
    card = await help_card(harness, "chenzr")
    words = [f.label for f in card.fields]
    assert "离岗" in words
    assert "离岗清单" in words
    assert "人员离岗时逐项确认离岗交接清单" in card.body


async def test_duty_officer_sees_the_duty_and_not_the_leaving_commands(
    harness: ChatHarness,
) -> None:
    card = await help_card(harness, "xiaochen")
    words = [f.label for f in card.fields]
    assert {
        "值班",
        "值班表",
        "换班",
        "交接班",
        "记录",
        "交接记录",
        "巡查",
        "报告",
        "告警",
        "更新",
    } <= set(words)
    assert "调班" not in words  # the duty lead's
    assert "离岗" not in words
    assert "交接班（交班提交交接清单，接班点确认接班）" in card.body


async def test_duty_lead_sees_the_roster_adjustment(harness: ChatHarness) -> None:
    card = await help_card(harness, "fengzz")
    words = [f.label for f in card.fields]
    assert {"值班", "值班表", "调班", "交接记录", "告警"} <= set(words)
    assert "离岗" not in words  # the unit head's; the lead is told about shifts directly
    assert "可代为确认接班、接手告警" in card.body
