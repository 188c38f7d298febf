"""Swap transitions: request → accept → approve (or not) → the roster changes.

Every transition locks the swap row first and checks its state, so two colleagues accepting
at once, or two leads approving at once, record one outcome; the other gets a toast saying
what happened. The shift's person changes in the same transaction as the swap's ``DONE``.
"""

from __future__ import annotations

from dataclasses import replace

from bot.cards.model import Tone
from bot.core.directory import Member, load_member
from bot.core.outgoing import Message
from bot.core.work import Outcome, Work
from bot.deadlines import lifecycle
from bot.flows.duty import people
from bot.flows.duty.cards.roster import (
    SwapFacts,
    approval_card,
    outcome_status,
    outcome_tone,
    request_card,
    requester_card,
)
from bot.flows.duty.model import (
    SWAP_APPROVAL_CARD,
    SWAP_DEADLINE_KIND,
    SWAP_REQUEST_CARD,
    SWAP_STEP_HANDLER,
    SWAP_SUBJECT,
    DutyError,
    lock_shift,
    lock_swap,
    shift_label,
)
from bot.flows.duty.transitions import handover
from storage.enums import CardStatus
from storage.models.duty import DutyShift, DutySwap, DutyTeam, ShiftSource, SwapStatus
from storage.models.machinery import CardRecord
from storage.models.org import Person

REQUESTER_CARD = "duty.swap.requester"
OPEN_STATES = (SwapStatus.OPEN, SwapStatus.ACCEPTED)


async def _names(w: Work, ids: list[int]) -> list[str]:
    rows = await Person.filter(id__in=ids).using_db(w.conn).values_list("id", "name")
    by_id = {int(str(pid)): str(name) for pid, name in rows}
    return [by_id.get(i, "?") for i in ids]


async def facts_of(w: Work, swap: DutySwap, shift: DutyShift | None = None) -> SwapFacts:
    team = await DutyTeam.filter(id=swap.team_id).using_db(w.conn).get()
    shift = shift or await DutyShift.filter(id=swap.shift_id).using_db(w.conn).first()
    [requester] = await _names(w, [swap.requester_id])
    candidates = [int(c) for c in swap.candidates]
    declined = [int(d) for d in swap.declined]
    return SwapFacts(
        swap_id=swap.id,
        team=team.name,
        shift=shift_label(shift, w.tz) if shift is not None else "（班次已取消）",
        requester=requester,
        candidates="、".join(await _names(w, candidates)),
        taker=(await _names(w, [swap.taker_id]))[0] if swap.taker_id else "",
        reason=swap.reason,
        declined="、".join(await _names(w, declined)),
        needs_approval=swap.needs_approval,
    )


async def _close_cards(w: Work, swap: DutySwap, status: str, tone: Tone) -> None:
    """Every card of the swap shows its outcome and no buttons (a request card closed at the
    accept, "待值班长同意", moves on to the final outcome too)."""
    records = await CardRecord.filter(subject_type=SWAP_SUBJECT, subject_id=str(swap.id)).using_db(
        w.conn
    )
    for record in records:
        if record.status == CardStatus.CLOSED and record.content.get("status") == status:
            continue
        await w.emit.close_card(record.id, status, tone)


async def _settle(
    w: Work, swap: DutySwap, status: SwapStatus, *, by: str = "", note: str = ""
) -> str:
    """Close the swap with ``status``: its row, its countdown, its cards. Returns the status
    line the cards show."""
    facts = await facts_of(w, swap)
    swap.status = status
    swap.settled_at = w.now
    if note:
        swap.note = note[:500]
    await swap.save(using_db=w.conn, update_fields=["status", "settled_at", "note"])
    if swap.deadline_id is not None:
        await lifecycle.complete(
            w.services, w.conn, swap.deadline_id, now=w.now, reason=status.value
        )
    line = outcome_status(status, facts, by=by, note=note)
    await _close_cards(w, swap, line, outcome_tone(status))
    return line


# ---- request ---------------------------------------------------------------------------


