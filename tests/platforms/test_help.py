"""帮助 on every platform: a person messages the bot, gets the help card, taps it, the card is
updated where it was tapped and the answer arrives — in process, and through real
``dutybot serve`` and ``worker`` processes."""

from __future__ import annotations

import pytest

from tests.support.platforms import PlatformChat


async def test_help_card_tap_and_answer(chat: PlatformChat) -> None:
    await help_card_tap_and_answer(chat)


@pytest.mark.slow
async def test_help_card_tap_and_answer_through_serve_and_worker(live_chat: PlatformChat) -> None:
    await help_card_tap_and_answer(live_chat)


async def help_card_tap_and_answer(chat: PlatformChat) -> None:
    await chat.say("xiaowang", "帮助")
    card = await chat.card("xiaowang", "我能帮您做什么", button="我的信息")
    assert card.title == "小王，我能帮您做什么"
    await chat.tap("xiaowang", card, "我的信息")
    # The card shows what was started; the answer names the person's unit.
    await chat.expect("xiaowang", "已开始：我的信息", "区文旅委宣传科")
