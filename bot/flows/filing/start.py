"""Starting a filing (1): 备案 → the kind → the account (except 开设) → the form → its 提交.

Also the 修改后重新提交 tap, which reopens a returned filing's form pre-filled. The forms of
``forms`` are bound here to ``submit`` and registered.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.cards.model import Card
from bot.core import forms as chat_forms
from bot.core import untrusted
from bot.core.capabilities import capabilities
from bot.core.context import HandlerContext
from bot.core.directory import owning_unit
from bot.core.forms import Answers, FormSpec
from bot.core.work import Outcome
from bot.deadlines import present
from bot.flows.filing import cards, countdowns, document, forms, people, transitions
from bot.flows.filing.model import (
    ACCOUNT_STATES,
    OPEN_STATES,
    PICK_CARD,
    PICK_FLOW,
    SUBJECT,
    Draft,
    Filed,
    FilingError,
    account_line,
    cite,
    parse_kind,
    registry_values,
    title_of,
)
from storage.enums import AccountStatus
from storage.models.filing import Filing, FilingKind, FilingStatus
from storage.models.machinery import Conversation
from storage.models.org import Account, Unit

# The shortest button text any platform allows (WeCom template cards: 10 characters).
BUTTON_CHARS = 10


async def begin(ctx: HandlerContext, rest: str) -> None:
    """``备案`` [类型]: check the chain can be walked, then ask the kind."""
    unit = await owning_unit(ctx.actor.unit.id, ctx.conn)
    problem = await people.chain_problem(ctx.conn, unit)
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
        await _reply_card(ctx, cards.kind_picker(intro))
        return
    lines = [intro, *(f"{i}. {k.label}" for i, k in enumerate(kinds, start=1))]
    lines.append("请回复序号或名称；紧急关停为事后报备。回复“取消”放弃。")
    await ctx.reply("\n".join(lines))


async def _reply_card(ctx: HandlerContext, card: Card) -> None:
    """A picker card; the conversation remembers it, so a typed answer can close it."""
    stored = await ctx.emit.new_card(
        card, kind=PICK_CARD, allowed_person_ids=[ctx.actor.id], subject_type=SUBJECT
    )
    conv = await ctx.conversation()
    if conv is not None and conv.flow == PICK_FLOW:
        await ctx.save_conversation(conv, conv.step, {**(conv.data or {}), "card": stored.card_id})
    await ctx.reply(card=stored)


async def _close_pick_card(ctx: HandlerContext, conv: Conversation, chosen: str) -> None:
    """A picker answered by typing shows the choice and no buttons, as a tap would leave it.
    On WeCom this spends the card's unused update code from its sending: no new message."""
    card_id = (conv.data or {}).get("card")
    if card_id:
        await ctx.emit.close_card(str(card_id), f"已选择：{chosen}")


async def kind_tapped(ctx: HandlerContext, value: str) -> Outcome:
    """A kind's button on the 备案 card."""
    kind = parse_kind(value)
    if kind is None:
        raise FilingError("没有这种备案类型。")
    await ctx.close_tapped(f"已选择：{kind.label}")
    await choose_kind(ctx, kind)
    return Outcome()


async def account_tapped(ctx: HandlerContext, kind: FilingKind, account_id: int) -> Outcome:
    """An account's button on the card of a kind."""
    account = await Account.filter(id=account_id).using_db(ctx.conn).first()
    await ctx.close_tapped(f"已选择：{account.label}" if account is not None else "已选择账号")
    await choose_account(ctx, kind, account_id)
    return Outcome()


