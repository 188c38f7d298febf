"""Every change of a notice after it was issued, one function each (issuing is ``start``).

A transition takes the unit of work first (a person's tap, or a deadline step for
``go_overdue``), locks the notice, checks its state and either returns an ``Outcome`` or raises
``RectificationError`` before writing anything. A tap that comes too late (the notice moved on)
is not an error: it re-renders the card it was made on and says why nothing happened.
"""

from __future__ import annotations

from bot.cards.model import Card, Tone
from bot.core.directory import Member
from bot.core.outgoing import Message
from bot.core.work import Outcome, Work
from bot.deadlines import lifecycle
from bot.flows.rectification.cards import extension_card, review_card, unit_card
from bot.flows.rectification.consequences import after_overdue
from bot.flows.rectification.model import (
    EXTENSION_CARD,
    REVIEW_CARD,
    SUBJECT,
    RectificationError,
    lock,
    number,
    unit_name,
)
from bot.flows.rectification.people import people_of
from bot.flows.rectification.times import parse_due_time
from storage.models.rectification import Rectification, RectStatus

# The states in which the unit works on the notice (and may ask for more time).
OPEN = (RectStatus.ISSUED, RectStatus.ACKNOWLEDGED)


# ---- the owner unit: 已接收, 已整改, 申请延期 --------------------------------------------------


async def acknowledge(w: Work, rect_id: int, by: Member) -> Outcome:
    """已接收: the unit has the notice and works on it; the supervisors are told."""
    rect = await _locked(w, rect_id)
    if rect.status != RectStatus.ISSUED:
        return await _moved_on(w, rect)
    rect.status = RectStatus.ACKNOWLEDGED
    rect.acknowledged_at = w.now
    await rect.save(using_db=w.conn, update_fields=["status", "acknowledged_at"])
    await w.audit("rectification.acknowledged", SUBJECT, rect.id)
    card = await refresh_unit_card(w, rect)
    message = Message(text=f"整改通知 {number(rect)} 已由{by.name}接收。")
    for member in (await people_of(w.conn, rect)).supervisors:
        await w.emit.to_person(member.id, message)
    return Outcome("已接收，请在时限内完成整改。", card=card)


async def submit(w: Work, rect_id: int, by: Member, note: str, evidence: str) -> Outcome:
    """已整改: the unit reports the work done; its clock stops and the supervisors verify."""
    rect = await _locked(w, rect_id)
    if rect.status != RectStatus.ACKNOWLEDGED:
        return await _moved_on(w, rect)
    if not note:
        raise RectificationError("请填写整改情况说明后再点“已整改”。")
    rect.status = RectStatus.SUBMITTED
    rect.submitted_at = w.now
    rect.completion_note = note
    rect.completion_evidence = evidence
    # Done before the supervisor answered an extension request: the request is moot.
    rect.extension_pending = False
    await rect.save(
        using_db=w.conn,
        update_fields=[
            "status",
            "submitted_at",
            "completion_note",
            "completion_evidence",
            "extension_pending",
        ],
    )
    if rect.deadline_id is not None:
        # The unit's clock stops while the supervisor checks the work.
        await lifecycle.pause(w.services, w.conn, rect.deadline_id, now=w.now)
    await w.audit(
        "rectification.submitted",
        SUBJECT,
        rect.id,
        {"note": note, "evidence": rect.completion_evidence, "late": rect.overdue},
    )
    card = await refresh_unit_card(w, rect)
    owner = await unit_name(w.conn, rect.owner_unit_id)
    await _card_to_supervisors(w, rect, REVIEW_CARD, review_card(rect, owner, by.name))
    return Outcome("已提交，等待主管单位核验。", card=card)


async def request_extension(w: Work, rect_id: int, by: Member, reason: str) -> Outcome:
    """申请延期: the unit asks the supervisors for more time (one request at a time)."""
    rect = await _locked(w, rect_id)
    if rect.status not in OPEN:
        return await _moved_on(w, rect)
    if rect.extension_pending:
        raise RectificationError("已申请延期，请等待主管单位答复。", kind="info")
    if not reason:
        raise RectificationError("申请延期须写明理由。")
    rect.extension_pending = True
    rect.extension_reason = reason
    await rect.save(using_db=w.conn, update_fields=["extension_pending", "extension_reason"])
    await w.audit("rectification.extension_requested", SUBJECT, rect.id, {"reason": reason})
    card = await refresh_unit_card(w, rect)
    owner = await unit_name(w.conn, rect.owner_unit_id)
    request = extension_card(rect, owner, w.when(rect.due_at), by.name, reason)
    await _card_to_supervisors(w, rect, EXTENSION_CARD, request)
    return Outcome("已提交延期申请，等待主管单位答复；在答复前请继续整改。", card=card)


