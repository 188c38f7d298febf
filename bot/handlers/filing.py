"""备案, 台账, 我的备案, 下载 and the taps on filing cards."""

from __future__ import annotations

from bot.core.context import HandlerContext
from bot.core.directory import owning_unit
from bot.core.outgoing import FileRef
from bot.flows.filing import approval, closing, deadlines, document, registry
from bot.flows.filing.common import account_line, parse_kind
from bot.flows.filing.start import PICK_FLOW, begin, choose_account, choose_kind, continue_pick
from bot.handlers.registry import router
from bot.timekeeping.explain import format_time
from storage.enums import AccountStatus, Role
from storage.models.filing import AccountHistory, Filing, FilingKind
from storage.models.machinery import StoredFile
from storage.models.org import Account, Unit

CLERKS = frozenset({Role.CLERK})
FIELD_NAMES = {
    "name": "名称",
    "platform": "平台",
    "platform_name": "平台名称",
    "platform_account_id": "账号",
    "manager_name": "运营主管负责人",
    "manager_phone": "负责人联系方式",
    "operators": "运营人员",
}
# Who looks at accounts and filing forms: the clerk, the unit's leaders, the supervisors.
READERS = frozenset(
    {
        Role.CLERK,
        Role.PRINCIPAL,
        Role.DEPUTY_LEADER,
        Role.SECTION_CHIEF,
        Role.SUPERVISOR_STAFF,
        Role.ADMIN,
    }
)

router.command(
    "备案", "办理账号开设、变更、关停、注销等备案", roles=CLERKS, menu_key="filing", order=10
)(begin)
router.flow(PICK_FLOW, "备案")(continue_pick)
router.command(
    closing.WITHDRAW_WORD, "终审前撤回自己提交的备案，如“撤回备案 12”", roles=CLERKS, order=14
)(closing.withdraw)


@router.command("台账", "查看本单位的政务新媒体账号", roles=READERS, order=11)
async def show_registry(ctx: HandlerContext, rest: str) -> None:
    """The unit's accounts; supervisors also see the units they supervise."""
    unit = await owning_unit(ctx.actor.unit.id, ctx.conn)
    units = [unit]
    if ctx.actor.has(Role.SUPERVISOR_STAFF):
        units += (
            await Unit.filter(supervisor_id=unit.id, active=True).using_db(ctx.conn).order_by("id")
        )
    if rest:
        await _history(ctx, [u.id for u in units], rest)
        return
    parts = [await _registry_text(ctx, u) for u in units]
    parts.append("发送“台账 账号名称”查看某个账号的变更记录。")
    await ctx.reply("\n\n".join(parts))


async def _history(ctx: HandlerContext, unit_ids: list[int], name: str) -> None:
    """``台账 临江文旅``: every registry change of the matching accounts, oldest first."""
    accounts = (
        await Account.filter(owner_unit_id__in=unit_ids, name__contains=name)
        .using_db(ctx.conn)
        .order_by("id")
    )
    if not accounts:
        await ctx.reply(f"没有找到名称含“{name}”的账号。发送“台账”查看全部。")
        return
    lines: list[str] = []
    for account in accounts:
        lines.append(f"{account_line(account)} 变更记录：")
        rows = await AccountHistory.filter(account_id=account.id).using_db(ctx.conn).order_by("id")
        if not rows:
            lines.append("  （暂无，通过备案办理的变更会记录在这里）")
        for row in rows:
            when = format_time(row.at, ctx.services.tz)
            after = AccountStatus(row.status_after).label
            before = AccountStatus(row.status_before).label if row.status_before else "新建"
            status = f"{before}→{after}" if before != after else after
            changed = "、".join(FIELD_NAMES.get(k, k) for k in row.changes or {})
            detail = f"；变更：{changed}" if changed else ""
            lines.append(f"  {when} {row.note}（{status}{detail}）")
    await ctx.reply("\n".join(lines))


async def _registry_text(ctx: HandlerContext, unit: Unit) -> str:
    accounts = await Account.filter(owner_unit_id=unit.id).using_db(ctx.conn).order_by("id")
    if not accounts:
        return f"{unit.name}还没有登记政务新媒体账号。开设请发送“备案 开设”。"
    lines = [f"{unit.name}政务新媒体台账（{len(accounts)}个）："]
    for i, a in enumerate(accounts, start=1):
        ops = "、".join(f"{o.get('name', '')} {o.get('phone', '')}" for o in a.operators or [])
        lines.append(
            f"{i}. {account_line(a)} 账号：{a.platform_account_id or '未登记'}；"
            f"负责人：{a.manager_name or '未登记'} {a.manager_phone or ''}；"
            f"运营人员：{ops or '未登记'}"
        )
    return "\n".join(lines)


