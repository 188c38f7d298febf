"""Routing one event inside its transaction: the sender to a person, the words to a command,
a running conversation or a card; strangers get a polite refusal and nothing else."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from bot.cards.model import Card
from bot.core.context import HandlerContext
from bot.core.directory import Member, chat_by_ref, find_person, load_member
from bot.core.emit import Emitter
from bot.core.events import (
    CardActionEvent,
    Event,
    FileEvent,
    MenuEvent,
    OpenedEvent,
    TextEvent,
)
from bot.core.media import Fetched, MediaError
from bot.core.outgoing import Message, Toast
from bot.core.routing import Router
from bot.core.services import Services
from bot.core.text import (
    CANCEL_WORDS,
    flow_cancelled_text,
    not_allowed_text,
    stranger_text,
    unknown_text,
)
from bot.dispatch.taps import CARD_INPUT_FLOW, continue_card_input, route_card_action
from storage.enums import CardStatus
from storage.models.machinery import CardRecord, Conversation


@dataclass
class Routed:
    """What the handler left for the adapter: a toast, the tapped card, new outbox rows."""

    toast: Toast | None = None
    card: Card | None = None
    outbox_ids: list[int] = field(default_factory=list)


async def route(
    services: Services,
    router: Router,
    conn: BaseDBAsyncClient,
    event: Event,
    now: datetime,
    inline_card_update: bool,
    media: Fetched | MediaError | None = None,
) -> Routed:
    person = await find_person(event.sender, conn)
    if person is None:
        emitter = Emitter(services, conn, key_prefix=f"evt:{event.key}", now=now)
        if isinstance(event, CardActionEvent):
            return Routed(toast=Toast(kind="warning", text=stranger_text()))
        await emitter.to_identity(event.sender, Message(text=stranger_text()))
        return Routed(outbox_ids=emitter.outbox_ids)
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
        await route_card_action(router, ctx, event)
    card = ctx.emit.tapped_card or ctx.updated_card
    return Routed(toast=ctx.toast, card=card, outbox_ids=ctx.emit.outbox_ids)


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
            await continue_card_input(router, ctx, conv, stripped)
            return
        flow = router.find_flow(conv.flow)
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
    flow = router.find_flow(conv.flow)
    return flow.label if flow else conv.flow


async def _cancel_conversation(router: Router, ctx: HandlerContext, conv: Conversation) -> None:
    flow = router.find_flow(conv.flow)
    await _close_question_cards(ctx, conv)
    await ctx.end_conversation(conv)
    await ctx.audit("conversation.cancelled", "conversation", conv.id, {"flow": conv.flow})
    if flow is not None and flow.on_cancel is not None:
        await flow.on_cancel(ctx)
        return
    await ctx.reply(flow_cancelled_text(_flow_label(router, conv)))


async def _close_question_cards(ctx: HandlerContext, conv: Conversation) -> None:
    """A cancelled conversation's cards (a form's question and summary cards, the card a flow
    keeps in ``conv.data["card"]``) show 已取消 and no buttons: their moment has passed."""
    mine = [ctx.actor.id]
    kept = str((conv.data or {}).get("card") or "")
    open_cards = CardRecord.filter(status=CardStatus.OPEN).using_db(ctx.conn)
    ids = {r.id for r in await open_cards.filter(id=kept)} if kept else set()
    forms = await CardRecord.filter(
        subject_type="form",
        subject_id=conv.flow,
        status=CardStatus.OPEN,
        created_at__gte=conv.started_at,
    ).using_db(ctx.conn)
    ids |= {r.id for r in forms if [int(p) for p in r.allowed_person_ids] == mine}
    for card_id in sorted(ids):
        await ctx.emit.close_card(card_id, "已取消")


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
    flow = router.find_flow(conv.flow)
    if flow is None or flow.on_file is None:
        await ctx.reply(
            f"您正在办理「{_flow_label(router, conv)}」，这一步不需要文件，"
            "请按上面的提示回复文字；回复“取消”可放弃。"
        )
        return
    await flow.on_file(ctx, conv)
