"""Submitting a filing and walking the approval chain of the preset (4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from bot.cards.model import (
    Button,
    ButtonStyle,
    Card,
    CardField,
    FormInput,
    InputKind,
    Tone,
)
from bot.core.context import HandlerContext
from bot.core.directory import Member, members_with_role, owning_unit, unit_chat
from bot.core.emit import card_from_record
from bot.core.outgoing import Message
from bot.core.services import Services
from bot.flows.filing import deadlines, document, registry
from bot.flows.filing.common import REPORT_RULE, account_line, policy_of
from storage.enums import ChatPurpose, Role
from storage.models.filing import Filing, FilingKind, FilingStatus
from storage.models.machinery import CardRecord
from storage.models.org import Account, Person, Unit

DECISIONS = {"approve": "同意", "return": "退回", "reject": "不同意"}

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


@dataclass(frozen=True)
class Level:
    title: str  # 主办单位意见 / 备案主管单位意见
    unit: Unit
    approvers: list[Member]
    chat_purpose: ChatPurpose


async def chain(conn: BaseDBAsyncClient, unit: Unit) -> list[Level]:
    """The unit's 主要负责人 first, then the staff of its supervising unit (if it has one)."""
    heads = await members_with_role(unit.id, Role.PRINCIPAL, conn)
    levels = [Level("主办单位意见", unit, heads, ChatPurpose.REVIEW)]
    if unit.supervisor_id is not None:
        supervisor = await Unit.filter(id=unit.supervisor_id).using_db(conn).get()
        staff = await members_with_role(supervisor.id, Role.SUPERVISOR_STAFF, conn)
        levels.append(Level("备案主管单位意见", supervisor, staff, ChatPurpose.SUPERVISION))
    return levels


async def chain_problem(conn: BaseDBAsyncClient, unit: Unit) -> str:
    for level in await chain(conn, unit):
        if not level.approvers:
            who = "主要负责人" if level.title == "主办单位意见" else "主管单位工作人员"
            return (
                f"{level.unit.name}没有登记{who}，备案无法送审。"
                "请联系系统管理员在组织名单中补充后再办理。"
            )
    return ""


async def informed(conn: BaseDBAsyncClient, services: Services) -> list[Member]:
    """People the preset says are informed of filings (e.g. 网信办), beyond the approvers."""
    recipients = policy_of(services).filing.recipients.items
    people: list[Member] = []
    if any("网信" in r for r in recipients):
        for unit in await Unit.filter(name__contains="网信", active=True).using_db(conn):
            people += await members_with_role(unit.id, Role.SUPERVISOR_STAFF, conn)
    return people


def display_values(filing: Filing) -> dict[str, str]:
    from bot.flows.filing.form import CHANGEABLE
    from storage.enums import MediaPlatform

    values: dict[str, str] = {str(k): str(v) for k, v in (filing.answers or {}).items()}
    platform = values.get("platform")
    if platform:
        text = MediaPlatform(platform).label
        if platform == MediaPlatform.OTHER.value and values.get("platform_name"):
            text += f"（{values['platform_name']}）"
        values["platform_text"] = text
    if values.get("changed"):
        labels = {c.value: c.label for c in CHANGEABLE}
        values["changed_text"] = "、".join(labels.get(v, v) for v in values["changed"].split("\n"))
    return values


def fields_of(filing: Filing) -> tuple[CardField, ...]:
    values = display_values(filing)
    rows = [CardField(label="备案类型", value=FilingKind(filing.kind).label)]
    rows += [CardField(label=label, value=values[k]) for k, label in FIELD_LABELS if values.get(k)]
    for op in filing.opinions or []:
        reason = f"：{op['reason']}" if op.get("reason") else ""
        rows.append(
            CardField(label=op["level"], value=f"{op['name']} {DECISIONS[op['decision']]}{reason}")
        )
    return tuple(rows)


def title_of(filing: Filing) -> str:
    values = filing.answers or {}
    return f"{FilingKind(filing.kind).label}备案 #{filing.id}「{values.get('name', '')}」"


# ---- submitting -----------------------------------------------------------------------------


