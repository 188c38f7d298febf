"""Every change of a handover, one function each (planning it is ``start.handover``).

A transition takes the unit of work first (a tap, or a step of the handover's deadline),
locks the handover, checks its state and either returns an ``Outcome`` or raises
``DutyError`` before writing anything. The one exception is a tap by someone who may not
act: the refusal is audited (``duty.handover_refused``), then raised.

Responsibility follows the state: until ``acknowledge`` the outgoing officer holds it
(``people.responsible`` reads ``acknowledged_at``), and is told so at the change.
"""

from __future__ import annotations

from datetime import timedelta

from bot.cards.model import Card, Tone
from bot.core.directory import Member, load_member, load_members
from bot.core.outgoing import Message
from bot.core.work import Outcome, Work
from bot.deadlines import lifecycle
from bot.flows.duty import people
from bot.flows.duty.cards.handover import (
    HandoverView,
    escalation_card,
    incoming_card,
    outgoing_card,
)
from bot.flows.duty.model import (
    HANDOVER_ESCALATION_CARD,
    HANDOVER_IN_CARD,
    HANDOVER_OUT_CARD,
    HANDOVER_SUBJECT,
    DutyError,
    lock_handover,
    shift_label,
)
from bot.flows.duty.records.handover import OpenItem, open_items
from storage.models.duty import DutyShift, DutyTeam
from storage.models.duty_handover import DutyHandover, DutyNote, HandoverStatus

# How the escalation levels of a handover are named in its deadline's steps (stored: never
# rename) and which level of ``people.duty_chain`` each reaches.
LEVELS = {"lead": "lead", "head": "head"}


# ---- the deadline's steps --------------------------------------------------------------------


async def prepare(w: Work, handover_id: int) -> Outcome:
    """Before the change: the outgoing officer gets the card pre-filled with what is open.

    The outgoing officer is whoever holds responsibility just before the change, which is
    the previous shift's officer unless their own handover was never acknowledged.
    """
    h, team, shift = await _locked(w, handover_id)
    if HandoverStatus(h.status) is not HandoverStatus.SCHEDULED:
        return Outcome()
    if shift is None:
        return await _cancel(w, h, "排班中已没有这个班次")
    before = await people.responsible(w.conn, team, h.change_at - timedelta(microseconds=1))
    incoming = await load_member(shift.person_id, w.conn)
    h.incoming_id = shift.person_id
    h.prepared_at = w.now
    if before is None or before.id == shift.person_id:
        # Nobody to hand over from (the first shift), or the same officer stays on: the
        # change passes responsibility by itself.
        h.outgoing_id = before.id if before is not None else None
        h.status = HandoverStatus.ACKNOWLEDGED
        h.acknowledged_at = h.change_at
        h.acknowledged_by_id = shift.person_id
        await h.save(using_db=w.conn)
        if h.deadline_id is not None:
            await lifecycle.complete(
                w.services, w.conn, h.deadline_id, now=w.now, reason="无需交接"
            )
        await w.audit("duty.handover_skipped", HANDOVER_SUBJECT, h.id, {"person": shift.person_id})
        return Outcome()
    h.outgoing_id = before.id
    h.status = HandoverStatus.PREPARING
    view = await _view(w, h, team, shift)
    items = await _items(w, h, team)
    stored = await w.emit.new_card(
        outgoing_card(view, items),
        kind=HANDOVER_OUT_CARD,
        allowed_person_ids=[before.id],
        subject_type=HANDOVER_SUBJECT,
        subject_id=h.id,
    )
    h.outgoing_card_id = stored.card_id
    await h.save(using_db=w.conn)
    await w.emit.to_person(before.id, Message(card=stored))
    await w.audit(
        "duty.handover_prepared",
        HANDOVER_SUBJECT,
        h.id,
        {"outgoing": before.id, "incoming": incoming.id if incoming else None, "items": len(items)},
    )
    return Outcome()