async def request(
    w: Work,
    team: DutyTeam,
    shift_id: int,
    requester: Member,
    candidates: list[Member],
    reason: str = "",
) -> Outcome:
    """The holder of a shift asks named colleagues to take it."""
    shift = await lock_shift(w.conn, shift_id)
    if shift is None or shift.team_id != team.id:
        raise DutyError("找不到这个班次，请发送“值班表”查看。")
    label = shift_label(shift, w.tz)
    if shift.starts_at <= w.now:
        raise DutyError(f"{label}已经开始，不能再换班；如需离开，请办理交接班。")
    if shift.person_id != requester.id:
        [holder] = await _names(w, [shift.person_id])
        raise DutyError(f"{label}由{holder}值班，不是您的班，只有当班人可以申请换班。")
    others = [c for c in candidates if c.id != requester.id]
    if not others:
        raise DutyError("请写明请哪位同事替班（不能是您自己）。")
    pending = (
        await DutySwap.filter(shift_id=shift.id, status__in=list(OPEN_STATES))
        .using_db(w.conn)
        .first()
    )
    if pending is not None:
        raise DutyError(
            f"{label}已有一份换班申请在办理中（{SwapStatus(pending.status).label}），"
            "请等它办完，或先撤回。",
            kind="info",
        )
    swap = await DutySwap.create(
        using_db=w.conn,
        team_id=team.id,
        shift_id=shift.id,
        requester_id=requester.id,
        candidates=[c.id for c in others],
        needs_approval=team.swap_approval,
        reason=reason[:500],
        created_at=w.now,
    )
    deadline = await lifecycle.start(
        w.services,
        w.conn,
        kind=SWAP_DEADLINE_KIND,
        subject_type=SWAP_SUBJECT,
        subject_id=swap.id,
        handler=SWAP_STEP_HANDLER,
        now=w.now,
        due_at=shift.starts_at,
        data={"swap": swap.id},
    )
    swap.deadline_id = deadline.id
    await swap.save(using_db=w.conn, update_fields=["deadline_id"])
    facts = await facts_of(w, swap, shift)
    card = await w.emit.new_card(
        request_card(facts),
        kind=SWAP_REQUEST_CARD,
        allowed_person_ids=[c.id for c in others],
        subject_type=SWAP_SUBJECT,
        subject_id=swap.id,
    )
    swap.request_card_id = card.card_id
    await swap.save(using_db=w.conn, update_fields=["request_card_id"])
    for colleague in others:
        await w.emit.to_person(colleague.id, Message(card=card, mentions=(colleague.mention(),)))
    mine = await w.emit.new_card(
        requester_card(facts),
        kind=REQUESTER_CARD,
        allowed_person_ids=[requester.id],
        subject_type=SWAP_SUBJECT,
        subject_id=swap.id,
    )
    await w.emit.to_person(requester.id, Message(card=mine))
    await w.audit(
        "duty.swap_requested",
        SWAP_SUBJECT,
        swap.id,
        {"shift": shift.id, "requester": requester.name, "candidates": [c.name for c in others]},
    )
    return Outcome(f"已请{facts.candidates}替您{label}。")


# ---- the colleagues --------------------------------------------------------------------


async def _locked_open(w: Work, swap_id: int) -> DutySwap:
    swap = await lock_swap(w.conn, swap_id)
    if swap is None:
        raise DutyError("找不到这份换班申请。", kind="info")
    return swap


async def _refuse_settled(w: Work, swap: DutySwap) -> None:
    """A tap on a swap that is already decided: say what happened instead."""
    status = SwapStatus(swap.status)
    if status.settled:
        facts = await facts_of(w, swap)
        by = ""
        if swap.decided_by_id is not None:
            [by] = await _names(w, [swap.decided_by_id])
        raise DutyError(
            "这份换班申请已办结：" + outcome_status(status, facts, by=by, note=swap.note),
            kind="info",
        )