@router.command("我的备案", "查看我提交的备案和进度", roles=CLERKS, order=12)
async def my_filings(ctx: HandlerContext, rest: str) -> None:
    filings = (
        await Filing.filter(clerk_id=ctx.actor.id).using_db(ctx.conn).order_by("-id").limit(20)
    )
    if not filings:
        await ctx.reply("您还没有提交过备案。发送“备案”开始办理。")
        return
    lines = ["我的备案（最近20份）："]
    for f in filings:
        when = format_time(f.submitted_at, ctx.services.tz)
        lines.append(f"{approval.title_of(f)}：{f.status.label}（{when}提交）")
    lines.append(f"发送“下载 编号”获取备案表，如“下载 {filings[0].id}”。")
    open_ones = [f for f in filings if f.status in closing.OPEN_STATES]
    if open_ones:
        word = closing.WITHDRAW_WORD
        lines.append(f"终审前可发送“{word} 编号”撤回，如“{word} {open_ones[0].id}”。")
    await ctx.reply("\n".join(lines))


@router.command("下载", "下载备案表，如“下载 12”", roles=READERS, order=13)
async def download(ctx: HandlerContext, rest: str) -> None:
    number = rest.strip().lstrip("#＃")
    if not number.isdigit():
        if not number and ctx.actor.has(Role.CLERK):
            await my_filings(ctx, "")  # the list ends with how to download one
            return
        await ctx.reply("请写明备案编号，如“下载 12”。发送“我的备案”可查看编号。")
        return
    filing = await Filing.filter(id=int(number)).using_db(ctx.conn).first()
    unit = await owning_unit(ctx.actor.unit.id, ctx.conn)
    supervised = False
    if filing is not None and ctx.actor.has(Role.SUPERVISOR_STAFF):
        owner = await Unit.filter(id=filing.unit_id).using_db(ctx.conn).first()
        supervised = owner is not None and owner.supervisor_id == unit.id
    if filing is None or (filing.unit_id != unit.id and not supervised):
        await ctx.reply(f"没有找到本单位编号为 {number} 的备案。发送“我的备案”可查看编号。")
        return
    stored = (
        await StoredFile.filter(id=filing.document_id).using_db(ctx.conn).first()
        if filing.document_id
        else None
    )
    if stored is not None:
        ref = FileRef(file_id=stored.id, name=stored.name, size=stored.size, mime=stored.mime)
    else:
        ref = await document.store(ctx, filing)  # a draft with the opinions given so far
    lead = f"{approval.title_of(filing)}的备案表："
    await document.send(ctx.services, ctx.emit, ctx.actor.id, ref, lead, ctx.event.place.platform)


@router.action("filing")
async def on_tap(ctx: HandlerContext) -> None:
    event = ctx.card_action
    kind = event.action.split(".", 1)[1]
    if kind in ("approve", "return", "reject"):
        await approval.decide(ctx, kind)
    elif kind == "resubmit":
        await approval.resubmit(ctx)
    elif kind == "kind":
        chosen = parse_kind(event.payload.get("kind", ""))
        if chosen is None:
            ctx.notify_toast("没有这种备案类型。", "warning")
            return
        await ctx.close_tapped(f"已选择：{chosen.label}")
        await choose_kind(ctx, chosen)
    elif kind == "account":
        await ctx.close_tapped("已选择账号")
        await choose_account(
            ctx, FilingKind(event.payload["kind"]), int(event.payload.get("account", "0"))
        )
    elif kind == "golive":
        await _golive(ctx)
    else:
        ctx.notify_toast("暂不支持这个操作。", "warning")


async def _golive(ctx: HandlerContext) -> None:
    account = (
        await Account.filter(id=int(ctx.card_action.payload.get("account", "0")))
        .using_db(ctx.conn)
        .select_for_update()
        .first()
    )
    if account is None or account.status != AccountStatus.PREPARING:
        ctx.notify_toast("这个账号已经不在筹备状态了。", "info")
        return
    account.status = AccountStatus.RUNNING
    account.opened_on = ctx.now.astimezone(ctx.services.tz).date()
    await account.save(using_db=ctx.conn)
    await registry.record(ctx, account, None, AccountStatus.PREPARING, {}, "已上线运行")
    await deadlines.went_live(ctx, account)
    await ctx.close_tapped("已上线")
    ctx.notify_toast("已登记上线", "success")
    await ctx.reply(f"{account_line(account)}已登记上线。开通公告请在首页显著位置保留。")
