"""Every change of a filing's state, one function each (the diagram is in ``__init__``).

Each takes the unit of work first, locks what it changes, refuses (``FilingError``) before it
writes anything, and writes the state, its audit entry and its outbox rows in the one
transaction. It does not know whether a tap, a command, a form or a timer called it; the
callers turn the ``Outcome`` into a toast or a reply.
"""

from __future__ import annotations

from datetime import date

from bot.cards.model import Card, Tone
from bot.core.directory import Member, members_with_role, owning_unit, unit_chat
from bot.core.outgoing import Message
from bot.core.work import Outcome, Work
from bot.deadlines import lifecycle
from bot.deadlines.registry import StepContext
from bot.flows.filing import accounts, cards, countdowns, document, people
from bot.flows.filing.model import (
    ACCOUNT_STATES,
    APPROVAL_CARD,
    DATED_KINDS,
    DECIDED,
    INFO_CARD,
    OPEN_STATES,
    REPORT_RULE,
    RESULT_CARD,
    RETURNED_CARD,
    SUBJECT,
    SUSPEND,
    WITHDRAW_WORD,
    Draft,
    Filed,
    FilingError,
    Stage,
    day_text,
    display_answers,
    lock,
    registry_values,
    title_of,
    what_takes_effect,
)
from bot.flows.filing.people import Level
from storage.enums import FILING_DECISION_LABELS, AccountStatus, CardStatus, Decision, Role
from storage.models.filing import AccountHistory, Filing, FilingKind, FilingStatus
from storage.models.machinery import CardRecord
from storage.models.org import Account, Person, Unit

# How the approval cards of a level look once someone decided.
DECIDED_TONES = {
    Decision.APPROVE: Tone.GREEN,
    Decision.RETURN: Tone.ORANGE,
    Decision.REJECT: Tone.RED,
}


# ---- submitting -----------------------------------------------------------------------------


async def submit(w: Work, clerk: Member, draft: Draft) -> Filed:
    """(new) → 审批中: the filing goes to the first level of its unit's chain."""
    assert draft.kind != FilingKind.EMERGENCY, "a 紧急关停 is reported: report_emergency"
    unit = await owning_unit(clerk.unit.id, w.conn)
    filing = await _create(w, clerk, unit, draft)
    if draft.kind in REPORT_RULE and draft.effective_on is not None:
        await countdowns.start_report(w, filing)
    return await _route(w, filing)


async def resubmit(w: Work, filing_id: int, draft: Draft) -> Filed:
    """已退回 → 审批中: the corrected filing starts the chain again, in a new round."""
    filing = await lock(w.conn, filing_id)
    if filing is None or filing.status != FilingStatus.RETURNED:
        raise FilingError("这份备案已经不在“已退回”状态，无需重新提交。", kind="info")
    moved = filing.effective_on != draft.effective_on
    filing.answers = draft.values
    filing.effective_on = draft.effective_on
    filing.round += 1
    filing.step = 0
    filing.status = FilingStatus.PENDING
    filing.submitted_at = w.now
    filing.updated_at = w.now
    await filing.save(using_db=w.conn)
    await w.audit("filing.resubmitted", SUBJECT, filing.id, {"round": filing.round})
    await countdowns.restart_report(w, filing, moved=moved)
    return await _route(w, filing)


async def report_emergency(w: Work, clerk: Member, draft: Draft) -> Filed:
    """(new) → 已报备: a 紧急关停 takes effect at once (the account is 已关停), supersedes the
    account's filings still being decided, and is reported to the unit head and the supervisor."""
    unit = await owning_unit(clerk.unit.id, w.conn)
    filing = await _create(w, clerk, unit, draft)
    filing.status = FilingStatus.REPORTED
    filing.decided_at = w.now
    filing.updated_at = w.now
    await filing.save(using_db=w.conn)
    superseded = await supersede(w, filing, clerk)
    dropped = await _drop_scheduled(w, filing, clerk)
    await accounts.apply(w, filing)
    await w.audit("filing.reported", SUBJECT, filing.id, {})
    told = [m for level in await people.chain(w.conn, unit) for m in level.approvers]
    told += await people.informed(w.conn, w.policy)
    card = cards.emergency_report(filing, unit_name=unit.name, clerk_name=clerk.name)
    stored = await w.emit.new_card(
        card, kind=INFO_CARD, allowed_person_ids=[], subject_type=SUBJECT, subject_id=filing.id
    )
    for member in {m.id: m for m in told}.values():
        await w.emit.to_person(member.id, Message(card=stored))
    ref = await document.store(w, filing)
    voided = "".join(f"\n{title_of(f)}同时作废，已告知相关审批人。" for f in superseded)
    voided += "".join(f"\n{title_of(f)}原定日期到来时不再生效。" for f in dropped)
    return Filed(
        f"已报备{title_of(filing)}，已告知单位主要负责人和主管单位。台账已更新为“已关停”。"
        "恢复时请发送“备案 恢复上线”。" + voided,
        document=ref,
    )


