"""Driving 送审 through the chat as a clerk would, and reading the review group."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot import outbox
from bot.cards.model import Card
from bot.clock import ManualClock
from bot.config import ReviewOptions
from bot.core.services import Services
from bot.policy.runtime import TimeKeeping
from storage.enums import OutboxStatus
from storage.models.machinery import OutboxMessage
from tests.harness import ChatHarness, Said, Tapped

GROUP = "group:ljq-wlw-review"


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
    """The newest open review card in the group addressed to ``person``."""
    for message in reversed(await harness.messages(person, chat)):
        card = message.card
        if card is not None and card.buttons and any(m.name for m in card.mentions):
            return card
    raise AssertionError(f"no open review card in {chat}")


def use_policy(services: Services, preset: str, **options: object) -> None:
    """Switch the preset (and review options) before the first message of a test."""
    services.settings = services.settings.model_copy(update={"policy": preset})
    services.timekeeping = TimeKeeping.from_settings(services.settings)
    services.review = ReviewOptions(**options)  # type: ignore[arg-type]  # keyword settings


async def deliver_all(services: Services, rounds: int = 40) -> None:
    """Deliver everything, waiting out the platforms' per-person rate budgets (real seconds in
    Redis; the ManualClock is moved on too so postponed rows come due)."""
    for _ in range(rounds):
        await services.wait_background()
        while await outbox.drain(services):
            pass
        if not await OutboxMessage.filter(status=OutboxStatus.PENDING).exists():
            return
        await asyncio.sleep(0.25)
        assert isinstance(services.clock, ManualClock)
        services.clock.advance(timedelta(seconds=1))
    pending = await OutboxMessage.filter(status=OutboxStatus.PENDING).values_list(
        "last_error", flat=True
    )
    raise AssertionError(f"outbox still pending: {pending}")
