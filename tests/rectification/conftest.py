"""Rectification tests run under the kunming preset (its working-hour limits), on a working day."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from bot.cards.model import Card
from bot.core.services import Services
from bot.policy.runtime import TimeKeeping
from tests.conftest import SHANGHAI
from tests.harness import ChatHarness, Said

# Monday 23 November 2026, a working day.
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def use_policy(services: Services, tmp_path: Path, policy: str) -> None:
    settings = services.settings.model_copy(
        update={"policy": policy, "calendar_file": tmp_path / "calendar.toml"}
    )
    services.timekeeping = TimeKeeping.from_settings(settings)


@pytest.fixture
async def kunming(harness: ChatHarness, services: Services, tmp_path: Path) -> ChatHarness:
    use_policy(services, tmp_path, "kunming")
    harness.clock.set(MONDAY_10)
    return harness


def card_of(messages: list[Said], title: str) -> Card:
    for message in reversed(messages):
        if message.card is not None and title in message.card.title:
            return message.card
    raise AssertionError(f"no card titled {title!r} in {[m.to_text() for m in messages]}")


def button_starting(card: Card, prefix: str) -> str:
    for button in card.buttons:
        if button.label.startswith(prefix):
            return button.label
    raise AssertionError(f"no button starting {prefix!r}: {[b.label for b in card.buttons]}")


async def issue(
    h: ChatHarness,
    *,
    account: str = "临江文旅（微信）",
    category: str = "内容差错",
    severity: str = "严重",
    problem: str = "11月23日推文标题把“临江”错写成“林江”",
    evidence: str = "https://mp.weixin.qq.com/s/abc",
    person: str = "zhangzr",
    received: str = "无",  # asked for 网民纠错 only
) -> list[Said]:
    """Fill the 整改 form as a supervisor would; returns the bot's last replies."""
    said = await h.say(person, "整改")
    question = card_of(said, "整改通知")
    tapped = await h.tap(person, question, button_starting(question, account))
    question = card_of(tapped.replies, "整改通知")
    tapped = await h.tap(person, question, category)
    question = card_of(tapped.replies, "整改通知")
    tapped = await h.tap(person, question, severity)
    if category == "网民纠错":
        await h.say(person, received)
    await h.say(person, problem)
    said = await h.say(person, evidence)
    summary = card_of(said, "整改通知")
    tapped = await h.tap(person, summary, "下发")
    return tapped.replies