async def submit(ctx: HandlerContext, answers: dict[str, str], extra: dict[str, Any]) -> None:
    """on_complete of every filing form: create (or resubmit) the filing and route it."""
    kind = FilingKind(extra["kind"])
    unit = await owning_unit(ctx.actor.unit.id, ctx.conn)
    values = {**extra.get("registry", {}), **answers}
    effective = values.get("effective") or values.get("start")
    effective_on = date.fromisoformat(effective) if effective else None
    filing: Filing | None = None
    if extra.get("filing_id"):
        filing = (
            await Filing.filter(id=int(extra["filing_id"]))
            .using_db(ctx.conn)
            .select_for_update()
            .first()
        )
        if filing is None or filing.status != FilingStatus.RETURNED:
            await ctx.reply("这份备案已经不在“已退回”状态，无需重新提交。")
            return
        moved = filing.effective_on != effective_on
        filing.answers = values
        filing.effective_on = effective_on
        filing.round += 1
        filing.step = 0
        filing.status = FilingStatus.PENDING
        filing.submitted_at = ctx.now
        filing.updated_at = ctx.now
        await filing.save(using_db=ctx.conn)
        await ctx.audit("filing.resubmitted", "filing", filing.id, {"round": filing.round})
        await deadlines.restart_report(ctx, filing, moved=moved)
    else:
        filing = await Filing.create(
            using_db=ctx.conn,
            kind=kind,
            unit_id=unit.id,
            clerk_id=ctx.actor.id,
            account_id=extra.get("account_id"),
            answers=values,
            effective_on=effective_on,
            submitted_at=ctx.now,
            created_at=ctx.now,
            updated_at=ctx.now,
        )
        await ctx.audit(
            "filing.submitted", "filing", filing.id, {"kind": kind.value, "answers": values}
        )
        if kind in REPORT_RULE and kind != FilingKind.EMERGENCY and effective_on is not None:
            await deadlines.start_report(ctx, filing)
    if kind == FilingKind.EMERGENCY:
        await _report_emergency(ctx, filing)
        return
    levels = await chain(ctx.conn, unit)
    await send_step(ctx, filing, levels)
    names = "、".join(m.name for m in levels[0].approvers)
    text = f"已提交{title_of(filing)}，等待{levels[0].title.removesuffix('意见')}（{names}）审批。"
    report = await deadlines.report_line(ctx, filing)
    undo = f"\n终审前如需撤回，请发送“撤回备案 {filing.id}”。"
    await ctx.reply(text + (f"\n{report}" if report else "") + undo)


async def _report_emergency(ctx: HandlerContext, filing: Filing) -> None:
    """紧急关停: recorded at once and reported to the supervisor and the unit head."""
    from bot.flows.filing.closing import supersede_open  # closing builds on this module

    filing.status = FilingStatus.REPORTED
    filing.decided_at = ctx.now
    filing.updated_at = ctx.now
    await filing.save(using_db=ctx.conn)
    superseded = await supersede_open(ctx, filing)
    await registry.apply(ctx, filing)
    await ctx.audit("filing.reported", "filing", filing.id, {})
    unit = await Unit.filter(id=filing.unit_id).using_db(ctx.conn).get()
    people = [m for level in await chain(ctx.conn, unit) for m in level.approvers]
    people += await informed(ctx.conn, ctx.services)
    card = Card(
        title=f"紧急关停报备：{title_of(filing)}",
        tone=Tone.RED,
        subtitle=f"{unit.name} {ctx.actor.name} 报备",
        fields=fields_of(filing),
        status="紧急关停为事后报备，无需审批，请知悉。",
    )
    stored = await ctx.emit.new_card(
        card, kind="filing.info", allowed_person_ids=[], subject_type="filing", subject_id=filing.id
    )
    for member in {m.id: m for m in people}.values():
        await ctx.emit.to_person(member.id, Message(card=stored))
    ref = await document.store(ctx, filing)
    voided = "".join(f"\n{title_of(f)}同时作废，已告知相关审批人。" for f in superseded)
    await ctx.reply(
        f"已报备{title_of(filing)}，已告知单位主要负责人和主管单位。台账已更新为“已关停”。"
        "恢复时请发送“备案 恢复上线”。" + voided,
    )
    await document.send(
        ctx.services, ctx.emit, ctx.actor.id, ref, "备案表：", ctx.event.place.platform
    )


