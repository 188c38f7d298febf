"""Pure card builders of the roster and swaps: values in, ``Card`` out."""

from __future__ import annotations

from dataclasses import dataclass

from bot.cards.model import Button, ButtonStyle, Card, CardField, FormInput, InputKind, Tone
from bot.flows.duty.model import ACTIONS, day_label
from bot.flows.duty.records.roster import WeekView
from storage.models.duty import SwapStatus


def week_lines(view: WeekView) -> list[str]:
    """The week as lines of text, one per day (chat platforms without cards, logs)."""
    lines: list[str] = []
    for day in view.days:
        note = f"【{day.note}】" if day.note else ""
        cells: list[str] = []
        for slot, _header in view.slots:
            shift = day.shifts.get(slot)
            if shift is None:
                cells.append(f"{slot.label} 未排班")
                continue
            extra = f"（{shift.changed}，原{shift.rostered}）" if shift.rostered else ""
            if shift.changed and not shift.rostered:
                extra = f"（{shift.changed}）"
            cells.append(f"{slot.label} {shift.person}{extra}")
        lines.append(f"{day_label(day.day)}{note}：" + "；".join(cells))
    return lines


def week_card(view: WeekView, *, image_attached: bool) -> Card:
    """The week as a card: one line per day, the shift times in the subtitle."""
    last = view.days[-1].day
    fields = []
    for day, line in zip(view.days, week_lines(view), strict=True):
        label, _, value = line.partition("：")
        fields.append(CardField(label=label, value=value))
        del day
    holidays = [d for d in view.days if d.holiday and d.note not in ("", "周末")]
    body = "、".join(sorted({d.note for d in holidays}))
    notes = []
    if body:
        notes.append(f"本周有节假日（{body}），节假日班次照常值守。")
    if image_attached:
        notes.append("值班表图片见下一条消息。")
    return Card(
        title=f"值班表 · {view.team_name}",
        subtitle=(
            f"{view.first.month}月{view.first.day}日—{last.month}月{last.day}日　"
            + "　".join(h for _, h in view.slots)
        ),
        body="\n".join(notes),
        fields=tuple(fields),
        tone=Tone.BLUE,
    )


@dataclass(frozen=True)
class SwapFacts:
    """What the swap cards show."""

    swap_id: int
    team: str
    shift: str  # "12月5日（周六）白班 08:30–20:30"
    requester: str
    candidates: str  # "老刘、小马"
    taker: str = ""
    reason: str = ""
    declined: str = ""
    needs_approval: bool = True
    # For the lead: the taker would work back to back ("老刘 当天夜班也在班，将连续值班 24 小时").
    warning: str = ""


def request_card(facts: SwapFacts) -> Card:
    """To the colleagues asked: accept or decline (the first to accept takes the shift)."""
    fields = [
        CardField(label="班次", value=facts.shift),
        CardField(label="申请人", value=facts.requester),
        CardField(label="请谁替班", value=facts.candidates),
    ]
    if facts.reason:
        fields.append(CardField(label="原因", value=facts.reason))
    if facts.declined:
        fields.append(CardField(label="已婉拒", value=facts.declined))
    then = "，再经值班长同意后生效" if facts.needs_approval else "，接受后立即生效"
    return Card(
        title="换班申请",
        subtitle=facts.team,
        body=f"{facts.requester}请您替{facts.shift}{then}。先接受的人替班。",
        fields=tuple(fields),
        tone=Tone.ORANGE,
        buttons=(
            Button(
                label="接受",
                action=f"{ACTIONS}.accept",
                payload={"swap": str(facts.swap_id)},
                style=ButtonStyle.PRIMARY,
            ),
            Button(label="婉拒", action=f"{ACTIONS}.decline", payload={"swap": str(facts.swap_id)}),
        ),
    )


def requester_card(facts: SwapFacts) -> Card:
    """To the requester: where the request stands, and withdrawing it."""
    return Card(
        title="换班申请已发出",
        subtitle=facts.team,
        body=f"已请{facts.candidates}替您{facts.shift}，有人接受后会告诉您。",
        fields=(CardField(label="班次", value=facts.shift),),
        tone=Tone.BLUE,
        buttons=(
            Button(
                label="撤回申请",
                action=f"{ACTIONS}.cancel",
                payload={"swap": str(facts.swap_id)},
                style=ButtonStyle.DANGER,
            ),
        ),
    )


def approval_card(facts: SwapFacts) -> Card:
    """To the duty lead(s): approve or refuse (a refusal says why)."""
    return Card(
        title="换班审批",
        subtitle=facts.team,
        body=f"{facts.requester}的{facts.shift}拟由{facts.taker}替班，{facts.taker}已接受。",
        fields=(
            CardField(label="班次", value=facts.shift),
            CardField(label="原值班人", value=facts.requester),
            CardField(label="替班人", value=facts.taker),
            *((CardField(label="注意", value=facts.warning),) if facts.warning else ()),
        ),
        tone=Tone.ORANGE,
        inputs=(
            FormInput(name="reason", label="不同意的理由", kind=InputKind.TEXTAREA, required=True),
        ),
        buttons=(
            Button(
                label="同意",
                action=f"{ACTIONS}.approve",
                payload={"swap": str(facts.swap_id)},
                style=ButtonStyle.PRIMARY,
            ),
            Button(
                label="不同意",
                action=f"{ACTIONS}.refuse",
                payload={"swap": str(facts.swap_id)},
                needs=("reason",),
            ),
        ),
    )


def outcome_status(status: SwapStatus, facts: SwapFacts, by: str = "", note: str = "") -> str:
    """The status line every swap card closes with."""
    if status is SwapStatus.DONE:
        approved = f"，{by}同意" if by else ""
        return f"已换班：{facts.shift}由{facts.taker}值班{approved}"
    if status is SwapStatus.REFUSED:
        return f"值班长{by}不同意：{note}" if note else f"值班长{by}不同意"
    if status is SwapStatus.DECLINED:
        return "同事均已婉拒，未换班"
    if status is SwapStatus.CANCELLED:
        return note or f"{by or facts.requester}已撤回换班申请"
    if status is SwapStatus.EXPIRED:
        return "班次已开始，换班申请已过期，仍由原值班人值班"
    if status is SwapStatus.ACCEPTED:
        return f"{facts.taker}已接受，待值班长同意"
    return status.label


def outcome_tone(status: SwapStatus) -> Tone:
    if status is SwapStatus.DONE:
        return Tone.GREEN
    if status is SwapStatus.ACCEPTED:
        return Tone.BLUE
    return Tone.GREY