async def _create(w: Work, clerk: Member, unit: Unit, draft: Draft) -> Filing:
    filing = await Filing.create(
        using_db=w.conn,
        kind=draft.kind,
        unit_id=unit.id,
        clerk_id=clerk.id,
        account_id=draft.account_id,
        answers=draft.values,
        effective_on=draft.effective_on,
        submitted_at=w.now,
        created_at=w.now,
        updated_at=w.now,
    )
    await w.audit(
        "filing.submitted", SUBJECT, filing.id, {"kind": draft.kind.value, "answers": draft.values}
    )
    return filing


async def _route(w: Work, filing: Filing) -> Filed:
    """Ask the first level; tell the clerk who decides, the report time left, how to undo."""
    levels = await people.chain_of(w.conn, filing)
    await _ask(w, filing, levels)
    first = levels[0]
    names = "、".join(m.name for m in first.approvers)
    text = f"已提交{title_of(filing)}，等待{first.short}（{names}）审批。"
    report = await countdowns.report_line(w, filing)
    undo = f"\n终审前如需撤回，请发送“{WITHDRAW_WORD} {filing.id}”。"
    return Filed(text + (f"\n{report}" if report else "") + undo)


async def _registry_before(w: Work, filing: Filing, unit: Unit) -> dict[str, str] | None:
    """A 变更's account as the registry has it now (it changes only on the final approval), as
    people read it: the approval card shows each changed item as old → new."""
    if filing.kind != FilingKind.CHANGE or filing.account_id is None:
        return None
    account = await Account.filter(id=filing.account_id).using_db(w.conn).first()
    if account is None:
        return None
    return display_answers(registry_values(account, unit))


async def _ask(w: Work, filing: Filing, levels: list[Level]) -> None:
    """The approval card of the level now waiting, to each approver and to the level's group."""
    level = levels[filing.step]
    unit = await Unit.filter(id=filing.unit_id).using_db(w.conn).get()
    clerk = await Person.filter(id=filing.clerk_id).using_db(w.conn).get()
    card = cards.approval(
        filing,
        unit_name=unit.name,
        clerk_name=clerk.name,
        level_title=level.title,
        approvers=level.approvers,
        before=await _registry_before(w, filing, unit),
    )
    stored = await w.emit.new_card(
        card,
        kind=APPROVAL_CARD,
        allowed_person_ids=[m.id for m in level.approvers],
        subject_type=SUBJECT,
        subject_id=filing.id,
    )
    for member in level.approvers:
        await w.emit.to_person(member.id, Message(card=stored))
    chat = await unit_chat(level.unit.id, level.chat_purpose, w.conn)
    if chat is not None:
        # The same card in the group, with the approvers @-mentioned (a WeCom robot shows it as
        # text; the 1:1 copies stay tappable there). Closing it closes it everywhere.
        await w.emit.to_chat(
            chat.id,
            Message(
                text=f"{title_of(filing)}待{level.short}审批。",
                card=stored,
                mentions=tuple(m.mention() for m in level.approvers),
            ),
        )
    filing.card_ids = [stored.card_id]
    await filing.save(using_db=w.conn, update_fields=["card_ids"])


# ---- deciding -------------------------------------------------------------------------------


