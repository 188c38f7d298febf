"""From a recorded delivery to committed state, audit entries and outbox rows — once.

``accept`` records the delivery (dedupe); ``process`` runs the handler in one transaction
together with marking the delivery processed, so a redelivery or a retry never acts twice.
Outbox rows are kicked for delivery only after the transaction commits.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from tortoise.transactions import in_transaction

from bot import metrics
from bot.cards.model import Card
from bot.core.directory import find_person
from bot.core.emit import Emitter
from bot.core.events import Event, event_from_json, event_to_json
from bot.core.media import Fetched, MediaError
from bot.core.outgoing import Message, Toast
from bot.core.routing import Router
from bot.core.services import Services
from bot.dispatch.accept import insert_delivery
from bot.dispatch.prefetch import prefetch_media
from bot.dispatch.route import route
from storage.enums import InboundStatus
from storage.models.machinery import InboundEvent

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What the adapter may show at once: a toast and the tapped card's new rendering."""

    duplicate: bool = False
    toast: Toast | None = None
    card: Card | None = None
    outbox_ids: list[int] = field(default_factory=list)
    failed: bool = False


async def accept(event: Event) -> int | None:
    """Record a delivery; its id, or None when the same delivery was already recorded."""
    return await insert_delivery(
        f"{event.platform.value}:{event.key}",
        event.platform.value,
        event_to_json(event),
        event.received_at,
    )


async def handle(
    services: Services, router: Router, event: Event, *, inline_card_update: bool = False
) -> Outcome:
    """Accept and process a delivery inline; duplicates are acknowledged and ignored."""
    inbound = await accept(event)
    if inbound is None:
        log.info("duplicate delivery ignored: %s", event.key)
        metrics.INBOUND_DUPLICATES.inc(event.platform.value)
        return Outcome(duplicate=True)
    metrics.INBOUND_EVENTS.inc(event.platform.value)
    return await process(services, router, inbound, inline_card_update=inline_card_update)


async def process_later(services: Services, router: Router, inbound_id: int) -> None:
    """Process after the HTTP answer has gone (platforms want 200 within seconds).

    Normally the worker does it (``services.inbound_kick`` enqueues an arq job), so the web
    process only verifies, records and answers. Without a kick (tests, tools) it runs here in a
    background task. Either way, if nothing processes the row, it stays ``received`` and
    ``sweep_inbound`` processes it.
    """
    if services.inbound_kick is not None:
        await services.inbound_kick(inbound_id)
        return
    task = asyncio.create_task(process(services, router, inbound_id))
    services.background.add(task)
    task.add_done_callback(services.background.discard)


async def accept_and_process_later(services: Services, router: Router, event: Event) -> bool:
    """Record the delivery and have it processed after the answer; False for a duplicate."""
    inbound = await accept(event)
    if inbound is None:
        metrics.INBOUND_DUPLICATES.inc(event.platform.value)
        return False
    metrics.INBOUND_EVENTS.inc(event.platform.value)
    await process_later(services, router, inbound)
    return True


async def process(
    services: Services, router: Router, inbound_id: int, *, inline_card_update: bool = False
) -> Outcome:
    """Run the handler for a recorded delivery exactly once.

    With ``inline_card_update`` the adapter puts the tapped card's new rendering into its
    callback response, so no outbox update is written for that one place.
    """
    outcome = Outcome()
    try:
        media = await prefetch_media(services, router, inbound_id)
        for attempt in range(1, TRANSIENT_ATTEMPTS + 1):
            try:
                outcome = await _process_once(
                    services, router, inbound_id, inline_card_update, media
                )
                break
            except Exception as exc:
                if attempt == TRANSIENT_ATTEMPTS or not is_transient(exc):
                    raise
                # Rolled back as a whole; the delivery is still unprocessed, so run it again.
                log.info("inbound event %s: %s, retrying", inbound_id, type(exc).__name__)
                await asyncio.sleep(0.05 * attempt)
    except Exception as exc:
        log.exception("handling inbound event %s failed", inbound_id)
        outcome = await _record_failure(services, inbound_id, exc)
    if outcome.outbox_ids and services.outbox_kick is not None:
        await services.outbox_kick(outcome.outbox_ids)
    return outcome


# PostgreSQL aborts one of two transactions that wait on each other's row locks (a withdrawal
# locking the filing, then its cards, while an approver's tap locks the card, then the filing),
# or that conflict under serializable isolation. Nothing of it was kept, so it is safe to rerun.
TRANSIENT_ERRORS = frozenset({"DeadlockDetectedError", "SerializationError"})
TRANSIENT_ATTEMPTS = 3


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` (or what it wraps: tortoise re-raises driver errors) is a lock conflict
    the database resolved by aborting this transaction."""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return False
        if type(seen).__name__ in TRANSIENT_ERRORS:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


async def _process_once(
    services: Services,
    router: Router,
    inbound_id: int,
    inline_card_update: bool,
    media: Fetched | MediaError | None,
) -> Outcome:
    async with in_transaction() as conn:
        row = await InboundEvent.filter(id=inbound_id).using_db(conn).select_for_update().first()
        if row is None or row.status != InboundStatus.RECEIVED:
            return Outcome(duplicate=True)
        event = event_from_json(row.payload)
        now = services.clock.now()
        found = await route(services, router, conn, event, now, inline_card_update, media)
        outcome = Outcome(toast=found.toast, card=found.card, outbox_ids=found.outbox_ids)
        row.status = InboundStatus.PROCESSED
        row.processed_at = now
        await row.save(using_db=conn, update_fields=["status", "processed_at"])
    return outcome


async def _record_failure(services: Services, inbound_id: int, exc: Exception) -> Outcome:
    """Keep the delivery (status failed) and tell the person; their data is untouched."""
    now = services.clock.now()
    outcome = Outcome(failed=True, toast=Toast(kind="error", text="处理失败，请稍后重试"))
    async with in_transaction() as conn:
        row = await InboundEvent.filter(id=inbound_id).using_db(conn).first()
        if row is None:
            return outcome
        row.status = InboundStatus.FAILED
        row.error = f"{type(exc).__name__}: {exc}"[:2000]
        row.processed_at = now
        await row.save(using_db=conn, update_fields=["status", "error", "processed_at"])
        event = event_from_json(row.payload)
        emitter = Emitter(services, conn, key_prefix=f"fail:{row.key}", now=now)
        person = await find_person(event.sender, conn)
        text = (
            "抱歉，处理您的请求时出错了，已记录下来。您填写的内容没有丢失，请稍后再试或联系管理员。"
        )
        if person is not None:
            await emitter.to_person(person.id, Message(text=text), platform=event.platform)
        outcome.outbox_ids = emitter.outbox_ids
    return outcome
