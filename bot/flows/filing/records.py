"""What people read: 台账 (the registry and an account's history), 我的备案, 下载 (the 备案表),
and which filing a bare 撤回备案 means."""

from __future__ import annotations

from bot.core import untrusted
from bot.core.context import HandlerContext
from bot.core.directory import Member, owning_unit
from bot.core.work import Work
from bot.flows.filing import countdowns, document
from bot.flows.filing.model import (
    OPEN_STATES,
    WITHDRAW_WORD,
    FilingError,
    account_line,
    day_text,
    title_of,
)
from storage.enums import AccountStatus, Role
from storage.models.filing import AccountHistory, Filing, FilingStatus
from storage.models.org import Account, Unit

# The registry's columns as the history names them.
FIELD_NAMES = {
    "name": "名称",
    "platform": "平台",
    "platform_name": "平台名称",
    "platform_account_id": "账号",
    "manager_name": "运营主管负责人",
    "manager_phone": "负责人联系方式",
    "operators": "运营人员",
}


async def show_registry(ctx: HandlerContext, rest: str) -> None:
    """``台账`` [名称]: the unit's accounts (supervisors also see the units they supervise), or
    the history of the accounts whose name contains the text."""
    unit = await owning_unit(ctx.actor.unit.id, ctx.conn)
    units = [unit]
    if ctx.actor.has(Role.SUPERVISOR_STAFF):
        units += (
            await Unit.filter(supervisor_id=unit.id, active=True).using_db(ctx.conn).order_by("id")
        )
    if rest:
        await ctx.reply(await _history(ctx, [u.id for u in units], rest))
        return
    parts = [await _registry_text(ctx, u) for u in units]
    parts.append("发送“台账 账号名称”查看某个账号的变更记录。")
    await ctx.reply("\n\n".join(parts))


async def _history(w: Work, unit_ids: list[int], name: str) -> str:
    """``台账 临江文旅``: every registry change of the matching accounts, oldest first."""
    accounts = (
        await Account.filter(owner_unit_id__in=unit_ids, name__contains=name)
        .using_db(w.conn)
        .order_by("id")
    )
    if not accounts:
        return f"没有找到名称含“{name}”的账号。发送“台账”查看全部。"
    lines: list[str] = []
    for account in accounts:
        soon = (await _scheduled(w, [account.id])).get(account.id)
        lines.append(f"{account_line(account)}{f'，{soon}' if soon else ''} 变更记录：")
        rows = await AccountHistory.filter(account_id=account.id).using_db(w.conn).order_by("id")
        if not rows:
            lines.append("  （暂无，通过备案办理的变更会记录在这里）")
        for row in rows:
            after = AccountStatus(row.status_after).label
            before = AccountStatus(row.status_before).label if row.status_before else "新建"
            status = f"{before}→{after}" if before != after else after
            changed = "、".join(FIELD_NAMES.get(k, k) for k in row.changes or {})
            detail = f"；变更：{changed}" if changed else ""
            lines.append(f"  {w.when(row.at)} {row.note}（{status}{detail}）")
    return "\n".join(lines)


async def _registry_text(w: Work, unit: Unit) -> str:
    accounts = await Account.filter(owner_unit_id=unit.id).using_db(w.conn).order_by("id")
    if not accounts:
        return f"{unit.name}还没有登记政务新媒体账号。开设请发送“备案 开设”。"
    lines = [f"{unit.name}政务新媒体台账（{len(accounts)}个）："]
    scheduled = await _scheduled(w, [a.id for a in accounts])
    for i, a in enumerate(accounts, start=1):
        ops = "、".join(f"{o.get('name', '')} {o.get('phone', '')}" for o in a.operators or [])
        soon = f"，{scheduled[a.id]}" if a.id in scheduled else ""
        lines.append(
            f"{i}. {account_line(a)}{soon} 账号：{a.platform_account_id or '未登记'}；"
            f"负责人：{a.manager_name or '未登记'} {a.manager_phone or ''}；"
            f"运营人员：{ops or '未登记'}"
        )
    return "\n".join(lines)


