"""Issue 12 item 8: numbers in chat answers that are not plain small numbers (a superscript
digit, a number larger than any row id) get an answer, never 「出错了」 (a failed delivery)."""

from __future__ import annotations

import pytest

from storage.enums import InboundStatus
from storage.models.machinery import InboundEvent
from tests.harness import ChatHarness

HUGE = "99999999999999999999999"


@pytest.mark.parametrize(
    ("person", "text"),
    [
        ("laozhou", "下载 ²"),
        ("laozhou", f"下载 {HUGE}"),
        ("laozhou", "下载 ١٢"),
        ("laozhou", f"撤回备案 {HUGE}"),
        ("laozhou", "撤回备案 ²"),
        ("xiaowang", f"撤回 {HUGE}"),
        ("xiaowang", f"催办 {HUGE}"),
        ("xiaowang", f"已发布 {HUGE}"),
        ("xiaowang", f"审核记录 {HUGE}"),
        ("zhangzr", f"整改记录 ZG2026-{HUGE}"),
        ("zhangzr", f"整改记录 ZG{HUGE}"),
        ("zhangzr", f"整改季度 {HUGE}Q1"),
        ("fengzz", "交接记录 ²"),
        ("fengzz", f"交接记录 {HUGE}"),
    ],
)
async def test_odd_numbers_in_commands_are_answered(
    harness: ChatHarness, person: str, text: str
) -> None:
    replies = await harness.say(person, text)
    assert replies, text
    said = "\n".join(r.to_text() for r in replies)
    assert "出错了" not in said, said
    assert not await InboundEvent.filter(status=InboundStatus.FAILED).exists()


@pytest.mark.parametrize("answer", ["²", HUGE, "١"])
async def test_odd_numbers_as_form_answers_are_answered(harness: ChatHarness, answer: str) -> None:
    await harness.say("laozhou", "备案")
    replies = await harness.say("laozhou", answer)
    said = "\n".join(r.to_text() for r in replies)
    assert replies
    assert "出错了" not in said, said
    assert not await InboundEvent.filter(status=InboundStatus.FAILED).exists()
    await harness.say("laozhou", "取消")
