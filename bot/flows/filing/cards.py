"""The filing's cards, built from plain values (no database, nothing awaited).

The callers look up what a card shows (the unit, the clerk, the approvers) and store and send it
(``w.emit.new_card``); a card's buttons carry ``filing.<action>`` with the ids their tap needs.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.cards.model import Button, ButtonStyle, Card, CardField, FormInput, InputKind, Tone
from bot.core.directory import Member
from bot.flows.filing.model import display_values, title_of
from storage.enums import FILING_DECISION_LABELS, Decision
from storage.models.filing import Filing, FilingKind
from storage.models.org import Account

# The form's values a card shows, in the order of the printed 备案表.
FIELD_LABELS = (
    ("subject", "责任主体"),
    ("name", "新媒体名称"),
    ("account_id", "账号"),
    ("platform_text", "所属平台"),
    ("reason", "备案原由"),
    ("manager_name", "运营主管负责人"),
    ("manager_phone", "负责人联系方式"),
    ("operator_name", "运营人员"),
    ("operator_phone", "运营人员联系方式"),
    ("changed_text", "变更事项"),
    ("effective", "生效日期"),
    ("start", "下线日期"),
    ("end", "恢复上线日期"),
    ("migration", "内容迁移方案"),
    ("notice", "关停公告"),
    ("plan_lead", "组织领导"),
    ("plan_funding", "经费保障"),
    ("plan_rules", "管理制度"),
    ("plan_contact", "方案联系人"),
)


def fields(filing: Filing, before: dict[str, str] | None = None) -> tuple[CardField, ...]:
    """The kind, every answer given, then the opinions so far. ``before`` (a 变更's registry
    values, as people read them) turns each changed item into 「old → new」: an approver must
    see what changes, not only the new value."""
    values = display_values(filing)
    rows = [CardField(label="备案类型", value=FilingKind(filing.kind).label)]
    for k, label in FIELD_LABELS:
        if not values.get(k):
            continue
        old = before.get(k) if before is not None and k in before else None
        shown = values[k] if old is None or old == values[k] else f"{old or '未登记'} → {values[k]}"
        rows.append(CardField(label=label, value=shown))
    for op in filing.opinions or []:
        reason = f"：{op['reason']}" if op.get("reason") else ""
        decided = FILING_DECISION_LABELS[Decision(op["decision"])]
        rows.append(CardField(label=op["level"], value=f"{op['name']} {decided}{reason}"))
    return tuple(rows)


def kind_picker(intro: str) -> Card:
    """备案: one button per kind."""
    return Card(
        title="备案",
        body=intro,
        buttons=tuple(
            Button(label=k.label, action="filing.kind", payload={"kind": k.value})
            for k in FilingKind
        ),
        status="紧急关停为事后报备；回复“取消”放弃。",
    )


def account_picker(kind: FilingKind, body: str, accounts: Sequence[Account]) -> Card:
    """The unit's accounts the kind applies to, one button each (labelled 临江文旅（抖音）)."""
    return Card(
        title=f"{kind.label}备案",
        body=body,
        buttons=tuple(
            Button(
                label=account.label,
                action="filing.account",
                payload={"kind": kind.value, "account": str(account.id)},
            )
            for account in accounts
        ),
        status="回复序号也可以；回复“取消”放弃。",
    )


def approval(
    filing: Filing,
    *,
    unit_name: str,
    clerk_name: str,
    level_title: str,
    approvers: Sequence[Member],
    before: dict[str, str] | None = None,
) -> Card:
    """请审批: 同意, or 退回 / 不同意 with a reason; the payload names the step and the round."""
    payload = {"filing": str(filing.id), "step": str(filing.step), "round": str(filing.round)}
    return Card(
        title=f"请审批：{title_of(filing)}",
        subtitle=f"{unit_name} {clerk_name}提交 · {level_title}",
        fields=fields(filing, before),
        mentions=tuple(m.mention() for m in approvers),
        inputs=(
            FormInput(
                name="reason",
                label="退回或不同意的理由",
                kind=InputKind.TEXTAREA,
                placeholder="退回、不同意时必填",
            ),
        ),
        buttons=(
            Button(
                label="同意", action="filing.approve", payload=payload, style=ButtonStyle.PRIMARY
            ),
            Button(label="退回", action="filing.return", payload=payload, needs=("reason",)),
            Button(
                label="不同意",
                action="filing.reject",
                payload=payload,
                style=ButtonStyle.DANGER,
                needs=("reason",),
            ),
        ),
        status="同意、退回（须填理由）或不同意（须填理由）。",
    )


def emergency_report(filing: Filing, *, unit_name: str, clerk_name: str) -> Card:
    """紧急关停报备: for information only, no buttons."""
    return Card(
        title=f"紧急关停报备：{title_of(filing)}",
        tone=Tone.RED,
        subtitle=f"{unit_name} {clerk_name} 报备",
        fields=fields(filing),
        status="紧急关停为事后报备，无需审批，请知悉。",
    )


def approved(filing: Filing, body: str, *, golive_account: int | None) -> Card:
    """备案已同意, for the clerk; an opening's card asks them to tap 已上线 when it is live."""
    buttons: tuple[Button, ...] = ()
    if golive_account is not None:
        buttons = (
            Button(
                label="已上线",
                action="filing.golive",
                payload={"account": str(golive_account)},
                style=ButtonStyle.PRIMARY,
            ),
        )
    return Card(
        title=f"备案已同意：{title_of(filing)}",
        tone=Tone.GREEN,
        body=body,
        fields=fields(filing),
        buttons=buttons,
        status="账号上线后请点“已上线”。" if buttons else "",
    )


def returned(filing: Filing, *, by_name: str, reason: str) -> Card:
    """备案被退回: the button reopens the form, pre-filled, for correction."""
    return Card(
        title=f"备案被退回：{title_of(filing)}",
        tone=Tone.ORANGE,
        body=f"{by_name}退回了这份备案。理由：{reason}\n"
        "点“修改后重新提交”，原填内容已保留，不改的项回复“同上”。",
        fields=fields(filing),
        buttons=(
            Button(
                label="修改后重新提交",
                action="filing.resubmit",
                payload={"filing": str(filing.id)},
                style=ButtonStyle.PRIMARY,
            ),
        ),
    )