async def approve(w: Work, stage: Stage, by: Member, remark: str = "") -> Outcome:
    """同意: 审批中 at the next level (the supervisor), or 已同意 after the last level."""
    filing, levels = await _decide(w, stage, by, Decision.APPROVE, remark)
    if filing.step + 1 < len(levels):
        filing.step += 1
        await filing.save(using_db=w.conn)
        await countdowns.reached_supervisor(w, filing)
        await _ask(w, filing, levels)
        nxt = levels[filing.step]
        await _tell_clerk(
            w,
            filing,
            f"{title_of(filing)}：{by.name}已同意，已报送{nxt.unit.name}"
            f"（{'、'.join(m.name for m in nxt.approvers)}）审批。",
        )
    else:
        await _approved(w, filing)
    return Outcome(_done(Decision.APPROVE))


async def send_back(w: Work, stage: Stage, by: Member, reason: str) -> Outcome:
    """退回: 审批中 → 已退回; the clerk gets a card that reopens the form, pre-filled.

    The report countdown keeps running: the effective date has not moved.
    """
    filing, _ = await _decide(w, stage, by, Decision.RETURN, reason)
    filing.decided_at = w.now
    filing.status = FilingStatus.RETURNED
    await filing.save(using_db=w.conn)
    card = cards.returned(filing, by_name=by.name, reason=reason)
    stored = await w.emit.new_card(
        card,
        kind=RETURNED_CARD,
        allowed_person_ids=[filing.clerk_id],
        subject_type=SUBJECT,
        subject_id=filing.id,
    )
    await w.emit.to_person(filing.clerk_id, Message(card=stored))
    return Outcome(_done(Decision.RETURN))


async def reject(w: Work, stage: Stage, by: Member, reason: str) -> Outcome:
    """不同意: 审批中 → 不同意; the filing ends and its report countdown with it."""
    filing, _ = await _decide(w, stage, by, Decision.REJECT, reason)
    filing.decided_at = w.now
    filing.status = FilingStatus.REJECTED
    await filing.save(using_db=w.conn)
    await countdowns.close_report(w, filing, FILING_DECISION_LABELS[Decision.REJECT])
    await _tell_clerk(w, filing, f"{title_of(filing)}：{by.name}不同意。理由：{reason}")
    return Outcome(_done(Decision.REJECT))


def _done(decision: Decision) -> str:
    return f"已{FILING_DECISION_LABELS[decision]}"


async def _decide(
    w: Work, stage: Stage, by: Member, decision: Decision, reason: str
) -> tuple[Filing, list[Level]]:
    """Record the level's opinion and close its cards; the first tap decides, a later one (or
    one on an old round's card) is refused. The caller saves the filing."""
    filing = await lock(w.conn, stage.filing_id)
    if (
        filing is None
        or filing.status != FilingStatus.PENDING
        or filing.step != stage.step
        or filing.round != stage.round
    ):
        raise FilingError("这份备案已经处理过了。", kind="info")
    if decision.needs_reason and not reason:
        raise FilingError(f"{FILING_DECISION_LABELS[decision]}须填写理由。")
    levels = await people.chain_of(w.conn, filing)
    level = levels[filing.step]
    filing.opinions = [
        *(filing.opinions or []),
        {
            "step": filing.step,
            "round": filing.round,
            "level": level.title,
            "person_id": by.id,
            "name": by.name,
            "decision": decision.value,
            "reason": reason,
            "at": w.now.isoformat(),
        },
    ]
    filing.updated_at = w.now
    status = f"{by.name}{_done(decision)}" + (f"：{reason}" if reason else "")
    for card_id in filing.card_ids or []:
        await w.emit.close_card(card_id, status, DECIDED_TONES[decision])
    filing.card_ids = []
    await w.audit(
        DECIDED[decision],
        SUBJECT,
        filing.id,
        {"step": filing.step, "round": filing.round, "reason": reason},
    )
    return filing, levels