async def at_change(w: Work, handover_id: int) -> Outcome:
    """The change time: the outgoing officer is told they stay responsible until the incoming
    officer acknowledges; the incoming officer is reminded to."""
    h, team, shift = await _locked(w, handover_id)
    if HandoverStatus(h.status) is HandoverStatus.SCHEDULED:
        # Planned too late for its card step (a shift added within the lead time): the card
        # goes out now, then the change is announced as usual.
        await prepare(w, handover_id)
        h, team, shift = await _locked(w, handover_id)
    if not HandoverStatus(h.status).open or shift is None:
        return Outcome()
    if h.incoming_id is not None and h.incoming_id != shift.person_id:
        # Re-planned without a swap or an override (the organisation file changed the
        # rotation, a person left): the cards follow now, at the latest.
        await _follow_incoming(w, handover_id, "排班调整")
        h, team, shift = await _locked(w, handover_id)
        if shift is None:
            return Outcome()
    view = await _view(w, h, team, shift)
    ack = _ack_minutes(w)
    if h.outgoing_id is not None:
        if HandoverStatus(h.status) is HandoverStatus.SUBMITTED:
            text = (
                f"已到交接班时间。在{view.incoming}确认接班前，值班责任仍由您承担"
                f"（告警仍发给您）；{ack}分钟内未确认将通知值班长。"
            )
        else:
            text = (
                f"已到交接班时间，您尚未提交交接。请尽快在交班卡片上点“提交交接”；"
                f"在{view.incoming}确认接班前，值班责任仍由您承担（告警仍发给您）。"
            )
        await w.emit.to_person(h.outgoing_id, Message(text=text))
    if HandoverStatus(h.status) is HandoverStatus.SUBMITTED and h.incoming_id is not None:
        await w.emit.to_person(
            h.incoming_id,
            Message(text=f"已到接班时间，请核对{view.outgoing}的交接内容后点“确认接班”。"),
        )
    return Outcome()


async def escalate(w: Work, handover_id: int, level: str, repeat: int) -> Outcome:
    """Nobody acknowledged in time (or the outgoing officer never submitted): the level of
    the chain is @-mentioned in the duty group and gets a card 1:1; ``renotify`` tells
    everyone reached so far again. The people reached may acknowledge for the incoming one."""
    h, team, shift = await _locked(w, handover_id)
    if not HandoverStatus(h.status).open:
        return Outcome()
    if shift is None:
        return await _cancel(w, h, "排班中已没有这个班次")
    if w.now >= shift.ends_at:
        # The shift it hands over has ended: the next change has its own handover, whose
        # outgoing officer is whoever still holds responsibility, and that one escalates now.
        # This one stops paging and stays unacknowledged in the record.
        if h.deadline_id is not None:
            await lifecycle.complete(
                w.services, w.conn, h.deadline_id, now=w.now, reason="下一次交接班已开始"
            )
        await w.audit("duty.handover_lapsed", HANDOVER_SUBJECT, h.id, {"level": level})
        return Outcome()
    view = await _view(w, h, team, shift)
    submitted = HandoverStatus(h.status) is HandoverStatus.SUBMITTED
    what = (
        f"{view.outgoing}已于{w.when(h.submitted_at)}提交交接，{view.incoming}尚未确认接班"
        if submitted
        else f"{view.outgoing}尚未提交交接（应于{view.change}交班）"
    )
    reached = [int(p) for p in h.reached]
    if level in LEVELS:
        chain = {lv.key: lv for lv in await people.duty_chain(w.conn, team, upto=LEVELS[level])}
        found = chain.get(LEVELS[level])
        fresh = [m for m in (found.members if found else []) if m.id not in reached]
        level_label = found.label if found is not None else level
        targets = fresh
    else:
        level_label = "已通知的各位"
        targets = await load_members(reached, w.conn)
    if not targets:
        return Outcome()
    mentions = tuple(m.mention() for m in targets)
    label = "再次提醒" if level not in LEVELS else f"通知{level_label}"
    text = f"【交接班未完成·{label}】{team.name}：{what}。请尽快处理。"
    if team.chat_id is not None:
        await w.emit.to_chat(team.chat_id, Message(text=text, mentions=mentions))
    if level in LEVELS:
        stored = await w.emit.new_card(
            escalation_card(view, what, level_label, mentions),
            kind=HANDOVER_ESCALATION_CARD,
            allowed_person_ids=[],  # the transition says who may act, and audits the rest
            subject_type=HANDOVER_SUBJECT,
            subject_id=h.id,
        )
        h.escalation_card_ids = [*h.escalation_card_ids, stored.card_id]
        for member in targets:
            await w.emit.to_person(member.id, Message(card=stored))
        h.reached = reached + [m.id for m in targets]
    else:
        for member in targets:
            await w.emit.to_person(member.id, Message(text=text))
    h.escalations += 1
    await h.save(using_db=w.conn, update_fields=["reached", "escalation_card_ids", "escalations"])
    if h.outgoing_id is not None:
        await w.emit.to_person(
            h.outgoing_id,
            Message(text=f"交接班尚未完成，已{label}。在确认接班前，值班责任仍由您承担。"),
        )
    await w.audit(
        "duty.handover_escalated",
        HANDOVER_SUBJECT,
        h.id,
        {"level": level, "repeat": repeat, "to": [m.id for m in targets], "submitted": submitted},
    )
    return Outcome()


