"""Personnel leaving: open a checklist, confirm an item (closing the checklist with the last),
remind the unit head. Each takes the unit of work first (a tap or the worker)."""

from __future__ import annotations

from bot.cards.model import Card, Tone
from bot.core.directory import Member
from bot.core.outgoing import Message
from bot.core.work import Outcome, Work
from bot.deadlines import lifecycle
from bot.flows.duty.cards.leaving import checklist_card, title
from bot.flows.duty.model import (
    LEAVING_CARD,
    LEAVING_DEADLINE_KIND,
    LEAVING_RULE,
    LEAVING_SCHEDULE,
    LEAVING_STEP_HANDLER,
    LEAVING_SUBJECT,
    DutyError,
    lock_leaving,
)
from bot.flows.duty.people import lead, leaving_heads
from bot.flows.duty.planner import plan_team
from bot.flows.duty.records.leaving import (
    ChecklistView,
    held_shifts,
    open_items,
    shifts_text,
    view_of,
)
from storage.models.duty import DutyTeam
from storage.models.duty_leaving import (
    LeavingChecklist,
    LeavingItem,
    LeavingItemKind,
    LeavingReason,
    LeavingStatus,
)


def basis(w: Work) -> str:
    """依据… of the preset's 人员离岗 rule (yongchuan 第二十二条, beibei 第七章)."""
    return w.policy.personnel.citation.basis()


def render(w: Work, view: ChecklistView) -> Card:
    return checklist_card(view, when=w.when, basis=basis(w))


async def _replan_held(w: Work, checklist: LeavingChecklist) -> None:
    """Re-plan the teams where the person holds shifts ahead: a person who left drops out of
    the rotation (the planner gives their rotation shifts to the next colleague), so only
    what a duty lead must decide (overrides, swaps, a moved person's turn) stays."""
    team_ids = sorted({s.team_id for s in await held_shifts(w.conn, checklist, w.now)})
    for team_id in team_ids:
        await plan_team(w.conn, team_id, w.services.timekeeping.calendar(), w.now)


async def open_checklist(w: Work, checklist_id: int) -> bool:
    """PENDING → OPEN: list the items, start the countdown, send the card to the unit head.
    False when it was already opened (a second worker, a retried job)."""
    checklist = await lock_leaving(w.conn, checklist_id)
    if checklist is None or checklist.status != LeavingStatus.PENDING:
        return False
    await _replan_held(w, checklist)
    specs = await open_items(w.conn, checklist, w.now, w.tz)
    for position, spec in enumerate(specs, start=1):
        await LeavingItem.create(
            using_db=w.conn,
            checklist_id=checklist.id,
            position=position,
            kind=spec.kind,
            subject_type=spec.subject_type,
            subject_id=spec.subject_id,
            label=spec.label,
        )
    deadline = await lifecycle.start(
        w.services,
        w.conn,
        kind=LEAVING_DEADLINE_KIND,
        subject_type=LEAVING_SUBJECT,
        subject_id=checklist.id,
        handler=LEAVING_STEP_HANDLER,
        now=w.now,
        rule=LEAVING_RULE,
        schedule=w.policy.schedule(LEAVING_SCHEDULE),
    )
    checklist.status = LeavingStatus.OPEN
    checklist.opened_at = w.now
    checklist.due_at = deadline.due_at
    checklist.deadline_id = deadline.id
    heads = await leaving_heads(w.conn, checklist.unit_id)
    view = await view_of(w.conn, checklist)
    card = checklist_card(
        view, when=w.when, basis=basis(w), mentions=tuple(h.mention() for h in heads)
    )
    card = await w.emit.new_card(
        card,
        kind=LEAVING_CARD,
        allowed_person_ids=[h.id for h in heads],
        subject_type=LEAVING_SUBJECT,
        subject_id=checklist.id,
    )
    checklist.card_id = card.card_id
    await checklist.save(
        using_db=w.conn,
        update_fields=["status", "opened_at", "due_at", "deadline_id", "card_id"],
    )
    for head in heads:
        await w.emit.to_person(head.id, Message(card=card))
    await _tell_duty_leads(w, checklist, view)
    if checklist.reason == LeavingReason.MOVED and view.person.active:
        await w.emit.to_person(
            view.person.id,
            Message(
                text=f"您已调往{view.moved_to.name if view.moved_to else '新单位'}。"
                f"原单位{view.unit.name}已开出离岗交接清单（{len(view.items)} 项），"
                "请配合完成工作移交、签署保密承诺书，并协助更换您运营过的账号口令。"
            ),
        )
    await w.audit(
        "duty.leaving_opened",
        LEAVING_SUBJECT,
        checklist.id,
        {
            "person": view.person.key,
            "unit": view.unit.key,
            "reason": str(checklist.reason),
            "items": [i.label for i in view.items],
            "heads": [h.name for h in heads],
        },
    )
    return True