async def send_step(ctx: HandlerContext, filing: Filing, levels: list[Level]) -> None:
    level = levels[filing.step]
    payload = {"filing": str(filing.id), "step": str(filing.step), "round": str(filing.round)}
    unit = await Unit.filter(id=filing.unit_id).using_db(ctx.conn).get()
    clerk = await Person.filter(id=filing.clerk_id).using_db(ctx.conn).get()
    card = Card(
        title=f"请审批：{title_of(filing)}",
        subtitle=f"{unit.name} {clerk.name}提交 · {level.title}",
        fields=fields_of(filing),
        mentions=tuple(m.mention() for m in level.approvers),
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
    stored = await ctx.emit.new_card(
        card,
        kind="filing.approval",
        allowed_person_ids=[m.id for m in level.approvers],
        subject_type="filing",
        subject_id=filing.id,
    )
    for member in level.approvers:
        await ctx.emit.to_person(member.id, Message(card=stored))
    chat = await unit_chat(level.unit.id, level.chat_purpose, ctx.conn)
    if chat is not None:
        # The same card in the group, with the approvers @-mentioned (a WeCom robot shows it as
        # text; the 1:1 copies stay tappable there). Closing it closes it everywhere.
        await ctx.emit.to_chat(
            chat.id,
            Message(
                text=f"{title_of(filing)}待{level.title.removesuffix('意见')}审批。",
                card=stored,
                mentions=tuple(m.mention() for m in level.approvers),
            ),
        )
    filing.card_ids = [stored.card_id]
    await filing.save(using_db=ctx.conn, update_fields=["card_ids"])


# ---- deciding -------------------------------------------------------------------------------


async def decide(ctx: HandlerContext, decision: str) -> None:
    """同意 / 退回 / 不同意 on an approval card; two taps at once record one decision."""
    payload = ctx.card_action.payload
    filing = (
        await Filing.filter(id=int(payload.get("filing", "0")))
        .using_db(ctx.conn)
        .select_for_update()
        .first()
    )
    if (
        filing is None
        or filing.status != FilingStatus.PENDING
        or str(filing.step) != payload.get("step")
        or str(filing.round) != payload.get("round")
    ):
        ctx.notify_toast("这份备案已经处理过了。", "info")
        return
    reason = (ctx.card_action.form.get("reason") or "").strip()
    if decision != "approve" and not reason:
        ctx.notify_toast(f"{DECISIONS[decision]}须填写理由。", "warning")
        return
    unit = await Unit.filter(id=filing.unit_id).using_db(ctx.conn).get()
    levels = await chain(ctx.conn, unit)
    level = levels[filing.step]
    filing.opinions = [
        *(filing.opinions or []),
        {
            "step": filing.step,
            "round": filing.round,
            "level": level.title,
            "person_id": ctx.actor.id,
            "name": ctx.actor.name,
            "decision": decision,
            "reason": reason,
            "at": ctx.now.isoformat(),
        },
    ]
    filing.updated_at = ctx.now
    status_line = f"{ctx.actor.name}已{DECISIONS[decision]}" + (f"：{reason}" if reason else "")
    await _close_cards(ctx, filing, status_line, decision)
    await ctx.audit(
        f"filing.{decision}",
        "filing",
        filing.id,
        {"step": filing.step, "round": filing.round, "reason": reason},
    )
    ctx.notify_toast(f"已{DECISIONS[decision]}", "success")
    if decision == "approve" and filing.step + 1 < len(levels):
        filing.step += 1
        await filing.save(using_db=ctx.conn)
        await deadlines.reached_supervisor(ctx, filing)
        await send_step(ctx, filing, levels)
        nxt = levels[filing.step]
        await _tell_clerk(
            ctx,
            filing,
            f"{title_of(filing)}：{ctx.actor.name}已同意，已报送{nxt.unit.name}"
            f"（{'、'.join(m.name for m in nxt.approvers)}）审批。",
        )
        return
    if decision == "approve":
        await _approved(ctx, filing, levels)
        return
    filing.decided_at = ctx.now
    if decision == "return":
        filing.status = FilingStatus.RETURNED
        await filing.save(using_db=ctx.conn)
        await _send_back(ctx, filing, reason)
        return
    filing.status = FilingStatus.REJECTED
    await filing.save(using_db=ctx.conn)
    await deadlines.close_report(ctx, filing, "不同意")
    await _tell_clerk(ctx, filing, f"{title_of(filing)}：{ctx.actor.name}不同意。理由：{reason}")


async def _close_cards(ctx: HandlerContext, filing: Filing, status: str, decision: str) -> None:
    tone = {"approve": Tone.GREEN, "return": Tone.ORANGE, "reject": Tone.RED}[decision]
    for card_id in filing.card_ids or []:
        record = await CardRecord.filter(id=card_id).using_db(ctx.conn).first()
        if record is None:
            continue
        closed = card_from_record(record).closed(status, tone)
        updated = await ctx.emit.update_card(card_id, closed, close=True)
        if ctx.card_record is not None and ctx.card_record.id == card_id:
            ctx.updated_card = updated
    filing.card_ids = []


async def _approved(ctx: HandlerContext, filing: Filing, levels: list[Level]) -> None:
    filing.status = FilingStatus.APPROVED
    filing.decided_at = ctx.now
    await filing.save(using_db=ctx.conn)
    account = await registry.apply(ctx, filing)
    await deadlines.after_approval(ctx, filing, account)
    ref = await document.store(ctx, filing)
    status = account.status.label if account is not None else ""
    text = f"{title_of(filing)}已审批同意。台账已更新（状态：{status}）。备案表已生成，可打印签章。"
    extra = await deadlines.after_approval_line(ctx, filing, account)
    buttons: tuple[Button, ...] = ()
    if filing.kind == FilingKind.OPEN and account is not None:
        buttons = (
            Button(
                label="已上线",
                action="filing.golive",
                payload={"account": str(account.id)},
                style=ButtonStyle.PRIMARY,
            ),
        )
    card = Card(
        title=f"备案已同意：{title_of(filing)}",
        tone=Tone.GREEN,
        body=text + (f"\n{extra}" if extra else ""),
        fields=fields_of(filing),
        buttons=buttons,
        status="账号上线后请点“已上线”。" if buttons else "",
    )
    stored = await ctx.emit.new_card(
        card,
        kind="filing.result",
        allowed_person_ids=[filing.clerk_id],
        subject_type="filing",
        subject_id=filing.id,
    )
    await ctx.emit.to_person(filing.clerk_id, Message(card=stored))
    await document.send(ctx.services, ctx.emit, filing.clerk_id, ref, "备案表（可打印签章）：")
    for member in await informed(ctx.conn, ctx.services):
        lead = f"知会：{title_of(filing)}已审批同意。"
        await document.send(ctx.services, ctx.emit, member.id, ref, lead)


async def _send_back(ctx: HandlerContext, filing: Filing, reason: str) -> None:
    """Returned: the clerk gets a card that reopens the form, pre-filled, for correction."""
    # The report countdown keeps running: the effective date has not moved.
    card = Card(
        title=f"备案被退回：{title_of(filing)}",
        tone=Tone.ORANGE,
        body=f"{ctx.actor.name}退回了这份备案。理由：{reason}\n"
        "点“修改后重新提交”，原填内容已保留，不改的项回复“同上”。",
        fields=fields_of(filing),
        buttons=(
            Button(
                label="修改后重新提交",
                action="filing.resubmit",
                payload={"filing": str(filing.id)},
                style=ButtonStyle.PRIMARY,
            ),
        ),
    )
    stored = await ctx.emit.new_card(
        card,
        kind="filing.returned",
        allowed_person_ids=[filing.clerk_id],
        subject_type="filing",
        subject_id=filing.id,
    )
    await ctx.emit.to_person(filing.clerk_id, Message(card=stored))


async def _tell_clerk(ctx: HandlerContext, filing: Filing, text: str) -> None:
    await ctx.emit.to_person(filing.clerk_id, Message(text=text))


async def resubmit(ctx: HandlerContext) -> None:
    """The clerk reopens a returned filing's form, every answer pre-filled."""
    from bot.core import forms
    from bot.flows.filing.form import SPECS

    filing = (
        await Filing.filter(id=int(ctx.card_action.payload.get("filing", "0")))
        .using_db(ctx.conn)
        .first()
    )
    if filing is None or filing.status != FilingStatus.RETURNED:
        ctx.notify_toast("这份备案已经不需要修改了。", "info")
        return
    kind = FilingKind(filing.kind)
    values: dict[str, str] = dict(filing.answers or {})
    account = (
        await Account.filter(id=filing.account_id).using_db(ctx.conn).first()
        if filing.account_id
        else None
    )
    # Settled, never asked; "filing" lets the checks tell this filing from the others.
    fixed = {"kind": kind.value, "filing": str(filing.id)}
    if account is not None:
        fixed["account"] = str(account.id)
    registry_values = {k: values[k] for k in values if k not in ("kind", "account", "filing")}
    ctx.notify_toast("请修改后重新提交", "info")
    await forms.start(
        ctx,
        SPECS[kind],
        answers=fixed,
        prefill=registry_values,
        extra={
            "kind": kind.value,
            "account_id": filing.account_id,
            "registry": registry_values if kind != FilingKind.OPEN else {},
            "filing_id": filing.id,
            "account_line": account_line(account) if account is not None else "",
        },
        intro=f"修改{title_of(filing)}：原填内容已保留，不改的项回复“同上”。",
    )