async def choose_kind(ctx: HandlerContext, kind: FilingKind) -> None:
    """开设 goes straight to its form; the other kinds ask which of the unit's accounts."""
    unit = await owning_unit(ctx.actor.unit.id, ctx.conn)
    if kind == FilingKind.OPEN:
        await chat_forms.start(
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
    fits = all(len(a.label) <= BUTTON_CHARS for a in accounts)
    if caps.buttons and fits and len(accounts) <= caps.max_buttons:
        await _reply_card(ctx, cards.account_picker(kind, "\n".join([intro, *listed]), accounts))
        return
    lines = [intro, *listed]
    lines.append("请回复序号。回复“取消”放弃。")
    await ctx.reply("\n".join(lines))


async def _eligible(ctx: HandlerContext, unit: Unit, kind: FilingKind) -> list[Account]:
    return (
        await Account.filter(owner_unit_id=unit.id, status__in=list(ACCOUNT_STATES[kind]))
        .using_db(ctx.conn)
        .order_by("id")
    )


async def _no_accounts(ctx: HandlerContext, unit: Unit, kind: FilingKind) -> None:
    conv = await ctx.conversation()
    if conv is not None and conv.flow == PICK_FLOW:
        await ctx.end_conversation(conv)
    states = "、".join(s.label for s in ACCOUNT_STATES[kind])
    text = f"本单位没有可以办理{kind.label}备案的账号（须为{states}状态）。"
    if kind == FilingKind.CANCEL:
        closure = ctx.policy.lifecycle.closure
        text += (
            f"注销须先办理关停备案，关停公告期满后方可注销：{closure.value}"
            f"{cite(closure.citation.basis())}。"
        )
    # An approved change still waiting for its date explains an empty list (a 恢复上线 before
    # the offline has begun).
    accounts = await Account.filter(owner_unit_id=unit.id).using_db(ctx.conn).order_by("id")
    labels = {a.id: a.label for a in accounts}
    today = ctx.now.astimezone(ctx.tz).date()
    for effect in await countdowns.scheduled_effects(ctx.conn, list(labels)):
        scheduled = await countdowns.scheduled_text(ctx.conn, effect, today)
        text += f"{labels[int(effect.subject_id)]}{scheduled}，生效后台账才会改变。"
    await ctx.reply(text + "发送“台账”可查看本单位账号。")


async def continue_pick(ctx: HandlerContext, conv: Conversation, text: str) -> None:
    """Typed answers to the kind / account questions (numbers or names)."""
    if conv.step == "kind":
        kinds = list(FilingKind)
        kind = parse_kind(text)
        picked = untrusted.row_id(text)
        if kind is None and picked is not None and picked <= len(kinds):
            kind = kinds[picked - 1]
        if kind is None:
            await ctx.reply(
                f"“{text}”不是备案类型。可选：{'、'.join(k.label for k in kinds)}，回复“取消”放弃。"
            )
            return
        await _close_pick_card(ctx, conv, kind.label)
        await choose_kind(ctx, kind)
        return
    kind = FilingKind(conv.data["kind"])
    ids: list[int] = list(conv.data.get("accounts", []))
    chosen: int | None = None
    picked = untrusted.row_id(text)
    listed = {a.id: a for a in await Account.filter(id__in=ids).using_db(ctx.conn)}
    if picked is not None and 0 < picked <= len(ids):
        chosen = ids[picked - 1]
    else:
        for account in listed.values():
            if text in (account.name, account.label, account_line(account)):
                chosen = account.id
                break
    if chosen is None or chosen not in listed:
        await ctx.reply(f"请回复账号的序号（1-{len(ids)}），回复“取消”放弃。")
        return
    await _close_pick_card(ctx, conv, listed[chosen].label)
    await choose_account(ctx, kind, chosen)


async def choose_account(ctx: HandlerContext, kind: FilingKind, account_id: int) -> None:
    """The account picked: refuse what the rules forbid, else open the form pre-filled."""
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
    await chat_forms.start(
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


async def _refusal(ctx: HandlerContext, kind: FilingKind, account: Account) -> str:
    """Rules checked when the account is picked: one filing at a time per account, offline
    once a year, notice before cancel."""
    policy = ctx.policy
    open_one = (
        await Filing.filter(account_id=account.id, status__in=list(OPEN_STATES))
        .using_db(ctx.conn)
        .first()
    )
    # 紧急关停 cannot wait for another filing: it is reported whatever else is in progress.
    if open_one is not None and kind != FilingKind.EMERGENCY:
        state = "已退回待修改" if open_one.status == FilingStatus.RETURNED else "正在审批"
        label = FilingKind(open_one.kind).label
        return (
            f"{account.label}的{label}备案 #{open_one.id}{state}，"
            "请等它办结后再办理新的备案（发送“我的备案”查看进度）。"
        )
    if kind != FilingKind.EMERGENCY:
        # An approved change still waiting for its date holds the account like an open filing:
        # a second one could take effect in between and be overwritten (a 关停 by the 临时下线).
        today = ctx.now.astimezone(ctx.tz).date()
        for effect in await countdowns.scheduled_effects(ctx.conn, [account.id]):
            scheduled = await countdowns.scheduled_text(ctx.conn, effect, today)
            return (
                f"{account.label}{scheduled}，已审批同意，"
                "请等它生效后再办理新的备案（发送“台账”查看）。"
            )
    if kind == FilingKind.SUSPEND:
        # This year's count, so the clerk does not fill a form that will be refused; the start
        # date's own year is checked when it is answered (forms.check_start).
        limit = policy.lifecycle.temporary_offline_per_year
        done = await forms.offlines_in(ctx, account.id, ctx.now.astimezone(ctx.tz).year)
        if len(done) >= limit.value:
            return forms.offline_limit_refusal(ctx, account.label, "今年", done)
    if kind == FilingKind.CANCEL and account.status == AccountStatus.CLOSING:
        for notice in await countdowns.closure_notices(ctx.conn, account.id):
            if notice.due_at > ctx.now:
                return (
                    f"{account.label}的关停公告期尚未届满：{notice.explanation}，"
                    f"{present.remaining(notice, ctx.now)}。公告期满后方可办理注销备案。"
                )
    return ""


# ---- a returned filing's form, and every form's 提交 -----------------------------------------


async def reopen(ctx: HandlerContext, filing_id: int) -> Outcome:
    """修改后重新提交: the clerk reopens a returned filing's form, every answer pre-filled."""
    filing = await Filing.filter(id=filing_id).using_db(ctx.conn).first()
    if filing is None or filing.status != FilingStatus.RETURNED:
        raise FilingError("这份备案已经不需要修改了。", kind="info")
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
    registry = {k: values[k] for k in values if k not in ("kind", "account", "filing")}
    await chat_forms.start(
        ctx,
        SPECS[kind],
        answers=fixed,
        prefill=registry,
        extra={
            "kind": kind.value,
            "account_id": filing.account_id,
            "registry": registry if kind != FilingKind.OPEN else {},
            "filing_id": filing.id,
            "account_line": account_line(account) if account is not None else "",
        },
        intro=f"修改{title_of(filing)}：原填内容已保留，不改的项回复“同上”。",
    )
    return Outcome("请修改后重新提交", "info")


async def submit(ctx: HandlerContext, answers: Answers, extra: dict[str, Any]) -> None:
    """提交 on every filing form: a new filing, a resubmission or a 紧急关停 report; the clerk
    is answered where they filled the form in."""
    kind = FilingKind(extra["kind"])
    values = {**extra.get("registry", {}), **answers}
    effective = values.get("effective") or values.get("start")
    draft = Draft(
        kind=kind,
        values=values,
        account_id=extra.get("account_id"),
        effective_on=date.fromisoformat(effective) if effective else None,
    )
    outcome: Filed
    try:
        if extra.get("filing_id"):
            outcome = await transitions.resubmit(ctx, int(extra["filing_id"]), draft)
        elif kind == FilingKind.EMERGENCY:
            outcome = await transitions.report_emergency(ctx, ctx.actor, draft)
        else:
            outcome = await transitions.submit(ctx, ctx.actor, draft)
    except FilingError as exc:
        await ctx.reply(str(exc))
        return
    await ctx.reply(outcome.toast)
    if outcome.document is not None:
        platform = ctx.event.place.platform
        await document.send(ctx, ctx.actor.id, outcome.document, "备案表：", platform)


SPECS: dict[FilingKind, FormSpec] = {
    kind: chat_forms.register(forms.spec(kind, submit)) for kind in FilingKind
}