async def accept(w: Work, swap_id: int, by: Member) -> Outcome:
    """A named colleague takes the shift; with approval on, the duty lead decides next."""
    swap = await _locked_open(w, swap_id)
    await _refuse_settled(w, swap)
    if by.id not in [int(c) for c in swap.candidates]:
        raise DutyError("这份换班申请没有请您替班，只有被请到的同事可以接受。")
    if swap.status == SwapStatus.ACCEPTED:
        if swap.taker_id == by.id:
            raise DutyError("您已接受，正等待值班长同意。", kind="info")
        [taker] = await _names(w, [swap.taker_id or 0])
        raise DutyError(f"{taker}已先接受了这次换班，无需您替班，谢谢。", kind="info")
    if by.id in [int(d) for d in swap.declined]:
        raise DutyError("您已婉拒这次换班。", kind="info")
    shift = await lock_shift(w.conn, swap.shift_id)
    gone = await _shift_gone(w, swap, shift)
    if gone is not None:
        return gone
    assert shift is not None
    swap.taker_id = by.id
    swap.accepted_at = w.now
    swap.status = SwapStatus.ACCEPTED
    await swap.save(using_db=w.conn, update_fields=["taker_id", "accepted_at", "status"])
    await w.audit("duty.swap_accepted", SWAP_SUBJECT, swap.id, {"taker": by.name})
    if not swap.needs_approval:
        await _apply(w, swap, shift, lead=None)
        return Outcome(f"已接受：{shift_label(shift, w.tz)}由您值班。")
    facts = await facts_of(w, swap, shift)
    facts = replace(facts, warning=await _back_to_back(w, shift, by))
    team = await DutyTeam.filter(id=swap.team_id).using_db(w.conn).get()
    leads = await people.leads(w.conn, team)
    if not leads:
        # Nobody can approve: the swap cannot wait for a decision that will never come.
        await _apply(w, swap, shift, lead=None)
        return Outcome(f"已接受：{shift_label(shift, w.tz)}由您值班（本组未设值班长，无需审批）。")
    card = await w.emit.new_card(
        approval_card(facts),
        kind=SWAP_APPROVAL_CARD,
        allowed_person_ids=[m.id for m in leads],
        subject_type=SWAP_SUBJECT,
        subject_id=swap.id,
    )
    swap.approval_card_id = card.card_id
    await swap.save(using_db=w.conn, update_fields=["approval_card_id"])
    for lead in leads:
        await w.emit.to_person(lead.id, Message(card=card))
    if swap.request_card_id:
        await w.emit.close_card(
            swap.request_card_id, outcome_status(SwapStatus.ACCEPTED, facts), Tone.BLUE
        )
    await w.emit.to_person(
        swap.requester_id,
        Message(text=f"{by.name}已接受替您{facts.shift}，等待值班长同意后生效。"),
    )
    return Outcome("已接受，等待值班长同意后生效。")


async def decline(w: Work, swap_id: int, by: Member) -> Outcome:
    swap = await _locked_open(w, swap_id)
    await _refuse_settled(w, swap)
    if by.id not in [int(c) for c in swap.candidates]:
        raise DutyError("这份换班申请没有请您替班。")
    if swap.status == SwapStatus.ACCEPTED:
        raise DutyError("已有同事接受了这次换班，无需您回复。", kind="info")
    declined = [int(d) for d in swap.declined]
    if by.id in declined:
        raise DutyError("您已婉拒这次换班。", kind="info")
    declined.append(by.id)
    swap.declined = declined
    await swap.save(using_db=w.conn, update_fields=["declined"])
    await w.audit("duty.swap_declined", SWAP_SUBJECT, swap.id, {"by": by.name})
    facts = await facts_of(w, swap)
    if set(declined) >= {int(c) for c in swap.candidates}:
        await _settle(w, swap, SwapStatus.DECLINED)
        await w.emit.to_person(
            swap.requester_id,
            Message(text=f"{facts.candidates}都婉拒了替您{facts.shift}，仍由您值班。"),
        )
        return Outcome("已婉拒。")
    if swap.request_card_id:
        # The others may still accept: the card says who declined and keeps its buttons.
        await w.emit.update_card(swap.request_card_id, request_card(facts))
    await w.emit.to_person(swap.requester_id, Message(text=f"{by.name}婉拒了替您{facts.shift}。"))
    return Outcome("已婉拒。")


