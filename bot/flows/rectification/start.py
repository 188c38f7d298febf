"""How a notice comes to be: ``issue_notice``, the one entry point of every source.

Sources: a supervisor's 整改 form (``open_form`` → ``submit_notice``), monitoring systems
(``POST /api/rectifications``, ``bot.web.rectifications``), and any card that offers
``finding_button`` (duty alerts, patrol findings): one tap opens the form's summary with
everything filled in, for the supervisor to check and issue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from bot.cards.model import Button
from bot.core import forms as form_engine
from bot.core.context import HandlerContext
from bot.core.directory import Member
from bot.core.emit import Emitter
from bot.core.forms import Answers, FormSpec
from bot.core.outgoing import FileRef, Message
from bot.core.services import Services
from bot.core.work import Outcome, Work
from bot.deadlines import lifecycle
from bot.flows.rectification import forms
from bot.flows.rectification.cards import unit_card
from bot.flows.rectification.model import (
    ACTIONS,
    FORWARD_RULE,
    SUBJECT,
    UNIT_CARD,
    RectificationError,
    account_label,
    choose_rule,
    next_number,
    number,
)
from bot.flows.rectification.people import names, people_of
from bot.flows.rectification.steps import start_countdown
from storage import audit
from storage.enums import Role
from storage.models.machinery import StoredFile
from storage.models.org import Account, Unit
from storage.models.rectification import RectCategory, Rectification, Severity


@dataclass(frozen=True)
class NoticeRequest:
    """What a notice says, from whichever source."""

    owner_unit_id: int
    account_id: int | None
    problem: str
    evidence: str
    category: RectCategory
    severity: Severity
    source: str = "chat"
    external_id: str | None = None
    # When the problem reached the supervisor (a netizen's error report): the limit counts
    # from then, not from when the notice is issued. None: now.
    received_at: datetime | None = None
    # Screenshots and files sent at the form's 截图 step: delivered with the notice.
    files: tuple[FileRef, ...] = ()


# ---- issuing ----------------------------------------------------------------------------------


async def issue_notice(
    services: Services,
    conn: BaseDBAsyncClient,
    emit: Emitter,
    *,
    now: datetime,
    request: NoticeRequest,
    actor: audit.Actor,
    issuer: Member | None = None,
) -> Rectification:
    """Create a notice, start its countdown and deliver it; all in the caller's transaction.

    Raises ``RectificationError`` before writing anything when nobody could receive or verify
    it. Callers outside a person's event (the HTTP endpoint) pass their transaction and
    emitter, and ``actor`` as the audit log names the source; ``issuer`` is the supervisor
    who issued it in the chat (their unit verifies it).
    """
    w = Work(services=services, conn=conn, now=now, emit=emit, by=actor)
    owner = await Unit.filter(id=request.owner_unit_id, active=True).using_db(conn).first()
    if owner is None:
        raise RectificationError("找不到责任单位，请核对单位名称。")
    if issuer is not None:
        supervisor_unit_id = issuer.unit.id
    elif owner.supervisor_id is not None:
        supervisor_unit_id = owner.supervisor_id
    else:
        raise RectificationError(f"{owner.name}没有登记主管单位，无法确定由谁核验整改。")
    rule_id = choose_rule(w.policy, request.category, request.severity)
    start = request.received_at or now
    if start > now:
        raise RectificationError("收到时间不能晚于现在。")
    rect = Rectification(
        source=request.source,
        external_id=request.external_id,
        issued_by_id=issuer.id if issuer is not None else None,
        supervisor_unit_id=supervisor_unit_id,
        owner_unit_id=owner.id,
        account_id=request.account_id,
        account_label=await account_label(conn, request.account_id),
        problem=request.problem,
        evidence=request.evidence,
        category=request.category,
        severity=request.severity,
        rule_id=rule_id,
        issued_at=now,
        due_at=now,
    )
    # Check who will receive and verify it before anything is written.
    people = await people_of(conn, rect)
    if not people.workers:
        raise RectificationError(f"{owner.name}没有可以接收整改通知的人员，请先在组织名单中登记。")
    if not people.supervisors:
        raise RectificationError("主管单位没有登记工作人员，无人核验整改，请先在组织名单中登记。")
    rect.year = now.astimezone(w.tz).year
    rect.seq = await next_number(conn, rect.year)
    await rect.save(using_db=conn)
    deadline = await start_countdown(w, rect, start)
    rect.deadline_id = deadline.id
    rect.due_at = deadline.due_at
    stored = await emit.new_card(
        unit_card(rect, deadline, now, w.tz, owner.name),
        kind=UNIT_CARD,
        allowed_person_ids=people.unit_side_ids,
        subject_type=SUBJECT,
        subject_id=rect.id,
    )
    rect.card_id = stored.card_id
    await rect.save(using_db=conn, update_fields=["deadline_id", "due_at", "card_id"])
    for worker in people.workers:
        await emit.to_person(worker.id, Message(card=stored, files=request.files))
    if request.files:
        # The form's files now belong to the notice (they were the form's while it was filled).
        await (
            StoredFile.filter(
                id__in=[f.file_id for f in request.files], subject_type__in=("form", "upload")
            )
            .using_db(conn)
            .update(subject_type=SUBJECT, subject_id=str(rect.id))
        )
    if people.chat is not None:
        await emit.to_chat(
            people.chat.id,
            Message(
                text=f"收到整改通知 {number(rect)}，请{names(people.workers)}及时接收并整改。",
                card=stored,
                mentions=tuple(m.mention() for m in people.workers),
            ),
        )
    await w.audit(
        "rectification.issued",
        SUBJECT,
        rect.id,
        {
            "source": request.source,
            "owner_unit": owner.id,
            "account": request.account_id,
            "category": request.category.value,
            "severity": request.severity.value,
            "rule": rule_id,
            "due_at": deadline.due_at.isoformat(),
            "explanation": deadline.explanation,
            "recipients": [m.id for m in people.workers],
            "received_at": start.isoformat(),
            "forward_late": _forward_late(w, rect, start),
            "evidence_files": [{"file_id": f.file_id, "name": f.name} for f in request.files],
        },
    )
    return rect


def _forward_late(w: Work, rect: Rectification, received_at: datetime) -> str:
    """beibei: a netizen's error report must be forwarded within its own limit; "" if in time."""
    if rect.rule_id != "error_report.reply" or FORWARD_RULE not in w.policy.deadlines:
        return ""
    due = w.services.timekeeping.due(FORWARD_RULE, received_at)
    return f"转办已超时（{due.explanation}）" if w.now > due.due_at else ""