# ---- the roster changed under a prepared handover ---------------------------------------------


async def follow_shift(w: Work, shift: DutyShift, why: str) -> None:
    """The incoming shift changed hands (a swap, the lead's override) after its handover was
    prepared: the cards follow the new holder (``why`` says how it changed)."""
    h = (
        await DutyHandover.filter(team_id=shift.team_id, change_at=shift.starts_at)
        .using_db(w.conn)
        .first()
    )
    if h is not None:
        await _follow_incoming(w, h.id, why)


async def _follow_incoming(w: Work, handover_id: int, why: str) -> None:
    """Bring the handover in line with who holds the incoming shift now.

    Submitted: the old incoming card (1:1 and the group's copy) closes saying who took the
    shift, the new holder gets the card to acknowledge, and the old holder, the outgoing
    officer and the group are told. Preparing: the outgoing card names the new holder.
    Reason: ``acknowledge`` already follows the shift, so a card left with the old holder
    would offer a button that can only be refused, and the new holder would never see it.
    """
    h, team, shift = await _locked(w, handover_id)
    status = HandoverStatus(h.status)
    if shift is None or h.incoming_id is None or h.incoming_id == shift.person_id:
        return
    old_id = h.incoming_id
    h.incoming_id = shift.person_id
    view = await _view(w, h, team, shift)
    if status.open and shift.person_id == h.outgoing_id:
        # The outgoing officer took the next shift too: nothing to hand over, as when the
        # same officer stays on (``prepare``); responsibility simply stays with them.
        await _same_officer(w, h, f"{view.incoming}继续值班（{why}），无需交接")
        await w.emit.to_person(
            old_id, Message(text=f"{view.shift}已改由{view.incoming}值班（{why}），您无需接班。")
        )
        return
    if status is HandoverStatus.PREPARING:
        if h.outgoing_card_id is not None:
            card = outgoing_card(view, await _items(w, h, team))
            await w.emit.update_card(h.outgoing_card_id, card)
        await h.save(using_db=w.conn, update_fields=["incoming_id"])
        return
    if status is not HandoverStatus.SUBMITTED:
        return
    await _close(
        w, h.incoming_card_id, f"接班人已改为{view.incoming}（{why}），此卡片作废", Tone.GREY
    )
    items = [OpenItem.from_json(i) for i in h.items]
    stored = await w.emit.new_card(
        incoming_card(view, items, h.note, w.when(h.submitted_at)),
        kind=HANDOVER_IN_CARD,
        allowed_person_ids=[],  # posted in the group too: the transition checks who taps
        subject_type=HANDOVER_SUBJECT,
        subject_id=h.id,
    )
    h.incoming_card_id = stored.card_id
    await h.save(using_db=w.conn, update_fields=["incoming_id", "incoming_card_id"])
    await w.emit.to_person(shift.person_id, Message(card=stored))
    if team.chat_id is not None:
        incoming = await load_member(shift.person_id, w.conn)
        mentions = (incoming.mention(),) if incoming is not None else ()
        await w.emit.to_chat(team.chat_id, Message(card=stored, mentions=mentions))
    await w.emit.to_person(
        old_id,
        Message(
            text=f"{view.shift}已改由{view.incoming}值班（{why}），"
            f"交接卡片已转给{view.incoming}，您无需确认接班。"
        ),
    )
    if h.outgoing_id is not None:
        await w.emit.to_person(
            h.outgoing_id,
            Message(
                text=f"接班人有变（{why}）：您提交的交接改由{view.incoming}确认接班；"
                "确认前值班责任仍由您承担。"
            ),
        )
    await w.audit(
        "duty.handover_incoming_changed",
        HANDOVER_SUBJECT,
        h.id,
        {"from": old_id, "to": shift.person_id, "why": why},
    )


