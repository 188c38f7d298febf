"""A picker card answered by typing closes as a tap would: the choice shown, no buttons (issue 13
item 8). Otherwise the card stays live after the form has moved on, and a later tap on it
starts the filing again."""

from __future__ import annotations

from bot.cards.model import Card
from tests.support.chat import ChatHarness, card_of


async def now_shown(h: ChatHarness, person: str, card: Card) -> Card:
    """The card as the person's chat shows it now (its latest rendering)."""
    for message in await h.messages(person):
        if message.card is not None and message.card.card_id == card.card_id:
            return message.card
    raise AssertionError(f"card {card.card_id} is not in {person}'s chat")


async def test_typed_kind_and_account_close_their_cards(harness: ChatHarness) -> None:
    kinds = card_of(await harness.say("laozhou", "备案"), "备案")
    assert kinds.buttons  # live until answered
    picked = await harness.say("laozhou", "2")  # 变更, typed
    accounts = card_of(picked, "变更备案")
    assert accounts.buttons

    closed_kinds = await now_shown(harness, "laozhou", kinds)
    assert closed_kinds.buttons == ()
    assert closed_kinds.status == "已选择：变更"

    form = await harness.say("laozhou", "2")  # 临江文旅（抖音）, typed
    assert "哪些信息要变更？" in "\n".join(m.text for m in form)
    closed_accounts = await now_shown(harness, "laozhou", accounts)
    assert closed_accounts.buttons == ()
    assert closed_accounts.status == "已选择：临江文旅（抖音）"


async def test_a_wrong_typed_answer_keeps_the_card_live(harness: ChatHarness) -> None:
    await harness.say("laozhou", "备案 变更")
    wrong = await harness.say("laozhou", "9")
    assert wrong[0].text == "请回复账号的序号（1-3），回复“取消”放弃。"
    card = await harness.latest_card("laozhou", title="变更备案")
    assert [b.label for b in card.buttons] == [
        "临江文旅（微信）",
        "临江文旅（抖音）",
        "临江文旅（微博）",
    ]
    assert card.status == "回复序号也可以；回复“取消”放弃。"


async def test_a_tapped_account_card_names_the_account(harness: ChatHarness) -> None:
    first = await harness.say("laozhou", "备案 变更")
    tapped = await harness.tap("laozhou", card_of(first, "变更备案"), "临江文旅（微博）")
    assert tapped.card is not None
    assert tapped.card.status == "已选择：临江文旅（微博）"
    assert tapped.card.buttons == ()
