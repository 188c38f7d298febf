"""Ending a filing before its final decision: 撤回 by its clerk, or superseded by a 紧急关停.

Both close every open card of the filing, cancel its report countdown and tell the people who
hold or acted on its cards, in the transaction that changes its status.
"""

from __future__ import annotations

from bot.cards.model import Tone
from bot.core.context import HandlerContext
from bot.core.directory import Member, owning_unit
from bot.core.emit import card_from_record
from bot.core.outgoing import Message
from bot.flows.filing import deadlines
from bot.flows.filing.approval import chain, title_of
from storage.enums import CardStatus
from storage.models.filing import Filing, FilingStatus
from storage.models.machinery import CardRecord
from storage.models.org import Person, Unit

# Statuses before the final decision: the only ones a filing can be withdrawn or superseded in.
OPEN_STATES = (FilingStatus.PENDING, FilingStatus.RETURNED)
WITHDRAW_WORD = "撤回备案"


async def _close_open_cards(ctx: HandlerContext, filing: Filing, status: str) -> None:
    """Approval cards, the returned card with its 修改后重新提交 button: nothing stays tappable."""
    records = await CardRecord.filter(
        subject_type="filing", subject_id=str(filing.id), status=CardStatus.OPEN
    ).using_db(ctx.conn)
    for record in records:
        if record.kind not in ("filing.approval", "filing.returned"):
            continue
        await ctx.emit.update_card(
            record.id, card_from_record(record).closed(status, Tone.GREY), close=True
        )
    filing.card_ids = []


async def _approvers_involved(ctx: HandlerContext, filing: Filing) -> list[Member]:
    """Who holds a card of the step now waiting, and who decided in this round."""
    unit = await Unit.filter(id=filing.unit_id).using_db(ctx.conn).get()
    levels = await chain(ctx.conn, unit)
    people: dict[int, Member] = {}
    if filing.status == FilingStatus.PENDING and filing.step < len(levels):
        people |= {m.id: m for m in levels[filing.step].approvers}
    acted = {
        int(op["person_id"]) for op in filing.opinions or [] if op.get("round") == filing.round
    }
    for level in levels:
        people |= {m.id: m for m in level.approvers if m.id in acted}
    return list(people.values())


async def _end(
    ctx: HandlerContext, filing: Filing, status: FilingStatus, card_status: str
) -> list[Member]:
    told = await _approvers_involved(ctx, filing)
    await _close_open_cards(ctx, filing, card_status)
    await deadlines.close_report(ctx, filing, status.label)
    filing.status = status
    filing.decided_at = ctx.now
    filing.updated_at = ctx.now
    await filing.save(using_db=ctx.conn)
    return told


async def withdraw(ctx: HandlerContext, rest: str) -> None:
    """``撤回备案 [编号]``: the clerk takes back their own filing before the final decision."""
    number = rest.strip().lstrip("#＃")
    if number and not number.isdigit():
        await ctx.reply(f"请写明备案编号，如“{WITHDRAW_WORD} 12”。发送“我的备案”可查看编号。")
        return
    if not number:
        mine = (
            await Filing.filter(clerk_id=ctx.actor.id, status__in=list(OPEN_STATES))
            .using_db(ctx.conn)
            .order_by("-id")
        )
        if not mine:
            await ctx.reply("您没有正在审批或待修改的备案，无需撤回。发送“我的备案”查看全部。")
            return
        if len(mine) > 1:
            lines = ["您有多份备案尚未办结，请写明要撤回哪一份："]
            lines += [f"{title_of(f)}：{FilingStatus(f.status).label}" for f in mine]
            lines.append(f"如“{WITHDRAW_WORD} {mine[0].id}”。")
            await ctx.reply("\n".join(lines))
            return
        number = str(mine[0].id)
    # Locked, so a withdrawal and an approver's tap at the same moment cannot both win.
    filing = await Filing.filter(id=int(number)).using_db(ctx.conn).select_for_update().first()
    unit = await owning_unit(ctx.actor.unit.id, ctx.conn)
    if filing is None or filing.unit_id != unit.id:
        await ctx.reply(f"没有找到本单位编号为 {number} 的备案。发送“我的备案”可查看编号。")
        return
    if filing.clerk_id != ctx.actor.id:
        clerk = await Person.filter(id=filing.clerk_id).using_db(ctx.conn).get()
        await ctx.reply(f"{title_of(filing)}由{clerk.name}提交，只有提交人本人可以撤回。")
        return
    status = FilingStatus(filing.status)
    if status not in OPEN_STATES:
        await ctx.reply(_too_late(filing, status))
        return
    told = await _end(ctx, filing, FilingStatus.WITHDRAWN, f"{ctx.actor.name}已撤回这份备案")
    await ctx.audit("filing.withdrawn", "filing", filing.id, {"was": status.value})
    for member in told:
        await ctx.emit.to_person(
            member.id,
            Message(text=f"{title_of(filing)}已由经办人{ctx.actor.name}撤回，无需再审批。"),
        )
    await ctx.reply(
        f"已撤回{title_of(filing)}，审批卡片已关闭，相关时限已取消，已告知审批人。"
        "如需重新办理，请发送“备案”。"
    )


def _too_late(filing: Filing, status: FilingStatus) -> str:
    title = title_of(filing)
    if status == FilingStatus.WITHDRAWN:
        return f"{title}已经撤回过了，无需再次撤回。"
    if status == FilingStatus.APPROVED:
        return f"{title}已审批同意，不能撤回。如需改动，请发送“备案”办理变更或关停备案。"
    if status == FilingStatus.REPORTED:
        return f"{title}是紧急关停报备，已生效，不能撤回。恢复时请发送“备案 恢复上线”。"
    return f"{title}已办结（{status.label}），不能撤回。"


async def supersede_open(ctx: HandlerContext, emergency: Filing) -> list[Filing]:
    """A 紧急关停 closes every filing of the account still being decided: approving one later
    would overwrite the closed account in the registry (e.g. a 临时下线 setting it 临时下线)."""
    if emergency.account_id is None:
        return []
    open_ones = (
        await Filing.filter(account_id=emergency.account_id, status__in=list(OPEN_STATES))
        .exclude(id=emergency.id)
        .using_db(ctx.conn)
        .select_for_update()
        .order_by("id")
    )
    for filing in open_ones:
        was = FilingStatus(filing.status)
        reason = f"账号已紧急关停（备案 #{emergency.id}），本备案作废"
        told = await _end(ctx, filing, FilingStatus.SUPERSEDED, reason)
        await ctx.audit(
            "filing.superseded", "filing", filing.id, {"by": emergency.id, "was": was.value}
        )
        text = (
            f"{title_of(filing)}已作废：该账号已由{ctx.actor.name}报备紧急关停"
            f"（备案 #{emergency.id}），台账为“已关停”。"
        )
        for member in told:
            await ctx.emit.to_person(member.id, Message(text=f"{text}无需再审批。"))
        if filing.clerk_id != ctx.actor.id:
            await ctx.emit.to_person(
                filing.clerk_id,
                Message(text=f"{text}恢复时请发送“备案 恢复上线”，再按需重新办理。"),
            )
    return list(open_ones)
