"""Starting a filing: pick the kind, then (except 开设) the account, then the form (1)."""

from __future__ import annotations

from typing import Any

from bot.cards.model import Button, Card
from bot.core import forms
from bot.core.capabilities import capabilities
from bot.core.context import HandlerContext
from bot.core.directory import owning_unit
from bot.deadlines import lifecycle, present
from bot.flows.filing.approval import chain_problem
from bot.flows.filing.common import (
    ACCOUNT_STATES,
    account_line,
    cite,
    parse_kind,
    policy_of,
)
from bot.flows.filing.form import SPECS
from storage.enums import AccountStatus, MediaPlatform
from storage.models.filing import Filing, FilingKind, FilingStatus
from storage.models.machinery import Conversation
from storage.models.org import Account, Unit

PICK_FLOW = "filing.pick"
# The shortest button text any platform allows (WeCom template cards: 10 characters).
BUTTON_CHARS = 10
NOTICE_CLOSE = "filing.notice_close"


async def begin(ctx: HandlerContext, rest: str) -> None:
    """``备案`` [类型]: check the chain can be walked, then ask the kind."""
    unit = await owning_unit(ctx.actor.unit.id, ctx.conn)
    problem = await chain_problem(ctx.conn, unit)
    if problem:
        await ctx.reply(problem)
        return
    kind = parse_kind(rest) if rest else None
    if kind is not None:
        await choose_kind(ctx, kind)
        return
    if rest:
        await ctx.reply(f"没有“{rest}”这种备案类型。")
    await ctx.start_conversation(PICK_FLOW, "kind", {})
    kinds = list(FilingKind)
    caps = capabilities(ctx.event.platform)
    intro = f"为{unit.name}办理备案。请选择备案类型："
    if caps.buttons and len(kinds) <= caps.max_buttons:
        card = Card(
            title="备案",
            body=intro,
            buttons=tuple(
                Button(label=k.label, action="filing.kind", payload={"kind": k.value})
                for k in kinds
            ),
            status="紧急关停为事后报备；回复“取消”放弃。",
        )
        await _reply_card(ctx, card)
        return
    lines = [intro, *(f"{i}. {k.label}" for i, k in enumerate(kinds, start=1))]
    lines.append("请回复序号或名称；紧急关停为事后报备。回复“取消”放弃。")
    await ctx.reply("\n".join(lines))


async def _reply_card(ctx: HandlerContext, card: Card) -> None:
    stored = await ctx.emit.new_card(
        card, kind="filing.pick", allowed_person_ids=[ctx.actor.id], subject_type="filing"
    )
    await ctx.reply(card=stored)


async def _eligible(ctx: HandlerContext, unit: Unit, kind: FilingKind) -> list[Account]:
    return (
        await Account.filter(owner_unit_id=unit.id, status__in=list(ACCOUNT_STATES[kind]))
        .using_db(ctx.conn)
        .order_by("id")
    )


async def choose_kind(ctx: HandlerContext, kind: FilingKind) -> None:
    unit = await owning_unit(ctx.actor.unit.id, ctx.conn)
    if kind == FilingKind.OPEN:
        await forms.start(
            ctx,
            SPECS[kind],
            answers={"kind": kind.value},
            prefill={"subject": unit.name},
            extra={"kind": kind.value, "registry": {}},
            intro="开设备案：按提示逐项填写，不清楚的可先回复“上一步”修改。",
        )
        return
    accounts = await _eligible(ctx, unit, kind)
    if not accounts:
        await _no_accounts(ctx, unit, kind)
        return
    conv = await ctx.conversation()
    data: dict[str, Any] = {"kind": kind.value, "accounts": [a.id for a in accounts]}
    if conv is None or conv.flow != PICK_FLOW:
        conv = await ctx.start_conversation(PICK_FLOW, "account", data)
    else:
        await ctx.save_conversation(conv, "account", data)
    caps = capabilities(ctx.event.platform)
    listed = [f"{i}. {account_line(a)}" for i, a in enumerate(accounts, start=1)]
    intro = f"{kind.label}备案：请选择本单位的账号"
    labels = [button_label(a) for a in accounts]
    fits = all(len(label) <= BUTTON_CHARS for label in labels)
    if caps.buttons and fits and len(accounts) <= caps.max_buttons:
        card = Card(
            title=f"{kind.label}备案",
            body="\n".join([intro, *listed]),
            buttons=tuple(
                Button(
                    label=label,
                    action="filing.account",
                    payload={"kind": kind.value, "account": str(a.id)},
                )
                for label, a in zip(labels, accounts, strict=True)
            ),
            status="回复序号也可以；回复“取消”放弃。",
        )
        await _reply_card(ctx, card)
        return
    lines = [intro, *listed]
    lines.append("请回复序号。回复“取消”放弃。")
    await ctx.reply("\n".join(lines))


def button_label(account: Account) -> str:
    return f"{MediaPlatform(account.platform).label}·{account.name}"


async def _no_accounts(ctx: HandlerContext, unit: Unit, kind: FilingKind) -> None:
    conv = await ctx.conversation()
    if conv is not None and conv.flow == PICK_FLOW:
        await ctx.end_conversation(conv)
    policy = policy_of(ctx.services)
    states = "、".join(s.label for s in ACCOUNT_STATES[kind])
    text = f"本单位没有可以办理{kind.label}备案的账号（须为{states}状态）。"
    if kind == FilingKind.CANCEL:
        closure = policy.lifecycle.closure
        text += (
            f"注销须先办理关停备案，关停公告期满后方可注销：{closure.value}"
            f"{cite(closure.citation.basis())}。"
        )
    await ctx.reply(text + "发送“台账”可查看本单位账号。")