async def cancel(w: Work, swap_id: int, by: Member) -> Outcome:
    swap = await _locked_open(w, swap_id)
    await _refuse_settled(w, swap)
    if by.id != swap.requester_id:
        raise DutyError("只有申请人可以撤回换班申请。")
    facts = await facts_of(w, swap)
    await _settle(w, swap, SwapStatus.CANCELLED, by=by.name)
    await w.audit("duty.swap_cancelled", SWAP_SUBJECT, swap.id, {"by": by.name})
    told = [int(c) for c in swap.candidates]
    for pid in told:
        await w.emit.to_person(pid, Message(text=f"{by.name}已撤回换班申请（{facts.shift}）。"))
    return Outcome("已撤回换班申请，仍由您值班。")


async def _back_to_back(w: Work, shift: DutyShift, taker: Member) -> str:
    """What the lead should know before approving: the taker's own shifts right before or
    right after this one (so they would stay on without a break)."""
    around = await DutyShift.filter(
        team_id=shift.team_id, person_id=taker.id, ends_at=shift.starts_at
    ).using_db(w.conn) + await DutyShift.filter(
        team_id=shift.team_id, person_id=taker.id, starts_at=shift.ends_at
    ).using_db(w.conn)
    if not around:
        return ""
    hours = (shift.ends_at - shift.starts_at).total_seconds()
    hours += sum((s.ends_at - s.starts_at).total_seconds() for s in around)
    labels = "、".join(shift_label(s, w.tz) for s in around)
    return f"{taker.name}{labels}也在班，将连续值班 {round(hours / 3600)} 小时"


# ---- the duty lead ---------------------------------------------------------------------


async def _check_lead(w: Work, swap: DutySwap, by: Member) -> None:
    team = await DutyTeam.filter(id=swap.team_id).using_db(w.conn).get()
    if by.id not in {m.id for m in await people.leads(w.conn, team)}:
        raise DutyError("只有本组值班长可以审批换班。")
    if swap.status != SwapStatus.ACCEPTED:
        raise DutyError("这份换班申请还没有同事接受，暂不能审批。", kind="info")


async def approve(w: Work, swap_id: int, by: Member) -> Outcome:
    swap = await _locked_open(w, swap_id)
    await _refuse_settled(w, swap)
    await _check_lead(w, swap, by)
    shift = await lock_shift(w.conn, swap.shift_id)
    gone = await _shift_gone(w, swap, shift)
    if gone is not None:
        return gone
    assert shift is not None
    await _apply(w, swap, shift, lead=by)
    return Outcome(f"已同意：{shift_label(shift, w.tz)}由替班人值班。")


async def refuse(w: Work, swap_id: int, by: Member, reason: str) -> Outcome:
    swap = await _locked_open(w, swap_id)
    await _refuse_settled(w, swap)
    await _check_lead(w, swap, by)
    if not reason.strip():
        raise DutyError("请写明不同意的理由。")
    facts = await facts_of(w, swap)
    swap.decided_by_id = by.id
    await swap.save(using_db=w.conn, update_fields=["decided_by_id"])
    await _settle(w, swap, SwapStatus.REFUSED, by=by.name, note=reason.strip())
    await w.audit("duty.swap_refused", SWAP_SUBJECT, swap.id, {"by": by.name, "reason": reason})
    text = f"值班长{by.name}不同意{facts.taker}替{facts.requester}{facts.shift}：{reason.strip()}。"
    for pid in {swap.requester_id, swap.taker_id}:
        if pid is not None:
            await w.emit.to_person(pid, Message(text=text + "仍按原排班值班。"))
    return Outcome("已不同意，申请人和替班人已收到通知。")


# ---- the roster changes ----------------------------------------------------------------


async def _shift_gone(w: Work, swap: DutySwap, shift: DutyShift | None) -> Outcome | None:
    """The shift started, was re-planned away or changed hands meanwhile: the swap is void."""
    if shift is None:
        await _settle(w, swap, SwapStatus.CANCELLED, note="班次已取消，换班申请作废")
        return Outcome("这个班次已取消，换班申请作废。", kind="info")
    if shift.starts_at <= w.now:
        await _settle(w, swap, SwapStatus.EXPIRED)
        return Outcome("班次已开始，换班申请已过期，仍由原值班人值班。", kind="info")
    if shift.person_id != swap.requester_id:
        await _settle(w, swap, SwapStatus.CANCELLED, note="班次已由值班长改排，换班申请作废")
        return Outcome("这个班次已由值班长改排，换班申请作废。", kind="info")
    return None