async def _approved(w: Work, filing: Filing) -> None:
    """The last level agreed: the registry changes (now, or on the date the filing names), the
    countdowns start, the 备案表 is made."""
    filing.status = FilingStatus.APPROVED
    filing.decided_at = w.now
    await filing.save(using_db=w.conn)
    later = _dated_later(w, filing)
    if later:
        account = await Account.filter(id=filing.account_id).using_db(w.conn).first()
        if account is not None:
            await countdowns.schedule_effect(w, filing, account)
    else:
        account = await accounts.apply(w, filing)
    await countdowns.after_approval(w, filing, account)
    ref = await document.store(w, filing)
    text = f"{title_of(filing)}已审批同意。"
    if account is None:
        text += "台账中已没有这个账号。"
    elif later:
        assert filing.effective_on is not None
        day = day_text(filing.effective_on, w.now.astimezone(w.tz).date())
        text += (
            f"{account.label}将于{day}起{what_takes_effect(filing)}，届时台账自动更新，"
            f"并通知您和单位主要负责人；在此之前台账状态仍为“{AccountStatus(account.status).label}”。"
        )
    else:
        text += f"台账已更新（状态：{AccountStatus(account.status).label}）。"
    text += "备案表已生成，可打印签章。"
    extra = await countdowns.after_approval_line(w, account)
    golive = account.id if filing.kind == FilingKind.OPEN and account is not None else None
    card = cards.approved(filing, text + (f"\n{extra}" if extra else ""), golive_account=golive)
    stored = await w.emit.new_card(
        card,
        kind=RESULT_CARD,
        allowed_person_ids=[filing.clerk_id],
        subject_type=SUBJECT,
        subject_id=filing.id,
    )
    await w.emit.to_person(filing.clerk_id, Message(card=stored))
    await document.send(w, filing.clerk_id, ref, "备案表（可打印签章）：")
    for member in await people.informed(w.conn, w.policy):
        await document.send(w, member.id, ref, f"知会：{title_of(filing)}已审批同意。")


def _dated_later(w: Work, filing: Filing) -> bool:
    """Does the filing name a day still to come? Approved on or after it, it applies at once."""
    if FilingKind(filing.kind) not in DATED_KINDS or filing.effective_on is None:
        return False
    return filing.effective_on > w.now.astimezone(w.tz).date()


async def take_effect(w: StepContext) -> None:
    """The date an approved filing names has come: the registry changes now, and the clerk and
    the unit's 主要负责人 are told. An account a 紧急关停 (or anything else) has since moved to a
    status the filing does not apply to is left alone, and the clerk is told why."""
    filing = await lock(w.conn, int(w.data["filing"]))
    if filing is None or filing.status != FilingStatus.APPROVED:
        return
    kind = FilingKind(filing.kind)
    account = await Account.filter(id=filing.account_id).using_db(w.conn).first()
    if account is None or account.status not in ACCOUNT_STATES[kind]:
        now_status = AccountStatus(account.status).label if account is not None else "已删除"
        await _tell_clerk(
            w,
            filing,
            f"{title_of(filing)}原定今天生效，但账号现为“{now_status}”，本备案未再改动台账。"
            "如仍需办理，请发送“台账”查看账号状态后重新备案。",
        )
        await w.audit_step("filing.effect_skipped", {"filing": filing.id, "status": now_status})
        return
    applied = await accounts.apply(w, filing)
    assert applied is not None
    if kind == FilingKind.RESUME:
        await countdowns.back_online(w, applied)
    text = f"{applied.label}{_took_effect(filing, applied)}"
    text += await _next_after_effect(w, filing, applied)
    await _tell_clerk(w, filing, text)
    for head in await members_with_role(filing.unit_id, Role.PRINCIPAL, w.conn):
        if head.id != filing.clerk_id:
            await w.emit.to_person(head.id, Message(text=text))
    await w.audit_step("filing.took_effect", {"filing": filing.id, "account": applied.id})


def _took_effect(filing: Filing, account: Account) -> str:
    """自今天起临时下线（临时下线备案 #3），台账已更新为“临时下线”。"""
    what = what_takes_effect(filing)
    ref = f"（{FilingKind(filing.kind).label}备案 #{filing.id}）"
    if FilingKind(filing.kind) == FilingKind.CHANGE:
        return f"自今天起{what}{ref}，台账已更新。"
    status = AccountStatus(account.status).label
    return f"自今天起{what}{ref}，台账已更新为“{status}”。"


