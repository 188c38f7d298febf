"""The alert card, pure: what happened, who holds it, what to do next.

One card per alert, sent 1:1 to the person on duty and into the duty group; every later
state (acknowledged, escalated, resolved, turned into a rectification notice) re-renders it in
place, and a finished alert shows its outcome and no buttons.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.cards.model import Button, ButtonStyle, Card, CardField, FormInput, InputKind, Tone
from bot.flows.duty.model import ALERT_ACTIONS as ACTIONS
from bot.flows.duty.model import alert_number as number
from storage.models.duty_alerts import Alert, AlertSeverity, AlertSource, AlertStatus

# Escalation levels as people read them (Alert.level).
LEVEL_LABELS = {0: "值班员", 1: "值班长", 2: "单位主要负责人", 3: "主管单位"}

_TONES = {
    AlertSeverity.ORDINARY: Tone.ORANGE,
    AlertSeverity.SERIOUS: Tone.RED,
    AlertSeverity.OPINION: Tone.RED,
}


@dataclass(frozen=True)
class AlertView:
    """What the card shows beyond the alert row (names resolved by the caller)."""

    team_name: str
    account_label: str = ""
    responsible_name: str = ""
    acknowledged_by: str = ""
    resolved_by: str = ""
    raised_at: str = ""  # as people read it ("今天 10:30")
    ack_due: str = ""  # "10:35 前确认"
    # Supervisor staff may turn an acknowledged alert into a rectification notice.
    can_rectify: bool = False


def alert_card(alert: Alert, view: AlertView) -> Card:
    severity = AlertSeverity(alert.severity)
    status = AlertStatus(alert.status)
    fields = [
        CardField(label="编号", value=number(alert)),
        CardField(label="级别", value=severity.label),
        CardField(label="来源", value=_source(alert)),
        CardField(label="值班组", value=view.team_name),
    ]
    if view.account_label:
        fields.append(CardField(label="账号", value=view.account_label))
    if alert.description:
        fields.append(CardField(label="情况", value=alert.description))
    if alert.link:
        fields.append(CardField(label="链接", value=alert.link))
    if view.raised_at:
        fields.append(CardField(label="发生时间", value=view.raised_at))
    if view.responsible_name:
        fields.append(CardField(label="责任人", value=view.responsible_name))
    if alert.level > 0 and status is AlertStatus.OPEN:
        fields.append(CardField(label="已升级至", value=LEVEL_LABELS.get(alert.level, "")))
    if view.acknowledged_by:
        fields.append(CardField(label="确认人", value=view.acknowledged_by))
    if alert.resolution_note:
        fields.append(CardField(label="处理情况", value=alert.resolution_note))
    payload = {"id": str(alert.id)}
    buttons: list[Button] = []
    inputs: list[FormInput] = []
    body = ""
    if status is AlertStatus.OPEN:
        body = f"请立即确认。{view.ack_due}" if view.ack_due else "请立即确认。"
        buttons.append(
            Button(
                label="确认告警",
                action=f"{ACTIONS}.ack",
                payload=payload,
                style=ButtonStyle.PRIMARY,
            )
        )
    elif status is AlertStatus.ACKNOWLEDGED:
        body = "已确认，处理完毕后请填写处理情况。"
        inputs.append(
            FormInput(name="note", label="处理情况", kind=InputKind.TEXTAREA, required=True)
        )
        buttons.append(
            Button(
                label="已处理",
                action=f"{ACTIONS}.resolve",
                payload=payload,
                style=ButtonStyle.PRIMARY,
                needs=("note",),
            )
        )
        if view.can_rectify:
            buttons.append(Button(label="转整改", action=f"{ACTIONS}.rectify", payload=payload))
    tone = _TONES[severity] if status is AlertStatus.OPEN else Tone.BLUE
    closed = ""
    if status is AlertStatus.RESOLVED:
        closed = f"已处理（{view.resolved_by}）" if view.resolved_by else "已处理"
        tone = Tone.GREEN
    elif status is AlertStatus.RECTIFYING:
        closed = "已转整改通知"
        tone = Tone.GREY
    return Card(
        title=f"【{severity.label}告警】{alert.title}",
        subtitle=status.label,
        tone=tone,
        body=body,
        fields=tuple(fields),
        inputs=tuple(inputs),
        buttons=tuple(buttons),
        status=closed,
    )


def _source(alert: Alert) -> str:
    source = AlertSource(alert.source)
    if source is AlertSource.API and alert.source_name:
        return f"{source.label}（{alert.source_name}）"
    return source.label
