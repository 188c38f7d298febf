"""From a verified inbound event to committed state, audit entries and outbox rows.

``accept`` records the delivery (dedupe); ``process`` runs the handler in one transaction
together with marking the delivery processed, so a redelivery or a retry never acts twice.
Outbox rows are kicked for delivery only after the transaction commits.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from bot import metrics
from bot.cards.model import Card, InputKind
from bot.core.accept import insert_delivery
from bot.core.context import HandlerContext
from bot.core.emit import Emitter, card_from_record
from bot.core.events import (
    CardActionEvent,
    Event,
    FileEvent,
    MenuEvent,
    OpenedEvent,
    TextEvent,
    event_from_json,
    event_to_json,
)
from bot.core.media import Fetched, MediaError, prefetch
from bot.core.outgoing import Message, Toast
from bot.directory import Member, chat_by_ref, find_person, load_member
from bot.handlers.registry import Router
from bot.services import Services
from bot.text import (
    CANCEL_WORDS,
    card_closed_text,
    flow_cancelled_text,
    not_allowed_text,
    stranger_text,
    unknown_text,
)
from storage import audit
from storage.enums import CardStatus, InboundStatus
from storage.models.machinery import CardDelivery, CardRecord, Conversation, InboundEvent

log = logging.getLogger(__name__)

# The conversation that collects a card input on platforms whose cards have no forms.
CARD_INPUT_FLOW = "card_input"


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
        media = await _prefetch_media(services, router, inbound_id)
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
        outcome = await _route(services, router, conn, event, now, inline_card_update, media)
        row.status = InboundStatus.PROCESSED
        row.processed_at = now
        await row.save(using_db=conn, update_fields=["status", "processed_at"])
    return outcome


async def _prefetch_media(
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
    flow = router.flows.get(conv.flow) if conv is not None else None
    if conv is None or flow is None or flow.on_file is None:
        return None
    if flow.wants_file is not None and not flow.wants_file(conv):
        return None
    return await prefetch(services, event)


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


async def _route(
    services: Services,
    router: Router,
    conn: BaseDBAsyncClient,
    event: Event,
    now: datetime,
    inline_card_update: bool,
    media: Fetched | MediaError | None = None,
) -> Outcome:
    person = await find_person(event.sender, conn)
    if person is None:
        emitter = Emitter(services, conn, key_prefix=f"evt:{event.key}", now=now)
        if isinstance(event, CardActionEvent):
            return Outcome(toast=Toast(kind="warning", text=stranger_text()))
        await emitter.to_identity(event.sender, Message(text=stranger_text()))
        return Outcome(outbox_ids=emitter.outbox_ids)
    member = await load_member(person.id, conn)
    assert member is not None
    ctx = HandlerContext(services=services, conn=conn, event=event, actor=member, now=now)
    ctx.media = media
    if isinstance(event, TextEvent):
        await _route_text(router, ctx, event.text)
    elif isinstance(event, MenuEvent):
        await _route_menu(router, ctx, event.menu_key)
    elif isinstance(event, OpenedEvent):
        await _route_opened(router, ctx)
    elif isinstance(event, FileEvent):
        await _route_file(router, ctx)
    elif isinstance(event, CardActionEvent):
        ctx.emit.tapped_card_id = event.card_id
        if inline_card_update:
            ctx.emit.inline_target = await _place_target(event, member, conn)
        await _route_card_action(router, ctx, event)
    card = ctx.emit.tapped_card or ctx.updated_card
    return Outcome(toast=ctx.toast, card=card, outbox_ids=ctx.emit.outbox_ids)


async def _place_target(
    event: Event, member: Member, conn: BaseDBAsyncClient
) -> tuple[str, str, int] | None:
    """The outbox target that the place of an event corresponds to."""
    place = event.place
    if place.kind == "dm":
        return (place.platform.value, "person", member.id)
    if place.chat_ref is not None:
        chat = await chat_by_ref(place.platform, place.chat_ref, conn)
        if chat is not None:
            return (place.platform.value, "chat", chat.id)
    return None


async def _run_command(router: Router, ctx: HandlerContext, word: str, rest: str) -> None:
    cmd = router.commands[word]
    if not cmd.allowed(ctx.actor.roles):
        await ctx.reply(not_allowed_text(cmd))
        await ctx.audit("command.denied", "command", cmd.word, {"roles": sorted(ctx.actor.roles)})
        return
    await cmd.handler(ctx, rest)


async def _route_text(router: Router, ctx: HandlerContext, text: str) -> None:
    stripped = text.strip()
    conv = await ctx.conversation()
    if conv is not None:
        if stripped in CANCEL_WORDS:
            await _cancel_conversation(router, ctx, conv)
            return
        exact = router.commands.get(stripped)
        if exact is not None and exact.interrupts:
            await _run_command(router, ctx, stripped, "")
            return
        if exact is not None:
            label = _flow_label(router, conv)
            await ctx.reply(
                f"您正在办理「{label}」，请先回答上面的问题；"
                f"如要改办「{exact.word}」，请先回复“取消”。"
            )
            return
        if conv.flow == CARD_INPUT_FLOW:
            await _continue_card_input(router, ctx, conv, stripped)
            return
        flow = router.flows.get(conv.flow)
        if flow is None:
            await ctx.end_conversation(conv)
            await ctx.reply("上次未完成的对话已无法继续，请重新开始。")
            return
        await flow.handler(ctx, conv, stripped)
        return
    matched = router.match(stripped)
    if matched is None:
        if stripped in CANCEL_WORDS:
            await ctx.reply("当前没有正在办理的事项。")
            return
        await ctx.reply(unknown_text(stripped))
        return
    cmd, rest = matched
    await _run_command(router, ctx, cmd.word, rest)


def _flow_label(router: Router, conv: Conversation) -> str:
    if conv.flow == CARD_INPUT_FLOW:
        return str(conv.data.get("label", "卡片操作"))
    flow = router.flows.get(conv.flow)
    return flow.label if flow else conv.flow


async def _cancel_conversation(router: Router, ctx: HandlerContext, conv: Conversation) -> None:
    flow = router.flows.get(conv.flow)
    await ctx.end_conversation(conv)
    await ctx.audit("conversation.cancelled", "conversation", conv.id, {"flow": conv.flow})
    if flow is not None and flow.on_cancel is not None:
        await flow.on_cancel(ctx)
        return
    await ctx.reply(flow_cancelled_text(_flow_label(router, conv)))


async def _route_menu(router: Router, ctx: HandlerContext, key: str) -> None:
    cmd = router.by_menu_key(key)
    if cmd is None:
        await ctx.reply(unknown_text(key))
        return
    conv = await ctx.conversation()
    if conv is not None and not cmd.interrupts:
        await ctx.reply(
            f"您正在办理「{_flow_label(router, conv)}」，"
            f"请先完成或回复“取消”后再选择「{cmd.word}」。"
        )
        return
    await _run_command(router, ctx, cmd.word, "")


async def _route_opened(router: Router, ctx: HandlerContext) -> None:
    conv = await ctx.conversation(lock=False)
    if conv is not None:
        await ctx.reply(
            f"欢迎回来。您的「{_flow_label(router, conv)}」还没办完，可以接着回答上一个问题。"
        )


async def _route_file(router: Router, ctx: HandlerContext) -> None:
    """An image or file goes to the conversation that asked for it; otherwise a hint."""
    conv = await ctx.conversation()
    if conv is None:
        await ctx.reply(
            "收到您发的文件，但现在没有需要文件的事项，所以没有保存。"
            "送审稿件时，可在“送审”的附件一步发送图片或附件。"
        )
        return
    flow = router.flows.get(conv.flow)
    if flow is None or flow.on_file is None:
        await ctx.reply(
            f"您正在办理「{_flow_label(router, conv)}」，这一步不需要文件，"
            "请按上面的提示回复文字；回复“取消”可放弃。"
        )
        return
    await flow.on_file(ctx, conv)


async def _route_card_action(router: Router, ctx: HandlerContext, event: CardActionEvent) -> None:
    record = (
        await CardRecord.filter(id=event.card_id).using_db(ctx.conn).select_for_update().first()
    )
    if record is None:
        ctx.notify_toast("这张卡片已失效，请查看最新消息。", "warning")
        return
    ctx.card_record = record
    card = card_from_record(record)
    if event.update_token:
        # Each tap hands out a fresh one-shot update credential (WeCom ResponseCode).
        await (
            CardDelivery.filter(
                card_id=record.id,
                platform=event.platform.value,
                target_kind="person",
                target_id=ctx.actor.id,
            )
            .using_db(ctx.conn)
            .update(update_token=event.update_token)
        )
    if record.status == CardStatus.CLOSED:
        ctx.notify_toast(card_closed_text(card), "info")
        ctx.updated_card = card
        return
    allowed = [int(p) for p in record.allowed_person_ids]
    if allowed and ctx.actor.id not in allowed:
        ctx.notify_toast("这张卡片需要由指定的人处理，您的操作未生效。", "warning")
        await ctx.audit(
            "card.denied",
            "card",
            record.id,
            {"action": event.action, "card_kind": record.kind, "subject": record.subject_id},
        )
        return
    button = next(
        (b for b in card.buttons if b.action == event.action and b.payload == event.payload),
        None,
    )
    if button is None:
        ctx.notify_toast("这个按钮已失效，请查看最新卡片。", "warning")
        return
    missing = [
        name
        for name in button.needs
        if not (event.form.get(name) or "").strip() and card.input(name) is not None
    ]
    if missing:
        await _ask_card_input(ctx, card, record, event, missing, button.label)
        return
    prefix = event.action.split(".", 1)[0]
    handler = router.actions.get(prefix)
    if handler is None:
        ctx.notify_toast("暂不支持这个操作。", "warning")
        return
    await handler(ctx)


async def _ask_card_input(
    ctx: HandlerContext,
    card: Card,
    record: CardRecord,
    event: CardActionEvent,
    missing: list[str],
    button_label: str,
) -> None:
    """Ask in the 1:1 chat for what the card could not collect (WeCom cards have no forms)."""
    first = card.input(missing[0])
    assert first is not None
    await ctx.start_conversation(
        CARD_INPUT_FLOW,
        missing[0],
        {
            "label": button_label,
            "card_id": record.id,
            "action": event.action,
            "payload": event.payload,
            "form": dict(event.form),
            "missing": missing,
            "update_token": event.update_token,
        },
    )
    ctx.notify_toast(f"请在对话中填写{first.label}", "info")
    await ctx.reply_privately(_input_prompt(button_label, first.label, first.kind))


def _input_prompt(button_label: str, label: str, kind: InputKind) -> str:
    hint = "（日期请按 2026-10-09 的格式）" if kind in (InputKind.DATE, InputKind.DATETIME) else ""
    return f"您点了「{button_label}」，请回复{label}{hint}。回复“取消”则不操作。"


async def _continue_card_input(
    router: Router, ctx: HandlerContext, conv: Conversation, text: str
) -> None:
    data = dict(conv.data)
    missing: list[str] = list(data["missing"])
    form: dict[str, str] = dict(data["form"])
    if not text:
        await ctx.reply("内容不能为空，请重新回复。")
        return
    form[missing.pop(0)] = text
    if missing:
        record = await CardRecord.filter(id=data["card_id"]).using_db(ctx.conn).first()
        next_input = card_from_record(record).input(missing[0]) if record else None
        data.update(form=form, missing=missing)
        await ctx.save_conversation(conv, missing[0], data)
        if next_input is not None:
            await ctx.reply(_input_prompt(str(data["label"]), next_input.label, next_input.kind))
        return
    await ctx.end_conversation(conv)
    replay = CardActionEvent(
        key=f"{ctx.event.key}:replay",
        sender=ctx.event.sender,
        place=ctx.event.place,
        received_at=ctx.event.received_at,
        card_id=str(data["card_id"]),
        action=str(data["action"]),
        payload=dict(data["payload"]),
        form=form,
        update_token=data.get("update_token"),
    )
    inner = HandlerContext(
        services=ctx.services, conn=ctx.conn, event=replay, actor=ctx.actor, now=ctx.now
    )
    inner.emit = ctx.emit  # one emitter so every outbox row is kicked together
    await _route_card_action(router, inner, replay)
    if inner.toast is not None:
        # No card to toast on here: say it in the chat instead.
        await ctx.reply(inner.toast.text)


async def load_actor(conn: BaseDBAsyncClient, person_id: int) -> Member | None:
    return await load_member(person_id, conn)


__all__ = ["Outcome", "accept", "audit", "handle", "load_actor", "process"]