async def _tell_duty_leads(w: Work, checklist: LeavingChecklist, view: ChecklistView) -> None:
    """The duty lead of each team where the person still holds shifts is asked to re-assign
    them: only they change the roster, and the unit head cannot confirm the item before."""
    shifts = await held_shifts(w.conn, checklist, w.now)
    for team in await DutyTeam.filter(id__in=sorted({s.team_id for s in shifts})).using_db(w.conn):
        member = await lead(w.conn, team)
        if member is None:
            continue
        mine = [s for s in shifts if s.team_id == team.id]
        await w.emit.to_person(
            member.id,
            Message(
                text=f"【值班改排】{view.person.name}已{LeavingReason(checklist.reason).label}"
                f"（{view.unit.name}），{team.name}："
                f"{shifts_text(mine, view.person.name, w.tz).removeprefix('值班改排：')}。"
                "请调整值班表，改由他人值守（离岗交接清单中的“值班改排”一项需调整后才能确认）。"
            ),
        )


async def _refresh(w: Work, checklist: LeavingChecklist) -> Card | None:
    """Re-render the card everywhere it was sent (closed when the checklist is done)."""
    if checklist.card_id is None:
        return None
    view = await view_of(w.conn, checklist)
    card = render(w, view)
    return await w.emit.update_card(
        checklist.card_id, card, close=checklist.status == LeavingStatus.CLOSED
    )


async def _shifts_refusal(w: Work, checklist: LeavingChecklist) -> str:
    """Why the shifts item cannot be confirmed yet, or "" when nothing is held any more."""
    await _replan_held(w, checklist)
    shifts = await held_shifts(w.conn, checklist, w.now)
    if not shifts:
        return ""
    view = await view_of(w.conn, checklist)
    leads: list[str] = []
    for team in await DutyTeam.filter(id__in=sorted({s.team_id for s in shifts})).using_db(w.conn):
        member = await lead(w.conn, team)
        if member is not None and member.name not in leads:
            leads.append(member.name)
    who = f"值班长{'、'.join(leads)}" if leads else "值班长"
    return (
        f"{shifts_text(shifts, view.person.name, w.tz)}。请{who}先调整值班表"
        "（改由他人值班），再确认此项。"
    )


async def confirm_item(w: Work, checklist_id: int, item_id: int, by: Member) -> Outcome:
    """The unit head confirms one item; the last one closes the checklist and its countdown."""
    checklist = await lock_leaving(w.conn, checklist_id)
    if checklist is not None and checklist.status == LeavingStatus.WITHDRAWN:
        raise DutyError(f"{checklist.note}，无需再确认。", kind="info")
    if checklist is None or checklist.status != LeavingStatus.OPEN:
        raise DutyError("这份离岗交接清单已全部完成，无需再确认。", kind="info")
    item = await LeavingItem.filter(id=item_id, checklist_id=checklist.id).using_db(w.conn).first()
    if item is None:
        raise DutyError("没有找到这一项，请发送「离岗」查看最新的清单。")
    if item.confirmed_at is not None:
        raise DutyError(f"第 {item.position} 项已确认过了。", kind="info")
    if item.kind == LeavingItemKind.SHIFTS:
        refusal = await _shifts_refusal(w, checklist)
        if refusal:
            raise DutyError(refusal)
    item.confirmed_at = w.now
    item.confirmed_by_id = by.id
    await item.save(using_db=w.conn, update_fields=["confirmed_at", "confirmed_by_id"])
    await w.audit(
        "duty.leaving_item_confirmed",
        LEAVING_SUBJECT,
        checklist.id,
        {"position": item.position, "kind": str(item.kind), "label": item.label},
    )
    left = (
        await LeavingItem.filter(checklist_id=checklist.id, confirmed_at=None)
        .using_db(w.conn)
        .count()
    )
    if left:
        card = await _refresh(w, checklist)
        return Outcome(f"已确认第 {item.position} 项，还有 {left} 项。", card=card)
    checklist.status = LeavingStatus.CLOSED
    checklist.closed_at = w.now
    await checklist.save(using_db=w.conn, update_fields=["status", "closed_at"])
    if checklist.deadline_id is not None:
        await lifecycle.complete(w.services, w.conn, checklist.deadline_id, now=w.now)
    await w.audit("duty.leaving_closed", LEAVING_SUBJECT, checklist.id, {"by": by.name})
    card = await _refresh(w, checklist)
    return Outcome("离岗交接清单已全部完成。", card=card)


