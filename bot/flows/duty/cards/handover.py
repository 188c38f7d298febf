"""The handover's cards (pure: values in, ``Card`` out).

- the outgoing officer's card: what is open, a note, 提交交接
- the incoming officer's card (also posted in the duty group): what was handed over, 确认接班
- the escalation card to the duty lead and the unit head: who has not acted, 代为确认接班
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.cards.model import (
    Button,
    ButtonStyle,
    Card,
    CardField,
    FormInput,
    InputKind,
    Mention,
    Tone,
)
from bot.flows.duty.model import HANDOVER_ACTIONS
from bot.flows.duty.records.handover import OpenItem

NOTE_INPUT = "note"


@dataclass(frozen=True)
class HandoverView:
    """What every handover card shows about the change of shift."""

    handover_id: int
    team: str  # 临江区政务新媒体中心值班组
    shift: str  # 12月4日（周五）白班 08:30–20:30 (the incoming shift)
    change: str  # 今天 08:30
    outgoing: str
    incoming: str


def _items_fields(items: Sequence[OpenItem]) -> tuple[CardField, ...]:
    if not items:
        return (CardField(label="未了事项", value="无"),)
    counts: dict[str, int] = {}
    fields = []
    for item in items:
        counts[item.label] = counts.get(item.label, 0) + 1
        fields.append(CardField(label=f"{item.label}{counts[item.label]}", value=item.text))
    return tuple(fields)


def _payload(view: HandoverView) -> dict[str, str]:
    return {"id": str(view.handover_id)}


def outgoing_card(view: HandoverView, items: Sequence[OpenItem]) -> Card:
    """To the outgoing officer before the change: the pre-filled list, a note, 提交交接."""
    return Card(
        title=f"交班：{view.team}",
        subtitle=f"{view.change} 交班给{view.incoming}（{view.shift}）",
        tone=Tone.BLUE,
        body=(
            "以下是本班仍未了结的事项，请核对后提交交接；可在下方补充交班说明"
            "（也可先发送“记录 …”记下要交代的事）。"
            f"在{view.incoming}确认接班前，值班责任仍由您承担。"
        ),
        fields=_items_fields(items),
        inputs=(FormInput(name=NOTE_INPUT, label="交班说明", kind=InputKind.TEXTAREA),),
        buttons=(
            Button(
                label="提交交接",
                action=f"{HANDOVER_ACTIONS}.submit",
                payload=_payload(view),
                style=ButtonStyle.PRIMARY,
            ),
        ),
    )


def incoming_card(view: HandoverView, items: Sequence[OpenItem], note: str, submitted: str) -> Card:
    """To the incoming officer (and the duty group): what was handed over, 确认接班."""
    fields = (
        CardField(label="交班人", value=f"{view.outgoing}（{submitted}提交）"),
        CardField(label="接班人", value=view.incoming),
        CardField(label="班次", value=view.shift),
        *_items_fields(items),
    )
    if note:
        fields += (CardField(label="交班说明", value=note),)
    return Card(
        title=f"接班确认：{view.outgoing} → {view.incoming}",
        subtitle=view.team,
        tone=Tone.ORANGE,
        body=f"请{view.incoming}核对交接内容后点“确认接班”；确认前值班责任仍由{view.outgoing}承担。",
        fields=fields,
        buttons=(
            Button(
                label="确认接班",
                action=f"{HANDOVER_ACTIONS}.ack",
                payload=_payload(view),
                style=ButtonStyle.PRIMARY,
            ),
        ),
    )


def escalation_card(view: HandoverView, what: str, level: str, mentions: Sequence[Mention]) -> Card:
    """To the people the escalation reached: who has not acted; they may acknowledge for the
    incoming officer once they have made sure someone is on duty."""
    return Card(
        title=f"交接班未完成：{view.outgoing} → {view.incoming}",
        subtitle=f"{view.team}（通知{level}）",
        tone=Tone.RED,
        mentions=tuple(mentions),
        body=(
            f"{what}。在确认接班前，值班责任仍由{view.outgoing}承担。"
            f"请联系{view.incoming}到岗；确认有人接班后可点“代为确认接班”。"
        ),
        fields=(
            CardField(label="交接时间", value=view.change),
            CardField(label="班次", value=view.shift),
        ),
        buttons=(
            Button(
                label="代为确认接班",
                action=f"{HANDOVER_ACTIONS}.ack",
                payload=_payload(view),
                style=ButtonStyle.DANGER,
            ),
        ),
    )