# ---- the 整改 form ----------------------------------------------------------------------------


async def open_form(ctx: HandlerContext, rest: str) -> None:
    """整改: the supervisor fills in the notice, question by question (one card on Feishu)."""
    await form_engine.start(ctx, SPEC, intro="下发整改通知：逐项回答即可，随时回复“取消”放弃。")


async def submit_notice(ctx: HandlerContext, answers: Answers, extra: dict[str, Any]) -> None:
    """下发 on the form's summary: the answers become a notice (or the reason why not)."""
    account_id: int | None = None
    if answers.get("account", forms.NO_ACCOUNT) != forms.NO_ACCOUNT:
        by_value = {c.value: a for a, c in (await forms.account_choices_by_id(ctx)).items()}
        found = by_value.get(answers["account"])
        account = await Account.filter(id=found).using_db(ctx.conn).first() if found else None
        if account is None:
            ctx.notify_toast("未能下发", "warning")
            await ctx.reply("这个账号已不在台账中，请重新发送“整改”。")
            return
        account_id = account.id
        owner_unit_id = account.owner_unit_id
    else:
        units = await forms.supervised_units(ctx)
        unit = next((u for u in units if u.name == answers["unit"]), None)
        if unit is None:
            ctx.notify_toast("未能下发", "warning")
            await ctx.reply("这个单位已不在名单中，请重新发送“整改”。")
            return
        owner_unit_id = unit.id
    request = NoticeRequest(
        owner_unit_id=owner_unit_id,
        account_id=account_id,
        problem=answers["problem"],
        evidence=answers.get("evidence", ""),
        category=forms.category_of(answers["category"]),
        severity=forms.severity_of(answers["severity"]),
        received_at=forms.received_at(ctx, answers),
        files=tuple(form_engine.attachments(answers.get("evidence_files", ""))),
    )
    try:
        rect = await issue_notice(
            ctx.services,
            ctx.conn,
            ctx.emit,
            now=ctx.now,
            request=request,
            actor=ctx.by,
            issuer=ctx.actor,
        )
    except RectificationError as exc:
        ctx.notify_toast("未能下发", "warning")
        await ctx.reply(str(exc))
        return
    people = await people_of(ctx.conn, rect)
    deadline = await lifecycle.get(ctx.conn, rect.deadline_id) if rect.deadline_id else None
    due = deadline.explanation if deadline is not None else ""
    await _settle_summary(ctx, rect, due)
    await ctx.reply(
        f"整改通知 {number(rect)} 已下发给{names(people.workers)}。{due}。"
        f"对方接收、整改完成后会通知您核验；发送“整改记录 {number(rect)}”可查看进展。"
    )


