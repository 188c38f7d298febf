"""Driving 送审 (three-level review) through the console chat, and reading the review group."""

from __future__ import annotations

from bot.cards.model import Card
from tests.support.chat import ChatHarness, Said, Tapped

# The demo district's 文旅委 review group.
GROUP = "group:ljq-wlw-review"
# A post the sensitive-word check has nothing against.
TEXT = "第十届临江桃花节今天开幕，活动持续到4月10日。欢迎广大市民前来游玩。"


async def fill_form(
    harness: ChatHarness,
    person: str,
    *,
    title: str,
    text: str,
    link: str = "无",
    attachments: str = "无",
    accounts: str = "1",
    kind: str = "原创",
    source: str | None = None,
    major: str | None = None,
    start: str = "送审",
) -> list[Said]:
    """Answer every question of the 送审 form; returns the bot's last replies (the summary)."""
    answers = [start, title, text, link, attachments, accounts, kind]
    if source is not None:
        answers.append(source)
    if major is not None:
        answers.append(major)
    replies: list[Said] = []
    for answer in answers:
        replies = await harness.say(person, answer)
    return replies


async def submit(harness: ChatHarness, person: str, **kw: str) -> Tapped:
    """Fill the form and tap 送审 on the summary card."""
    await fill_form(harness, person, **kw)
    summary = await harness.latest_card(person, title="请核对送审稿件")
    return await harness.tap(person, summary, "送审")


async def review_card(harness: ChatHarness, person: str, chat: str = GROUP) -> Card:
    """The newest open review card in the group addressed to ``person``.

    A reviewer whose card went to the group is told so in their 1:1 chat (where the card is);
    they read that pointer on the way to the group, as a person would. Tests whose reviewer
    never reaches the group assert the pointer with ``expect``."""
    if chat.startswith("group:"):
        await harness.messages(person)
    for message in reversed(await harness.messages(person, chat)):
        card = message.card
        if card is not None and card.buttons and any(m.name for m in card.mentions):
            return card
    raise AssertionError(f"no open review card in {chat}")