# ---- the people: 提交交接, 确认接班 ----------------------------------------------------------


async def submit(w: Work, handover_id: int, by: Member, note: str) -> Outcome:
    """提交交接: what is open now is snapshotted with the note and the notes of the shift, and
    the incoming officer gets the card to acknowledge (1:1 and in the duty group)."""
    h, team, shift = await _locked(w, handover_id)
    status = HandoverStatus(h.status)
    if status is not HandoverStatus.PREPARING:
        return await _moved_on(w, h, h.outgoing_card_id)
    if by.id != h.outgoing_id:
        raise DutyError("只有交班人可以提交交接。")
    if shift is None:
        raise DutyError("排班中已没有这个班次，无需交接。")
    items = await _items(w, h, team)
    h.items = [i.to_json() for i in items]
    h.note = note[:2000]
    h.status = HandoverStatus.SUBMITTED
    h.submitted_at = w.now
    h.incoming_id = shift.person_id
    view = await _view(w, h, team, shift)
    await (
        DutyNote.filter(team_id=team.id, handover_id__isnull=True, created_at__lte=w.now)
        .using_db(w.conn)
        .update(handover_id=h.id)
    )
    card = incoming_card(view, items, h.note, w.when(w.now))
    stored = await w.emit.new_card(
        card,
        kind=HANDOVER_IN_CARD,
        allowed_person_ids=[],  # posted in the group too: the transition checks who taps
        subject_type=HANDOVER_SUBJECT,
        subject_id=h.id,
    )
    h.incoming_card_id = stored.card_id
    await h.save(using_db=w.conn)
    await w.emit.to_person(shift.person_id, Message(card=stored))
    if team.chat_id is not None:
        incoming = await load_member(shift.person_id, w.conn)
        mentions = (incoming.mention(),) if incoming is not None else ()
        await w.emit.to_chat(team.chat_id, Message(card=stored, mentions=mentions))
    await w.audit(
        "duty.handover_submitted",
        HANDOVER_SUBJECT,
        h.id,
        {"items": len(items), "note": h.note, "incoming": shift.person_id},
    )
    closed = await _close(
        w,
        h.outgoing_card_id,
        f"已提交交接（{w.when(w.now)}），待{view.incoming}确认接班",
        Tone.GREEN,
    )
    return Outcome(f"已提交交接。在{view.incoming}确认接班前，值班责任仍由您承担。", card=closed)