async def continue_pick(ctx: HandlerContext, conv: Conversation, text: str) -> None:
    """Typed answers to the kind / account questions (numbers or names)."""
    if conv.step == "kind":
        kinds = list(FilingKind)
        kind = parse_kind(text)
        if kind is None and text.isdigit() and 1 <= int(text) <= len(kinds):
            kind = kinds[int(text) - 1]
        if kind is None:
            await ctx.reply(
                f"“{text}”不是备案类型。可选：{'、'.join(k.label for k in kinds)}，回复“取消”放弃。"
            )
            return
        await choose_kind(ctx, kind)
        return
    kind = FilingKind(conv.data["kind"])
    ids: list[int] = list(conv.data.get("accounts", []))
    chosen: int | None = None
    if text.isdigit() and 1 <= int(text) <= len(ids):
        chosen = ids[int(text) - 1]
    else:
        for account in await Account.filter(id__in=ids).using_db(ctx.conn):
            if text in (account.name, account_line(account)):
                chosen = account.id
                break
    if chosen is None:
        await ctx.reply(f"请回复账号的序号（1-{len(ids)}），回复“取消”放弃。")
        return
    await choose_account(ctx, kind, chosen)


async def choose_account(ctx: HandlerContext, kind: FilingKind, account_id: int) -> None:
    unit = await owning_unit(ctx.actor.unit.id, ctx.conn)
    account = await Account.filter(id=account_id, owner_unit_id=unit.id).using_db(ctx.conn).first()
    if account is None or account.status not in ACCOUNT_STATES[kind]:
        await ctx.reply("这个账号现在不能办理这项备案，请发送“台账”查看账号状态。")
        return
    refusal = await _refusal(ctx, kind, account)
    if refusal:
        conv = await ctx.conversation()
        if conv is not None:
            await ctx.end_conversation(conv)
        await ctx.reply(refusal)
        return
    registry = registry_values(account, unit)
    await forms.start(
        ctx,
        SPECS[kind],
        answers={"kind": kind.value, "account": str(account.id)},
        prefill=registry,
        extra={
            "kind": kind.value,
            "account_id": account.id,
            "registry": registry,
            "account_line": account_line(account),
        },
        intro=_intro(kind, account, registry),
    )


def _intro(kind: FilingKind, account: Account, registry: dict[str, str]) -> str:
    lines = [f"{kind.label}备案：{account_line(account)}"]
    if kind == FilingKind.CHANGE:
        lines.append(
            f"当前登记：责任主体 {registry['subject']}；账号 {registry['account_id'] or '未登记'}；"
            f"运营主管负责人 {registry['manager_name'] or '未登记'} {registry['manager_phone']}；"
            f"运营人员 {registry['operator_name'] or '未登记'} {registry['operator_phone']}。"
            "只需填写要变更的内容。"
        )
    return "\n".join(lines)


def registry_values(account: Account, unit: Unit) -> dict[str, str]:
    operators: list[dict[str, str]] = list(account.operators or [])
    first = operators[0] if operators else {}
    return {
        "subject": unit.name,
        "name": account.name,
        "account_id": account.platform_account_id or "",
        "platform": str(account.platform),
        "platform_name": account.platform_name or "",
        "manager_name": account.manager_name or "",
        "manager_phone": account.manager_phone or "",
        "operator_name": str(first.get("name", "")),
        "operator_phone": str(first.get("phone", "")),
    }


async def _refusal(ctx: HandlerContext, kind: FilingKind, account: Account) -> str:
    """Rules checked when the account is picked: one filing at a time per account, offline
    once a year, notice before cancel."""
    policy = policy_of(ctx.services)
    open_one = (
        await Filing.filter(
            account_id=account.id, status__in=[FilingStatus.PENDING, FilingStatus.RETURNED]
        )
        .using_db(ctx.conn)
        .first()
    )
    # 紧急关停 cannot wait for another filing: it is reported whatever else is in progress.
    if open_one is not None and kind != FilingKind.EMERGENCY:
        state = "已退回待修改" if open_one.status == FilingStatus.RETURNED else "正在审批"
        label = FilingKind(open_one.kind).label
        return (
            f"{account_line(account)}的{label}备案 #{open_one.id}{state}，"
            "请等它办结后再办理新的备案（发送“我的备案”查看进度）。"
        )
    if kind == FilingKind.SUSPEND:
        limit = policy.lifecycle.temporary_offline_per_year
        year = ctx.now.astimezone(ctx.services.tz).year
        done = [
            f
            for f in await Filing.filter(
                account_id=account.id,
                kind=FilingKind.SUSPEND,
                status__in=[FilingStatus.PENDING, FilingStatus.APPROVED],
            ).using_db(ctx.conn)
            if f.effective_on is not None and f.effective_on.year == year
        ]
        if len(done) >= limit.value:
            return (
                f"{account_line(account)}今年已临时下线{len(done)}次，每年最多{limit.value_text()}"
                f"{cite(limit.citation.basis())}，不能再申请临时下线。"
                "因不可抗力或被责令关停的，请选择“紧急关停”报备（不计入临时下线次数）。"
            )
    if kind == FilingKind.CANCEL and account.status == AccountStatus.CLOSING:
        notices = await lifecycle.for_subject(ctx.conn, "account", account.id, kind=NOTICE_CLOSE)
        for notice in notices:
            if notice.due_at > ctx.now:
                return (
                    f"{account_line(account)}的关停公告期尚未届满：{notice.explanation}，"
                    f"{present.remaining(notice, ctx.now)}。公告期满后方可办理注销备案。"
                )
    return ""
