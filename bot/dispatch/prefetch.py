"""A sent image or file that a conversation waits for is fetched before the transaction."""

from __future__ import annotations

from bot.core.directory import find_person
from bot.core.events import FileEvent, event_from_json
from bot.core.media import Fetched, MediaError, prefetch
from bot.core.routing import Router
from bot.core.services import Services
from storage.enums import InboundStatus
from storage.models.machinery import Conversation, InboundEvent


async def prefetch_media(
    services: Services, router: Router, inbound_id: int
) -> Fetched | MediaError | None:
    """For a sent image or file that a conversation is waiting for, its content, fetched
    before the transaction opens (see bot/core/media.py). These reads take no locks: if the
    conversation moves on meanwhile, the handler sees that and the bytes are dropped."""
    row = await InboundEvent.filter(id=inbound_id).first()
    if row is None or row.status != InboundStatus.RECEIVED:
        return None
    event = event_from_json(row.payload)
    if not isinstance(event, FileEvent) or event.file_id or not event.media:
        return None
    person = await find_person(event.sender)
    if person is None:
        return None
    conv = await Conversation.filter(person_id=person.id, place=event.place.key).first()
    flow = router.find_flow(conv.flow) if conv is not None else None
    if conv is None or flow is None or flow.on_file is None:
        return None
    if flow.wants_file is not None and not flow.wants_file(conv):
        return None
    return await prefetch(services, event)