async def acknowledge(w: Work, handover_id: int, by: Member) -> Outcome:
    """确认接班: responsibility passes to the incoming officer; the countdown completes and
    every card of the handover shows the outcome.

    The incoming officer acknowledges a submitted handover; once escalated, the people it
    reached may acknowledge for them (submitted or not), having made sure someone is on duty.
    """
    h, team, shift = await _locked(w, handover_id)
    status = HandoverStatus(h.status)
    if not status.open:
        return await _moved_on(w, h, _tapped(w))
    incoming_id = shift.person_id if shift is not None else h.incoming_id
    reached = {int(p) for p in h.reached}
    proxy = by.id in reached and by.id != incoming_id
    if by.id != incoming_id and not proxy:
        await _refuse(w, h, by, "not_incoming")
        names = await _names(w, [incoming_id, *reached])
        also = f"；已通知的{'、'.join(names[1:])}也可代为确认" if len(names) > 1 else ""
        raise DutyError(f"只有接班人{names[0]}可以确认接班{also}。您的操作未生效，已记录。")
    if status is not HandoverStatus.SUBMITTED and not proxy:
        out = await _names(w, [h.outgoing_id])
        raise DutyError(f"{out[0]}尚未提交交接，提交后才能确认接班。", kind="info")
    if status is not HandoverStatus.SUBMITTED:
        # Acknowledged for a handover never submitted: what was open is recorded as it is.
        h.items = [i.to_json() for i in await _items(w, h, team)]
    h.status = HandoverStatus.ACKNOWLEDGED
    h.acknowledged_at = w.now
    h.acknowledged_by_id = by.id
    h.incoming_id = incoming_id
    await h.save(using_db=w.conn)
    if h.deadline_id is not None:
        await lifecycle.complete(w.services, w.conn, h.deadline_id, now=w.now, reason="确认接班")
    await w.audit(
        "duty.handover_acknowledged",
        HANDOVER_SUBJECT,
        h.id,
        {"by": by.id, "proxy": proxy, "late_minutes": _late_minutes(w, h)},
    )
    names = await _names(w, [incoming_id, h.outgoing_id])
    outcome = f"{names[0]}已于{w.when(w.now)}确认接班" + (f"（{by.name}代为确认）" if proxy else "")
    closed: Card | None = None
    for card_id in [h.incoming_card_id, *h.escalation_card_ids]:
        if card_id is not None:
            done = await _close(w, card_id, outcome, Tone.GREEN)
            if card_id == _tapped(w):
                closed = done
    if h.outgoing_card_id is not None:
        await _close(w, h.outgoing_card_id, f"交接未提交；{outcome}", Tone.GREY)
    if h.outgoing_id is not None:
        await w.emit.to_person(
            h.outgoing_id, Message(text=f"{outcome}，值班责任已移交，您已交班。")
        )
    if proxy and incoming_id is not None:
        await w.emit.to_person(
            incoming_id, Message(text=f"{by.name}已代您确认接班，现在由您值班负责。")
        )
    for person_id in reached - {by.id}:
        await w.emit.to_person(person_id, Message(text=f"{team.name}交接班已完成：{outcome}。"))
    toast = "已确认接班，现在由您值班负责。" if not proxy else f"已代为确认，{names[0]}接班。"
    return Outcome(toast, card=closed)


async def cancel(w: Work, handover_id: int, reason: str) -> Outcome:
    """The shift change went away (the roster changed): nothing is due any more."""
    h, _, _ = await _locked(w, handover_id)
    if not HandoverStatus(h.status).open:
        return Outcome()
    return await _cancel(w, h, reason)


# ---- shared ----------------------------------------------------------------------------------


async def _locked(w: Work, handover_id: int) -> tuple[DutyHandover, DutyTeam, DutyShift | None]:
    h = await lock_handover(w.conn, handover_id)
    if h is None:
        raise DutyError("这次交接班不存在。")
    team = await DutyTeam.filter(id=h.team_id).using_db(w.conn).get()
    # By time, not by id: a re-planned roster replaces rows but keeps the change times.
    shift = await DutyShift.filter(team_id=team.id, starts_at=h.change_at).using_db(w.conn).first()
    return h, team, shift