async def withdraw(w: Work, checklist_id: int) -> bool:
    """The person was put back into the unit they left (``org load`` set ``returned_at``):
    the checklist closes as withdrawn with a note, its countdown ends, its card shows the note
    with no buttons, and the unit head — if they ever got it — is told. False when there is
    nothing to withdraw (already done by another worker)."""
    checklist = await lock_leaving(w.conn, checklist_id)
    if (
        checklist is None
        or checklist.returned_at is None
        or checklist.status not in (LeavingStatus.PENDING, LeavingStatus.OPEN)
    ):
        return False
    was_open = checklist.status == LeavingStatus.OPEN
    view = await view_of(w.conn, checklist)
    note = (
        f"{view.person.name}已重新列入组织名单（{view.unit.name}，"
        f"{w.when(checklist.returned_at)}），离岗交接清单撤销"
    )
    checklist.status = LeavingStatus.WITHDRAWN
    checklist.closed_at = w.now
    checklist.note = note
    await checklist.save(using_db=w.conn, update_fields=["status", "closed_at", "note"])
    if checklist.deadline_id is not None:
        await lifecycle.complete(
            w.services, w.conn, checklist.deadline_id, now=w.now, reason="人员已重新列入组织名单"
        )
    if checklist.card_id is not None:
        await w.emit.close_card(checklist.card_id, f"已撤销：{note}", Tone.GREY)
    done = len(view.items) - len(view.remaining)
    if was_open:
        text = (
            f"【离岗清单撤销】{view.person.name}已重新列入组织名单（{view.unit.name}，"
            f"{w.when(checklist.returned_at)}），其离岗交接清单"
            f"（已确认 {done}/{len(view.items)} 项）随之撤销，不再提醒。"
        )
        for head in await leaving_heads(w.conn, checklist.unit_id):
            await w.emit.to_person(head.id, Message(text=text))
    await w.audit(
        "duty.leaving_withdrawn",
        LEAVING_SUBJECT,
        checklist.id,
        {"person": view.person.key, "unit": view.unit.key, "opened": was_open, "confirmed": done},
    )
    return True


async def remind(w: Work, checklist_id: int, step: str) -> None:
    """A reminder step of the countdown: tell the unit head what is still open."""
    checklist = await lock_leaving(w.conn, checklist_id)
    if checklist is None or checklist.status != LeavingStatus.OPEN:
        return
    view = await view_of(w.conn, checklist)
    if not view.remaining:
        return
    heads = await leaving_heads(w.conn, checklist.unit_id)
    late = step != "half"
    when = "已超过期限" if late else f"期限 {w.when(checklist.due_at)}"
    lines = [f"{title(view)}还有 {len(view.remaining)} 项未确认，{when}（{basis(w)}）："]
    lines += [f"{i.position}. {i.label}" for i in view.remaining]
    lines.append("完成后请在清单卡片上点「确认」，或发送「离岗」查看。")
    message = Message(text="\n".join(lines), mentions=tuple(h.mention() for h in heads))
    for head in heads:
        await w.emit.to_person(head.id, message)
    if checklist.card_id is not None:
        # Let the card's allowed tappers follow the unit's head (a new head after a change).
        view_card = render(w, view)
        await w.emit.update_card(
            checklist.card_id, view_card, allowed_person_ids=[h.id for h in heads]
        )
    await w.audit(
        "duty.leaving_reminded",
        LEAVING_SUBJECT,
        checklist.id,
        {"step": step, "remaining": len(view.remaining), "heads": [h.name for h in heads]},
    )
