"""Taps on cards: only on live cards, only by the people they are for, only on buttons the card
shows; inputs a platform's cards cannot collect (WeCom has no forms) are asked for in the 1:1
chat and the tap is replayed once they are given."""

from __future__ import annotations

from bot.cards.model import Card, InputKind
from bot.core.context import HandlerContext
from bot.core.emit import card_from_record
from bot.core.events import CardActionEvent
from bot.core.routing import Router
from bot.core.text import card_closed_text, denied_text
from storage.enums import CardStatus
from storage.models.machinery import CardDelivery, CardRecord, Conversation
from storage.models.org import Person

# The conversation that collects a card input on platforms whose cards have no forms.
CARD_INPUT_FLOW = "card_input"


async def route_card_action(router: Router, ctx: HandlerContext, event: CardActionEvent) -> None:
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
        ctx.notify_toast(await _denial_text(router, ctx, record, allowed), "warning")
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


async def _denial_text(
    router: Router, ctx: HandlerContext, record: CardRecord, allowed: list[int]
) -> str:
    """Why the tap was refused and who may act instead: the flow's words for its cards, else
    the names of the people the card is for."""
    explain = router.denials.get(record.kind)
    if explain is not None:
        said = await explain(ctx, record)
        if said:
            return said
    people = await Person.filter(id__in=allowed).using_db(ctx.conn).order_by("id")
    return denied_text("、".join(p.name for p in people))


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


async def continue_card_input(
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
    record = await CardRecord.filter(id=data["card_id"]).using_db(ctx.conn).first()
    if not _still_offers(record, str(data["action"]), dict(data["payload"])):
        # Someone else acted (or the card moved on) while this person was typing: say so in
        # words that name the card; a bare "此事项已处理" in the chat does not say which.
        await ctx.reply(_moved_on_text(record))
        return
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
    await route_card_action(router, inner, replay)
    if inner.toast is not None:
        # No card to toast on here: say it in the chat instead.
        await ctx.reply(inner.toast.text)


def _still_offers(record: CardRecord | None, action: str, payload: dict[str, str]) -> bool:
    """Is the tapped button still on the open card?"""
    if record is None or record.status == CardStatus.CLOSED:
        return False
    card = card_from_record(record)
    return any(b.action == action and b.payload == payload for b in card.buttons)


def _moved_on_text(record: CardRecord | None) -> str:
    if record is None:
        return "这张卡片已失效，您刚才回复的内容没有提交。请查看最新消息。"
    card = card_from_record(record)
    state = f"（{card.status}）" if card.status else ""
    return f"「{card.title}」已有新进展{state}，您刚才回复的内容没有提交，请以最新卡片为准。"
