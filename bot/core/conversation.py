"""Persisted conversations: a half-filled form survives restarts because it lives in the DB."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from bot.core.outgoing import Message
from storage import audit
from storage.enums import Platform
from storage.models.machinery import Conversation

if TYPE_CHECKING:
    from bot.core.services import Services


async def load(
    conn: BaseDBAsyncClient, person_id: int, place: str, *, lock: bool = False
) -> Conversation | None:
    query = Conversation.filter(person_id=person_id, place=place).using_db(conn)
    if lock:
        query = query.select_for_update()
    return await query.first()


async def start(
    conn: BaseDBAsyncClient,
    *,
    person_id: int,
    place: str,
    flow: str,
    step: str,
    data: dict[str, Any],
    now: datetime,
) -> Conversation:
    """Begin a conversation, replacing any previous one in the same place."""
    await Conversation.filter(person_id=person_id, place=place).using_db(conn).delete()
    return await Conversation.create(
        using_db=conn,
        person_id=person_id,
        place=place,
        flow=flow,
        step=step,
        data=data,
        started_at=now,
        updated_at=now,
    )


async def save(
    conn: BaseDBAsyncClient,
    conversation: Conversation,
    *,
    step: str,
    data: dict[str, Any],
    now: datetime,
) -> None:
    conversation.step = step
    conversation.data = data
    conversation.version += 1
    conversation.updated_at = now
    conversation.reminded_at = None
    await conversation.save(
        using_db=conn, update_fields=["step", "data", "version", "updated_at", "reminded_at"]
    )


async def finish(conn: BaseDBAsyncClient, conversation: Conversation) -> None:
    await Conversation.filter(id=conversation.id).using_db(conn).delete()


# A half-filled form is reminded once after a day of silence and discarded after a week.
REMIND_AFTER = timedelta(hours=24)
DISCARD_AFTER = timedelta(days=7)


def platform_of_place(place: str) -> Platform:
    return Platform(place.split(":", 1)[0])


async def sweep_stale(services: Services, label_of: Callable[[str], str]) -> tuple[int, int]:
    """Remind idle conversations once, discard abandoned ones with notice; (reminded, dropped)."""
    now = services.clock.now()
    reminded = dropped = 0
    stale = await Conversation.filter(updated_at__lt=now - REMIND_AFTER).order_by("id").limit(200)
    for conv in stale:
        label = label_of(conv.flow)
        platform = platform_of_place(conv.place)
        async with in_transaction() as conn:
            current = await load(conn, conv.person_id, conv.place, lock=True)
            if current is None or current.version != conv.version:
                continue  # the person answered meanwhile
            from bot.core.emit import Emitter  # emit imports this module's users

            emitter = Emitter(services, conn, key_prefix=f"conv:{conv.id}:{conv.version}", now=now)
            if current.updated_at < now - DISCARD_AFTER:
                await finish(conn, current)
                await audit.record(
                    conn,
                    actor=audit.Actor.system(),
                    action="conversation.discarded",
                    subject_type="conversation",
                    subject_id=current.id,
                    at=now,
                    detail={"flow": current.flow, "idle_since": current.updated_at.isoformat()},
                )
                text = (
                    f"您的「{label}」已超过 7 天未完成，已自动作废，填写的内容没有提交。"
                    "需要时请重新开始。"
                )
                await emitter.to_person(current.person_id, Message(text=text), platform=platform)
                dropped += 1
            elif current.reminded_at is None:
                current.reminded_at = now
                await current.save(using_db=conn, update_fields=["reminded_at"])
                text = (
                    f"提醒：您的「{label}」还没填完。直接回复上一个问题即可继续；"
                    f"回复“取消”放弃。超过 7 天未完成将自动作废。"
                )
                await emitter.to_person(current.person_id, Message(text=text), platform=platform)
                reminded += 1
            else:
                continue
        if services.outbox_kick is not None:
            await services.outbox_kick(emitter.outbox_ids)
    return reminded, dropped