# ---- the supervisors: 通过, 驳回, 同意延期, 不同意 -------------------------------------------
# ``card_id`` is the decision card answered (核验 or 延期申请): it closes showing the decision.


async def verify(w: Work, rect_id: int, by: Member, card_id: str | None) -> Outcome:
    """通过: the work is accepted; the countdown completes and the notice is done."""
    rect = await _locked(w, rect_id)
    if rect.status != RectStatus.SUBMITTED:
        return await _decided(w, rect, card_id)
    rect.status = RectStatus.VERIFIED
    rect.verified_at = w.now
    await rect.save(using_db=w.conn, update_fields=["status", "verified_at"])
    if rect.deadline_id is not None:
        await lifecycle.complete(w.services, w.conn, rect.deadline_id, now=w.now, reason="通过")
    await w.audit("rectification.verified", SUBJECT, rect.id)
    closed = await _close(w, card_id, f"已通过（{by.name}）", Tone.GREEN)
    await refresh_unit_card(w, rect)
    await _tell_unit(w, rect, f"整改通知 {number(rect)} 已通过核验，整改完成。")
    return Outcome("已通过，整改完成。", card=closed)


async def reject(w: Work, rect_id: int, by: Member, reason: str, card_id: str | None) -> Outcome:
    """驳回: back to 整改中 with a full new limit under the notice's rule."""
    rect = await _locked(w, rect_id)
    if rect.status != RectStatus.SUBMITTED:
        return await _decided(w, rect, card_id)
    if not reason:
        raise RectificationError("驳回须写明理由。")
    rect.status = RectStatus.ACKNOWLEDGED
    rect.reopened += 1
    rect.overdue = False
    deadline = None
    if rect.deadline_id is not None:
        await lifecycle.resume(w.services, w.conn, rect.deadline_id, now=w.now)
        # The rule is named again: an extension may have replaced it with a fixed due time.
        deadline = await lifecycle.reschedule(
            w.services, w.conn, rect.deadline_id, now=w.now, start_at=w.now, rule=rect.rule_id
        )
        rect.due_at = deadline.due_at
    await rect.save(using_db=w.conn, update_fields=["status", "reopened", "overdue", "due_at"])
    await w.audit(
        "rectification.rejected",
        SUBJECT,
        rect.id,
        {"reason": reason, "due_at": rect.due_at.isoformat()},
    )
    closed = await _close(w, card_id, f"已驳回（{by.name}）：{reason}", Tone.ORANGE)
    await refresh_unit_card(w, rect)
    explanation = deadline.explanation if deadline is not None else ""
    await _tell_unit(
        w, rect, f"整改通知 {number(rect)} 被驳回：{reason}。请重新整改，{explanation}。"
    )
    return Outcome("已驳回，已重新计时。", card=closed)


async def grant_extension(
    w: Work, rect_id: int, by: Member, new_due: str, card_id: str | None
) -> Outcome:
    """同意延期: the typed due time replaces the rule's (a later calendar edit keeps it)."""
    rect = await _locked(w, rect_id)
    if not rect.extension_pending or rect.status not in OPEN:
        return await _decided(w, rect, card_id)
    due_at = parse_due_time(new_due, w.now, w.tz)
    rect.extension_pending = False
    rect.overdue = False
    rect.due_at = due_at
    if rect.deadline_id is not None:
        await lifecycle.reschedule(
            w.services,
            w.conn,
            rect.deadline_id,
            now=w.now,
            due_at=due_at,
            reason=f"主管单位同意延期（{by.name}）",
        )
    await rect.save(using_db=w.conn, update_fields=["extension_pending", "overdue", "due_at"])
    await w.audit(
        "rectification.extension_granted", SUBJECT, rect.id, {"due_at": due_at.isoformat()}
    )
    when = w.when(rect.due_at)
    closed = await _close(w, card_id, f"已同意延期至 {when}（{by.name}）", Tone.GREEN)
    await refresh_unit_card(w, rect)
    await _tell_unit(w, rect, f"整改通知 {number(rect)} 的延期申请已同意，新的截止时间 {when}。")
    return Outcome(f"已同意延期至 {when}。", card=closed)