async def _cancel(w: Work, h: DutyHandover, reason: str) -> Outcome:
    h.status = HandoverStatus.CANCELLED
    await h.save(using_db=w.conn, update_fields=["status"])
    if h.deadline_id is not None:
        await lifecycle.cancel(w.services, w.conn, h.deadline_id, now=w.now, reason=reason)
    for card_id in [h.outgoing_card_id, h.incoming_card_id, *h.escalation_card_ids]:
        if card_id is not None:
            await _close(w, card_id, f"已取消：{reason}", Tone.GREY)
    await w.audit("duty.handover_cancelled", HANDOVER_SUBJECT, h.id, {"reason": reason})
    return Outcome()


async def _same_officer(w: Work, h: DutyHandover, outcome: str) -> None:
    """The officer before and after the change is the same person: recorded acknowledged at
    the change, the countdown completed, every card of the handover closed with ``outcome``."""
    h.status = HandoverStatus.ACKNOWLEDGED
    h.acknowledged_at = h.change_at
    h.acknowledged_by_id = h.incoming_id
    await h.save(using_db=w.conn)
    if h.deadline_id is not None:
        await lifecycle.complete(w.services, w.conn, h.deadline_id, now=w.now, reason="无需交接")
    for card_id in [h.outgoing_card_id, h.incoming_card_id, *h.escalation_card_ids]:
        if card_id is not None:
            await _close(w, card_id, outcome, Tone.GREY)
    await w.audit("duty.handover_skipped", HANDOVER_SUBJECT, h.id, {"person": h.incoming_id})


async def _items(w: Work, h: DutyHandover, team: DutyTeam) -> list[OpenItem]:
    previous = (
        await DutyHandover.filter(team_id=team.id, change_at__lt=h.change_at)
        .using_db(w.conn)
        .order_by("-change_at")
        .first()
    )
    since = previous.change_at if previous is not None else h.change_at - timedelta(days=1)
    return await open_items(w.conn, team, since, w.now, w.tz, until=h.change_at)


async def _view(w: Work, h: DutyHandover, team: DutyTeam, shift: DutyShift) -> HandoverView:
    names = await _names(w, [h.outgoing_id, shift.person_id])
    return HandoverView(
        handover_id=h.id,
        team=team.name,
        shift=shift_label(shift, w.tz),
        change=w.when(h.change_at),
        outgoing=names[0],
        incoming=names[1],
    )


async def _names(w: Work, ids: list[int | None]) -> list[str]:
    found = []
    for person_id in ids:
        member = await load_member(person_id, w.conn) if person_id is not None else None
        found.append(member.name if member is not None else "（无人）")
    return found


def _ack_minutes(w: Work) -> int:
    rule = w.policy.rule("handover.ack")
    return int(getattr(rule, "minutes", 15))


def _late_minutes(w: Work, h: DutyHandover) -> int:
    return max(0, int((w.now - h.change_at).total_seconds() // 60))


def _tapped(w: Work) -> str | None:
    record = getattr(w, "card_record", None)
    return record.id if record is not None else None


async def _refuse(w: Work, h: DutyHandover, by: Member, reason: str) -> None:
    await w.audit(
        "duty.handover_refused",
        HANDOVER_SUBJECT,
        h.id,
        {"by": by.id, "reason": reason, "card": _tapped(w)},
    )


async def _moved_on(w: Work, h: DutyHandover, card_id: str | None) -> Outcome:
    """A tap after the handover moved on: the card shows where things stand."""
    status = HandoverStatus(h.status)
    if status is HandoverStatus.ACKNOWLEDGED:
        names = await _names(w, [h.acknowledged_by_id])
        text = f"已确认接班（{names[0]} {w.when(h.acknowledged_at)}）"
    else:
        text = status.label
    closed = await _close(w, card_id, text, Tone.GREEN) if card_id else None
    return Outcome(f"这次交接班已处理：{text}。", "info", card=closed)


async def _close(w: Work, card_id: str | None, status: str, tone: Tone | None) -> Card | None:
    return await w.emit.close_card(card_id, status, tone) if card_id is not None else None