async def _settle_summary(ctx: HandlerContext, rect: Rectification, due: str) -> None:
    """The summary card showed the due time as of when it was shown; the limit counts from the
    tap on 下发 (or the received time), so the card that stays in the chat shows the real one."""
    summary = ctx.updated_card
    if ctx.card_record is None or summary is None or not due:
        return
    body = f"已下发，{due}。"
    ctx.updated_card = await ctx.emit.update_card(
        ctx.card_record.id,
        summary.model_copy(update={"body": body, "status": f"已下发 {number(rect)}"}),
        close=True,
    )


SPEC = form_engine.register(
    FormSpec(
        name=forms.FORM_NAME,
        label=forms.FORM_LABEL,
        on_complete=submit_notice,
        submit_label="下发",
        summary_note=forms.summary_note,
        questions=forms.QUESTIONS,
    )
)


# ---- the seam for alerts and patrol findings -------------------------------------------------


def finding_button(
    *,
    account_id: int,
    problem: str,
    evidence: str = "",
    category: RectCategory = RectCategory.OTHER,
    severity: Severity = Severity.ORDINARY,
    label: str = "下发整改",
) -> Button:
    """A button for any card (an alert, a patrol finding): one tap by supervisor staff opens
    the notice's summary with everything filled in; 下发 issues it (``issue_from_finding``)."""
    return Button(
        label=label,
        action=f"{ACTIONS}.issue",
        payload={
            "account": str(account_id),
            "category": category.value,
            "severity": severity.value,
            "problem": problem[:1000],
            "evidence": evidence[:500],
        },
    )


async def issue_from_finding(
    ctx: HandlerContext,
    *,
    account_id: int,
    category: RectCategory,
    severity: Severity,
    problem: str,
    evidence: str,
) -> Outcome:
    """The tap on a ``finding_button``: the 整改 form at its summary, to check and issue.

    It takes the person's context, not any ``Work``: it opens a form, which is a conversation.
    """
    if not ctx.actor.has(Role.SUPERVISOR_STAFF):
        raise RectificationError("只有主管单位工作人员可以下发整改通知。")
    account = (await forms.account_choices_by_id(ctx)).get(account_id)
    if account is None:
        raise RectificationError("这个账号不在您主管的范围内，无法下发。")
    answers = {
        "account": account.value,
        "category": category.label,
        "severity": severity.label,
        "problem": problem,
        "evidence": evidence,
        "evidence_files": "",  # a finding brings no files: straight to the summary
    }
    await form_engine.start(ctx, SPEC, answers=answers)
    return Outcome("请核对后下发", "info")