async def refuse_extension(
    w: Work, rect_id: int, by: Member, reason: str, card_id: str | None
) -> Outcome:
    """不同意 (延期): the old due time stands."""
    rect = await _locked(w, rect_id)
    if not rect.extension_pending:
        return await _decided(w, rect, card_id)
    if not reason:
        raise RectificationError("不同意延期须写明理由。")
    rect.extension_pending = False
    await rect.save(using_db=w.conn, update_fields=["extension_pending"])
    await w.audit("rectification.extension_refused", SUBJECT, rect.id, {"reason": reason})
    closed = await _close(w, card_id, f"不同意延期（{by.name}）：{reason}", Tone.ORANGE)
    await refresh_unit_card(w, rect)
    await _tell_unit(
        w,
        rect,
        f"整改通知 {number(rect)} 的延期申请未获同意：{reason}。"
        f"请按原时限 {w.when(rect.due_at)} 完成。",
    )
    return Outcome("已答复不同意延期。", card=closed)


# ---- the deadline -----------------------------------------------------------------------------


async def go_overdue(w: Work, rect_id: int, *, step: str) -> Outcome:
    """The due time passed with the work not submitted: the notice is 逾期 (a circular in the
    records) until submitted, rejected or extended, and counts as ever overdue for good.

    ``step`` is the deadline step that found it so (named in the audit entry). The reminders
    and the escalation that go with it are the step's (``steps``).
    """
    rect = await lock(w.conn, rect_id)
    if rect is None or rect.overdue or rect.status not in OPEN:
        return Outcome()
    rect.overdue = True
    rect.ever_overdue = True
    await rect.save(using_db=w.conn, update_fields=["overdue", "ever_overdue"])
    await w.audit(
        "rectification.overdue",
        SUBJECT,
        rect.id,
        {"deadline": rect.deadline_id, "step": step, "due_at": rect.due_at.isoformat()},
    )
    await after_overdue(w, rect, await people_of(w.conn, rect))
    return Outcome()


# ---- shared by the transitions ----------------------------------------------------------------


async def refresh_unit_card(w: Work, rect: Rectification) -> Card | None:
    """Re-render the owner unit's card everywhere it was sent (state, remaining time, buttons);
    closed once the notice is verified."""
    if rect.card_id is None or rect.deadline_id is None:
        return None
    deadline = await lifecycle.get(w.conn, rect.deadline_id)
    if deadline is None:
        return None
    people = await people_of(w.conn, rect)
    card = unit_card(rect, deadline, w.now, w.tz, await unit_name(w.conn, rect.owner_unit_id))
    return await w.emit.update_card(
        rect.card_id,
        card,
        close=RectStatus(rect.status) is RectStatus.VERIFIED,
        allowed_person_ids=people.unit_side_ids,
    )


async def _locked(w: Work, rect_id: int) -> Rectification:
    rect = await lock(w.conn, rect_id)
    if rect is None:
        raise RectificationError("这份整改通知不存在。")
    return rect


async def _moved_on(w: Work, rect: Rectification) -> Outcome:
    """A tap on the unit's card in a state that no longer offers it: show the card as it is."""
    card = await refresh_unit_card(w, rect)
    status = RectStatus(rect.status).label
    return Outcome(
        f"整改通知 {number(rect)} 当前状态为“{status}”，此操作已无效。", "info", card=card
    )


async def _decided(w: Work, rect: Rectification, card_id: str | None) -> Outcome:
    """A decision card answered after the notice moved on (another supervisor decided, or the
    unit submitted while its extension request waited): close it showing where things stand."""
    status = RectStatus(rect.status).label
    closed = await _close(w, card_id, f"已处理：{status}", None)
    return Outcome(f"整改通知 {number(rect)} 已处理（当前：{status}）。", "info", card=closed)


async def _close(w: Work, card_id: str | None, status: str, tone: Tone | None) -> Card | None:
    return await w.emit.close_card(card_id, status, tone) if card_id is not None else None


async def _tell_unit(w: Work, rect: Rectification, text: str) -> None:
    """The supervisors' decision, to the unit's group with @ and to each of its people 1:1:
    they got the notice 1:1 and tapped its card there, so that is where they look for the
    answer (a decision told only in the group left their chat silent)."""
    people = await people_of(w.conn, rect)
    mentions = tuple({m.id: m.mention() for m in people.workers}.values())
    if people.chat is not None:
        await w.emit.to_chat(people.chat.id, Message(text=text, mentions=mentions))
    for member_id in dict.fromkeys(m.id for m in people.workers):
        await w.emit.to_person(member_id, Message(text=text))


async def _card_to_supervisors(w: Work, rect: Rectification, kind: str, card: Card) -> None:
    """A decision card (核验, 延期) that any of the verifying supervisors may act on, 1:1."""
    supervisors = (await people_of(w.conn, rect)).supervisors
    stored = await w.emit.new_card(
        card,
        kind=kind,
        allowed_person_ids=[m.id for m in supervisors],
        subject_type=SUBJECT,
        subject_id=rect.id,
    )
    for member in supervisors:
        await w.emit.to_person(member.id, Message(card=stored))