async def _scheduled(w: Work, account_ids: list[int]) -> dict[int, str]:
    """Each account's approved change still waiting for its date, as the registry shows it."""
    today = w.now.astimezone(w.tz).date()
    found: dict[int, str] = {}
    for effect in await countdowns.scheduled_effects(w.conn, account_ids):
        found.setdefault(
            int(effect.subject_id), await countdowns.scheduled_text(w.conn, effect, today)
        )
    return found


async def my_filings(ctx: HandlerContext, rest: str) -> None:
    """``我的备案``: the clerk's latest filings with their status."""
    filings = (
        await Filing.filter(clerk_id=ctx.actor.id).using_db(ctx.conn).order_by("-id").limit(20)
    )
    if not filings:
        await ctx.reply("您还没有提交过备案。发送“备案”开始办理。")
        return
    lines = ["我的备案（最近20份）："]
    today = ctx.now.astimezone(ctx.tz).date()
    waiting = {
        int(
            effect.data["filing"]
        ): f"，{day_text(effect.due_at.astimezone(ctx.tz).date(), today)}起生效"
        for effect in await countdowns.scheduled_effects(
            ctx.conn, [f.account_id for f in filings if f.account_id]
        )
    }
    for f in filings:
        lines.append(
            f"{title_of(f)}：{f.status.label}（{ctx.when(f.submitted_at)}提交"
            f"{waiting.get(f.id, '')}）"
        )
    lines.append(f"发送“下载 编号”获取备案表，如“下载 {filings[0].id}”。")
    open_ones = [f for f in filings if f.status in OPEN_STATES]
    if open_ones:
        word = WITHDRAW_WORD
        lines.append(f"终审前可发送“{word} 编号”撤回，如“{word} {open_ones[0].id}”。")
    await ctx.reply("\n".join(lines))


async def download(ctx: HandlerContext, rest: str) -> None:
    """``下载 12``: the filing's 备案表 for its unit and the unit's supervisors (a draft with the
    opinions so far when none was generated yet)."""
    number = rest.strip().lstrip("#＃")
    if not number.isdecimal():
        if not number and ctx.actor.has(Role.CLERK):
            await my_filings(ctx, "")  # the list ends with how to download one
            return
        await ctx.reply("请写明备案编号，如“下载 12”。发送“我的备案”可查看编号。")
        return
    filing_id = untrusted.row_id(number)
    filing = await Filing.filter(id=filing_id).using_db(ctx.conn).first() if filing_id else None
    unit = await owning_unit(ctx.actor.unit.id, ctx.conn)
    supervised = False
    if filing is not None and ctx.actor.has(Role.SUPERVISOR_STAFF):
        owner = await Unit.filter(id=filing.unit_id).using_db(ctx.conn).first()
        supervised = owner is not None and owner.supervisor_id == unit.id
    if filing is None or (filing.unit_id != unit.id and not supervised):
        await ctx.reply(f"没有找到本单位编号为 {number} 的备案。发送“我的备案”可查看编号。")
        return
    ref = await document.stored(ctx, filing) or await document.store(ctx, filing)
    lead = f"{title_of(filing)}的备案表："
    await document.send(ctx, ctx.actor.id, ref, lead, ctx.event.place.platform)


async def filing_to_withdraw(w: Work, clerk: Member, rest: str) -> int:
    """The filing ``撤回备案 [编号]`` means: the number given, else the clerk's only filing still
    being decided. Raises ``FilingError`` with what to send instead."""
    number = rest.strip().lstrip("#＃")
    if number and not number.isdecimal():
        raise FilingError(f"请写明备案编号，如“{WITHDRAW_WORD} 12”。发送“我的备案”可查看编号。")
    if number:
        return untrusted.row_id(number) or 0  # 0: no such filing, said by the caller
    mine = (
        await Filing.filter(clerk_id=clerk.id, status__in=list(OPEN_STATES))
        .using_db(w.conn)
        .order_by("-id")
    )
    if not mine:
        raise FilingError("您没有正在审批或待修改的备案，无需撤回。发送“我的备案”查看全部。")
    if len(mine) > 1:
        lines = ["您有多份备案尚未办结，请写明要撤回哪一份："]
        lines += [f"{title_of(f)}：{FilingStatus(f.status).label}" for f in mine]
        lines.append(f"如“{WITHDRAW_WORD} {mine[0].id}”。")
        raise FilingError("\n".join(lines))
    return int(mine[0].id)