async def _apply(w: Work, swap: DutySwap, shift: DutyShift, *, lead: Member | None) -> None:
    """The roster changes, in this transaction: the shift's person, the swap done, the cards
    closed, and the requester, the taker, the leads and the duty group told."""
    assert swap.taker_id is not None
    taker = await load_member(swap.taker_id, w.conn)
    assert taker is not None
    [requester_name] = await _names(w, [swap.requester_id])
    shift.person_id = taker.id
    shift.source = ShiftSource.SWAP
    shift.updated_at = w.now
    await shift.save(using_db=w.conn, update_fields=["person_id", "source", "updated_at"])
    if lead is not None:
        swap.decided_by_id = lead.id
        await swap.save(using_db=w.conn, update_fields=["decided_by_id"])
    await _settle(w, swap, SwapStatus.DONE, by=lead.name if lead is not None else "")
    await w.audit(
        "duty.swap_done",
        SWAP_SUBJECT,
        swap.id,
        {
            "shift": shift.id,
            "from": requester_name,
            "to": taker.name,
            "approved_by": lead.name if lead is not None else None,
        },
    )
    team = await DutyTeam.filter(id=swap.team_id).using_db(w.conn).get()
    why = f"换班，值班长{lead.name}同意" if lead is not None else "换班"
    await tell_change(w, team, shift, swap.requester_id, requester_name, taker, why)
    for other in await people.leads(w.conn, team):
        if lead is None or other.id != lead.id:
            await w.emit.to_person(
                other.id,
                Message(
                    text=f"排班变更（{why}）：{shift_label(shift, w.tz)}由{taker.name}值班"
                    f"（原{requester_name}）。"
                ),
            )


async def tell_change(
    w: Work,
    team: DutyTeam,
    shift: DutyShift,
    previous_id: int,
    previous_name: str,
    person: Member,
    why: str,
) -> None:
    """The old and new holders (1:1) and the duty group hear of a changed shift; a handover
    already prepared for it follows the new holder."""
    label = shift_label(shift, w.tz)
    await w.emit.to_person(
        person.id, Message(text=f"{why}：{label}由您值班（原{previous_name}）。请按时接班。")
    )
    await w.emit.to_person(previous_id, Message(text=f"{why}：您的{label}改由{person.name}值班。"))
    if team.chat_id is not None:
        await w.emit.to_chat(
            team.chat_id,
            Message(
                text=f"排班变更（{why}）：{label}由{person.name}值班（原{previous_name}）。",
                mentions=(person.mention(),),
            ),
        )
    await handover.follow_shift(w, shift, why)


async def void_open_swaps(w: Work, shift: DutyShift, why: str) -> None:
    """Swaps still open on a shift whose holder the lead changed are void (and say so)."""
    for pending in await DutySwap.filter(shift_id=shift.id, status__in=list(OPEN_STATES)).using_db(
        w.conn
    ):
        swap = await lock_swap(w.conn, pending.id)
        if swap is None or SwapStatus(swap.status).settled:
            continue
        await _settle(w, swap, SwapStatus.CANCELLED, note=why)
        await w.audit("duty.swap_voided", SWAP_SUBJECT, swap.id, {"why": why})
        for pid in {swap.requester_id, swap.taker_id, *[int(c) for c in swap.candidates]}:
            if pid is not None:
                await w.emit.to_person(pid, Message(text=f"{why}。"))


async def expire(w: Work, swap_id: int) -> None:
    """The shift started before the swap was settled: it lapses, and the people are told."""
    swap = await lock_swap(w.conn, swap_id)
    if swap is None or SwapStatus(swap.status).settled:
        return
    facts = await facts_of(w, swap)
    await _settle(w, swap, SwapStatus.EXPIRED)
    await w.audit("duty.swap_expired", SWAP_SUBJECT, swap.id, {})
    text = f"{facts.shift}已开始，换班申请未办完，已过期：仍由{facts.requester}值班。"
    for pid in {swap.requester_id, swap.taker_id}:
        if pid is not None:
            await w.emit.to_person(pid, Message(text=text))
