"""The cards of a notice, pure: the owner unit's card, and the supervisors' decision cards
(核验, 延期申请). Values in, ``Card`` out; who receives them is ``transitions``' business."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.cards.model import Button, ButtonStyle, Card, CardField, FormInput, InputKind, Tone
from bot.deadlines import present
from bot.flows.rectification.model import ACTIONS, number
from storage.models.deadlines import Deadline
from storage.models.rectification import RectCategory, Rectification, RectStatus, Severity


def unit_card(
    rect: Rectification, deadline: Deadline, now: datetime, tz: ZoneInfo, owner_name: str
) -> Card:
    """The card the owner unit sees: what, by when, how long is left, what to do next."""
    status = RectStatus(rect.status)
    text = present.describe(deadline, now, tz)
    fields = [
        CardField(label="编号", value=number(rect)),
        CardField(label="责任单位", value=owner_name),
    ]
    if rect.account_label:
        fields.append(CardField(label="账号", value=rect.account_label))
    fields += [
        CardField(label="问题类别", value=RectCategory(rect.category).label),
        CardField(label="严重程度", value=Severity(rect.severity).label),
        CardField(label="问题", value=rect.problem),
    ]
    if rect.evidence:
        fields.append(CardField(label="证据", value=rect.evidence))
    # The body carries the explanation with its citation; the field is the bare due time.
    due = f"截止 {present.due_text(deadline, tz)}" + ("（暂定）" if deadline.provisional else "")
    fields.append(CardField(label="时限", value=due))
    if status is not RectStatus.VERIFIED:
        remaining = "已提交，计时暂停" if status is RectStatus.SUBMITTED else text.remaining
        fields.append(CardField(label="剩余时间", value=remaining))
    if rect.reopened:
        fields.append(CardField(label="驳回次数", value=str(rect.reopened)))
    inputs: list[FormInput] = []
    buttons: list[Button] = []
    payload = {"id": str(rect.id)}
    if status is RectStatus.ISSUED:
        buttons.append(
            Button(
                label="已接收", action=f"{ACTIONS}.ack", payload=payload, style=ButtonStyle.PRIMARY
            )
        )
    elif status is RectStatus.ACKNOWLEDGED:
        inputs += [
            FormInput(name="note", label="整改情况说明", kind=InputKind.TEXTAREA, required=True),
            FormInput(name="evidence", label="整改证据（链接或截图说明）"),
        ]
        buttons.append(
            Button(
                label="已整改",
                action=f"{ACTIONS}.done",
                payload=payload,
                style=ButtonStyle.PRIMARY,
                needs=("note",),
            )
        )
    if status in (RectStatus.ISSUED, RectStatus.ACKNOWLEDGED) and not rect.extension_pending:
        inputs.append(FormInput(name="reason", label="延期理由（申请延期时填写）"))
        buttons.append(
            Button(label="申请延期", action=f"{ACTIONS}.extend", payload=payload, needs=("reason",))
        )
    state = status.label
    if rect.overdue and status is not RectStatus.VERIFIED:
        state = f"逾期，{state}"
    if rect.extension_pending:
        state += "（延期申请待主管单位答复）"
    tone = Tone.BLUE
    if status is RectStatus.VERIFIED:
        tone = Tone.GREEN
    elif rect.overdue:
        tone = Tone.RED
    elif rect.severity == Severity.SERIOUS:
        tone = Tone.ORANGE
    return Card(
        title=f"整改通知 {number(rect)}",
        subtitle=f"{Severity(rect.severity).label}问题",
        tone=tone,
        body=deadline.explanation,
        fields=tuple(fields),
        inputs=tuple(inputs),
        buttons=tuple(buttons),
        status=state,
    )


def review_card(rect: Rectification, owner_name: str, submitted_by: str) -> Card:
    """整改核验: the unit's completion (note, evidence) for the supervisors: 通过 or 驳回."""
    fields = [
        CardField(label="责任单位", value=owner_name),
        CardField(label="问题", value=rect.problem),
        CardField(label="整改说明", value=rect.completion_note),
    ]
    if rect.account_label:
        fields.insert(1, CardField(label="账号", value=rect.account_label))
    if rect.completion_evidence:
        fields.append(CardField(label="整改证据", value=rect.completion_evidence))
    fields.append(CardField(label="提交人", value=submitted_by))
    if rect.overdue:
        fields.append(CardField(label="说明", value="逾期后完成"))
    payload = {"id": str(rect.id)}
    return Card(
        title=f"整改核验 {number(rect)}",
        tone=Tone.BLUE,
        body="责任单位已整改，请核验：通过，或写明理由驳回（驳回后按原规则重新计时）。",
        fields=tuple(fields),
        inputs=(FormInput(name="reason", label="驳回理由"),),
        buttons=(
            Button(
                label="通过",
                action=f"{ACTIONS}.verify",
                payload=payload,
                style=ButtonStyle.PRIMARY,
            ),
            Button(
                label="驳回",
                action=f"{ACTIONS}.reject",
                payload=payload,
                style=ButtonStyle.DANGER,
                needs=("reason",),
            ),
        ),
    )


def extension_card(
    rect: Rectification, owner_name: str, due: str, requested_by: str, reason: str
) -> Card:
    """延期申请: the unit's request for the supervisors: 同意延期 (a new due time) or 不同意."""
    payload = {"id": str(rect.id)}
    return Card(
        title=f"延期申请 {number(rect)}",
        tone=Tone.ORANGE,
        body="责任单位申请延期。同意请填写新的截止时间（如“明天 17:00”）；不同意请写明理由。",
        fields=(
            CardField(label="责任单位", value=owner_name),
            CardField(label="问题", value=rect.problem),
            CardField(label="当前截止", value=due),
            CardField(label="申请人", value=requested_by),
            CardField(label="理由", value=reason),
        ),
        inputs=(
            FormInput(name="new_due", label="新的截止时间"),
            FormInput(name="reason", label="不同意的理由"),
        ),
        buttons=(
            Button(
                label="同意延期",
                action=f"{ACTIONS}.grant",
                payload=payload,
                style=ButtonStyle.PRIMARY,
                needs=("new_due",),
            ),
            Button(label="不同意", action=f"{ACTIONS}.refuse", payload=payload, needs=("reason",)),
        ),
    )
