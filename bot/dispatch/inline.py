"""Taps answered inline, within the seconds a platform waits for the answer (Feishu's card
callback 3 s, the WeCom robot's 5 s), with the work carried on when it takes longer.

The tap is handled in a background task with ``inline_card_update``: the card at the tapped
place is left out of the outbox because the answer itself re-renders it. When the work
outlasts the platform's wait, the adapter answers "processing" instead, and the card the work
ends with is written as an ordinary update to every place it was sent — the tapped place
included, which would otherwise keep its old buttons.
"""

from __future__ import annotations

import asyncio
from typing import Any

from tortoise.transactions import in_transaction

from bot.cards.model import Card
from bot.core.emit import Emitter, card_from_record
from bot.core.events import CardActionEvent
from bot.core.routing import Router
from bot.core.services import Services
from bot.dispatch.process import Outcome, handle
from storage.models.machinery import CardRecord


async def tap_within(
    services: Services, router: Router, event: CardActionEvent, seconds: float
) -> Outcome | None:
    """The tap's outcome, or None when it takes longer than ``seconds`` (the work goes on;
    its card reaches the tapped place through the outbox when done)."""
    task = asyncio.create_task(handle(services, router, event, inline_card_update=True))
    _keep(services, task)
    try:
        return await asyncio.wait_for(asyncio.shield(task), seconds)
    except TimeoutError:
        task.add_done_callback(lambda done: _late(services, done, event))
        return None


async def current_card(card_id: str) -> Card | None:
    """The card as stored now (what a tap that changed nothing shows)."""
    record = await CardRecord.filter(id=card_id).first()
    return card_from_record(record) if record is not None else None


def _keep(services: Services, task: asyncio.Task[Any]) -> None:
    # A task only the event loop refers to may be garbage-collected mid-way.
    services.background.add(task)
    task.add_done_callback(services.background.discard)


def _late(services: Services, done: asyncio.Task[Outcome], event: CardActionEvent) -> None:
    if done.cancelled() or done.exception() is not None:
        return
    outcome = done.result()
    if outcome.card is None or outcome.duplicate:
        return
    _keep(services, asyncio.create_task(_write_late(services, event, outcome.card)))


async def _write_late(services: Services, event: CardActionEvent, card: Card) -> None:
    async with in_transaction() as conn:
        emitter = Emitter(services, conn, key_prefix=f"late:{event.key}", now=services.clock.now())
        await emitter.update_card(event.card_id, card)
    if emitter.outbox_ids and services.outbox_kick is not None:
        await services.outbox_kick(emitter.outbox_ids)