async def _next_after_effect(w: Work, filing: Filing, account: Account) -> str:
    """What to do next once the change is in force (the offline's end, the notice's end)."""
    kind = FilingKind(filing.kind)
    if kind == FilingKind.SUSPEND:
        found = await lifecycle.for_subject(w.conn, countdowns.ACCOUNT, account.id, kind=SUSPEND)
        limit = f"（{found[0].explanation}）" if found else ""
        end = (filing.answers or {}).get("end")
        planned = ""
        if end:
            today = w.now.astimezone(w.tz).date()
            planned = f"计划{day_text(date.fromisoformat(str(end)), today)}恢复上线，"
        return f"{planned}请提前发送“备案 恢复上线”办理恢复上线备案{limit}。"
    if kind == FilingKind.CLOSE:
        notices = await countdowns.closure_notices(w.conn, account.id)
        limit = f"（{notices[0].explanation}）" if notices else ""
        return f"请在首页显著位置保留关停公告，公告期满后方可办理注销{limit}。"
    return ""


async def _tell_clerk(w: Work, filing: Filing, text: str) -> None:
    await w.emit.to_person(filing.clerk_id, Message(text=text))


# ---- ending before the final decision -------------------------------------------------------


async def withdraw(w: Work, filing_id: int, by: Member) -> Outcome:
    """撤回备案: 审批中 / 已退回 → 已撤回, by its clerk only; the approvers are told."""
    # Locked, so a withdrawal and an approver's tap at the same moment cannot both win.
    filing = await lock(w.conn, filing_id)
    unit = await owning_unit(by.unit.id, w.conn)
    if filing is None or filing.unit_id != unit.id:
        raise FilingError(f"没有找到本单位编号为 {filing_id} 的备案。发送“我的备案”可查看编号。")
    if filing.clerk_id != by.id:
        clerk = await Person.filter(id=filing.clerk_id).using_db(w.conn).get()
        raise FilingError(f"{title_of(filing)}由{clerk.name}提交，只有提交人本人可以撤回。")
    status = FilingStatus(filing.status)
    if status not in OPEN_STATES:
        raise FilingError(_too_late(filing, status))
    told = await _end(w, filing, FilingStatus.WITHDRAWN, f"{by.name}已撤回这份备案")
    await w.audit("filing.withdrawn", SUBJECT, filing.id, {"was": status.value})
    for member in told:
        await w.emit.to_person(
            member.id,
            Message(text=f"{title_of(filing)}已由经办人{by.name}撤回，无需再审批。"),
        )
    return Outcome(
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


async def supersede(w: Work, emergency: Filing, by: Member) -> list[Filing]:
    """审批中 / 已退回 → 已作废, for every filing of the account a 紧急关停 closed: approving
    one later would overwrite the closed account in the registry (a 临时下线 setting it 临时下线).
    Part of ``report_emergency``; returns the filings it ended."""
    if emergency.account_id is None:
        return []
    open_ones = (
        await Filing.filter(account_id=emergency.account_id, status__in=list(OPEN_STATES))
        .exclude(id=emergency.id)
        .using_db(w.conn)
        .select_for_update()
        .order_by("id")
    )
    for filing in open_ones:
        was = FilingStatus(filing.status)
        reason = f"账号已紧急关停（备案 #{emergency.id}），本备案作废"
        told = await _end(w, filing, FilingStatus.SUPERSEDED, reason)
        await w.audit(
            "filing.superseded", SUBJECT, filing.id, {"by": emergency.id, "was": was.value}
        )
        text = (
            f"{title_of(filing)}已作废：该账号已由{by.name}报备紧急关停"
            f"（备案 #{emergency.id}），台账为“已关停”。"
        )
        for member in told:
            await w.emit.to_person(member.id, Message(text=f"{text}无需再审批。"))
        if filing.clerk_id != by.id:
            await w.emit.to_person(
                filing.clerk_id,
                Message(text=f"{text}恢复时请发送“备案 恢复上线”，再按需重新办理。"),
            )
    return list(open_ones)


async def _drop_scheduled(w: Work, emergency: Filing, by: Member) -> list[Filing]:
    """Approved filings of the account still waiting for their date do not take effect after a
    紧急关停 (a 临时下线 would set the closed account back to 临时下线); their clerks are told."""
    if emergency.account_id is None:
        return []
    dropped: list[Filing] = []
    for effect in await countdowns.scheduled_effects(w.conn, [emergency.account_id]):
        await lifecycle.cancel(
            w.services, w.conn, effect.id, now=w.now, reason=f"紧急关停（备案 #{emergency.id}）"
        )
        filing = await Filing.filter(id=int(effect.data["filing"])).using_db(w.conn).first()
        if filing is None:
            continue
        dropped.append(filing)
        await w.audit("filing.effect_cancelled", SUBJECT, filing.id, {"by": emergency.id})
        if filing.clerk_id != by.id:
            await _tell_clerk(
                w,
                filing,
                f"{title_of(filing)}不再生效：该账号已由{by.name}报备紧急关停"
                f"（备案 #{emergency.id}），台账为“已关停”。"
                "恢复时请发送“备案 恢复上线”，再按需重新办理。",
            )
    return dropped


async def _end(w: Work, filing: Filing, status: FilingStatus, card_status: str) -> list[Member]:
    """End a filing before its final decision: nothing of it stays tappable (approval cards,
    the returned card's 修改后重新提交), its report countdown stops. Returns whom to tell."""
    told = await people.involved(w.conn, filing)
    records = await CardRecord.filter(
        subject_type=SUBJECT, subject_id=str(filing.id), status=CardStatus.OPEN
    ).using_db(w.conn)
    for record in records:
        if record.kind in (APPROVAL_CARD, RETURNED_CARD):
            await w.emit.close_card(record.id, card_status, Tone.GREY)
    filing.card_ids = []
    await countdowns.close_report(w, filing, status.label)
    filing.status = status
    filing.decided_at = w.now
    filing.updated_at = w.now
    await filing.save(using_db=w.conn)
    return told


# ---- the account after the decision ---------------------------------------------------------


async def go_live(w: Work, account_id: int, by: Member) -> Outcome:
    """已上线: an approved opening's account goes 筹备 → 运行; the go-live countdown ends and
    the opening notice period starts."""
    account = await Account.filter(id=account_id).using_db(w.conn).select_for_update().first()
    if account is None or account.status != AccountStatus.PREPARING:
        raise FilingError("这个账号已经不在筹备状态了。", kind="info")
    account.status = AccountStatus.RUNNING
    account.opened_on = w.now.astimezone(w.tz).date()
    await account.save(using_db=w.conn)
    await accounts.record(w, account, None, AccountStatus.PREPARING, {}, "已上线运行")
    await countdowns.went_live(w, account, by.id)
    card = await _close_golive_cards(w, account)
    await w.emit.to_person(
        by.id, Message(text=f"{account.label}已登记上线。开通公告请在首页显著位置保留。")
    )
    return Outcome("已登记上线", card=card)


async def _close_golive_cards(w: Work, account: Account) -> Card | None:
    """The 已上线 button is on the result card of the account's opening: close it."""
    openings = await Filing.filter(account_id=account.id, kind=FilingKind.OPEN).using_db(w.conn)
    records = await CardRecord.filter(
        kind=RESULT_CARD,
        subject_type=SUBJECT,
        subject_id__in=[str(f.id) for f in openings],
        status=CardStatus.OPEN,
    ).using_db(w.conn)
    closed: Card | None = None
    for record in records:
        closed = await w.emit.close_card(record.id, "已上线")
    return closed


async def end_closure_notice(w: StepContext) -> Outcome:
    """关停公告中 → 已关停 when the closure notice has run (only its countdown ends it); the
    clerk may now file the 注销."""
    clerk = int(w.data["clerk"])
    account = (
        await Account.filter(id=int(w.data["account"])).using_db(w.conn).select_for_update().first()
        if w.data.get("account")
        else None
    )
    if account is not None and account.status == AccountStatus.CLOSING:
        account.status = AccountStatus.CLOSED
        await account.save(using_db=w.conn, update_fields=["status", "updated_at"])
        await AccountHistory.create(
            using_db=w.conn,
            account_id=account.id,
            filing_id=w.data.get("filing"),
            status_before=AccountStatus.CLOSING.value,
            status_after=AccountStatus.CLOSED.value,
            changes={},
            note="关停公告期届满",
            at=w.now,
        )
    name = account.label if account is not None else ""
    await w.emit.to_person(
        clerk,
        Message(
            text=f"{name}关停公告期已届满（{w.deadline.explanation}），台账已更新为“已关停”。"
            "现在可以发送“备案 注销”办理注销备案。"
        ),
    )
    await w.audit_step("filing.notice_ended", {"account": account.id if account else None})
    return Outcome()
