"""The leaving checklist card (pure: values in, ``Card`` out)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.cards.model import Button, ButtonStyle, Card, CardField, Mention, Tone
from bot.flows.duty.model import LEAVING_ACTIONS
from bot.flows.duty.records.leaving import ChecklistView
from storage.models.duty_leaving import LeavingItemKind, LeavingReason, LeavingStatus

# WeCom template cards carry at most six buttons: the first open items get one each, and the
# next ones appear as those are confirmed.
MAX_BUTTONS = 6


def title(view: ChecklistView) -> str:
    return f"离岗交接清单：{view.person.name}（{view.unit.name}）"


def intro(view: ChecklistView, when: Callable[[datetime | None], str], basis: str) -> str:
    """Who left, what the regulation asks, by when."""
    c = view.checklist
    if c.reason == LeavingReason.MOVED and view.moved_to is not None:
        left = f"{view.person.name}已调往{view.moved_to.name}（{when(c.recorded_at)}，组织名单）"
    else:
        left = f"{view.person.name}已离岗，已从组织名单停用（{when(c.recorded_at)}）"
    return (
        f"{left}。请单位负责人在 {when(c.due_at)} 前完成工作移交、保密承诺、口令更换"
        f"（{basis}），每完成一项点「确认」。"
    )


def checklist_card(
    view: ChecklistView,
    *,
    when: Callable[[datetime | None], str],
    basis: str,
    mentions: tuple[Mention, ...] = (),
) -> Card:
    """The checklist: one line per item with its state; a 确认 button per open item."""
    fields = []
    for item in view.items:
        group = LeavingItemKind(item.kind).group
        if item.confirmed_at is None:
            state = "待确认"
        else:
            by = view.confirmers.get(item.confirmed_by_id or 0, "")
            state = f"已确认（{by} {when(item.confirmed_at)}）"
        fields.append(CardField(label=f"{item.position}. {group}", value=f"{item.label} — {state}"))
    done = len(view.items) - len(view.remaining)
    card = Card(
        title=title(view),
        subtitle=f"已确认 {done}/{len(view.items)} 项",
        tone=Tone.ORANGE,
        body=intro(view, when, basis),
        fields=tuple(fields),
        mentions=mentions,
        buttons=tuple(
            Button(
                label=f"确认 {item.position}",
                action=f"{LEAVING_ACTIONS}.confirm",
                payload={"id": str(view.checklist.id), "item": str(item.id)},
                style=ButtonStyle.PRIMARY,
            )
            for item in view.remaining[:MAX_BUTTONS]
        ),
    )
    if view.checklist.status == LeavingStatus.CLOSED:
        last = max(
            (i for i in view.items if i.confirmed_at is not None),
            key=lambda i: i.confirmed_at or view.checklist.recorded_at,
            default=None,
        )
        who = view.confirmers.get(last.confirmed_by_id or 0, "") if last else ""
        status = f"已全部完成（{who}，{when(view.checklist.closed_at)}）"
        return card.closed(status, Tone.GREEN)
    return card
