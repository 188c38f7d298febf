"""整改 (issue a notice), 整改记录 (timeline and statistics), and the taps on notice cards."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.cards.model import Button, ButtonStyle, Card, CardField, FormInput, Tone
from bot.core import forms
from bot.core.context import HandlerContext
from bot.core.directory import Member, load_member, owning_unit
from bot.core.forms import Answers, Choice, FormError, FormSpec, Question, QuestionKind
from bot.core.outgoing import Message
from bot.deadlines import lifecycle
from bot.flows import rectification as flow
from bot.flows import rectification_consequences as consequences
from bot.flows import rectification_quarterly as quarterly
from bot.flows import rectification_records as records
from bot.flows.rectification import NoticeRequest, RectError, number
from bot.flows.rectification_consequences import Quarter
from bot.handlers.registry import router
from storage import audit
from storage.enums import AccountStatus, Role
from storage.models.org import Account, Unit
from storage.models.rectification import (
    RECT_CATEGORY_LABELS,
    RectCategory,
    Rectification,
    RectStatus,
    Severity,
)

SUPERVISORS = frozenset({Role.SUPERVISOR_STAFF})
NO_ACCOUNT = "不涉及具体账号"
SEVERITY_CHOICES = (Choice("一般", "一般"), Choice("严重", "严重"))


# ---- the form ---------------------------------------------------------------------------------


async def _supervised_units(ctx: HandlerContext) -> list[Unit]:
    """Units whose competent authority is the supervisor's unit (all units if none is)."""
    units = await Unit.filter(supervisor_id=ctx.actor.unit.id, active=True).using_db(ctx.conn)
    if not units:
        units = await Unit.filter(active=True, is_internal_office=False).using_db(ctx.conn)
    return sorted(units, key=lambda u: u.id)


async def account_choices(ctx: HandlerContext, answers: Answers) -> Sequence[Choice]:
    # The form's summary shows stored values, so a choice's value is its (unique) label.
    choices = [Choice(label, label) for label in (await _account_labels(ctx)).values()]
    return [*choices, Choice(NO_ACCOUNT, NO_ACCOUNT)]


async def _account_labels(ctx: HandlerContext) -> dict[int, str]:
    """Accounts of the units this supervisor oversees, by id, as the form shows them."""
    unit_ids = [u.id for u in await _supervised_units(ctx)] + [ctx.actor.unit.id]
    accounts = (
        await Account.filter(owner_unit_id__in=unit_ids)
        .exclude(status__in=[AccountStatus.CLOSED, AccountStatus.CANCELLED])
        .using_db(ctx.conn)
        .order_by("owner_unit_id", "id")
    )
    names = {u.id: u.name for u in await Unit.filter(id__in=unit_ids).using_db(ctx.conn)}
    return {
        a.id: f"{a.name}（{a.platform.label}）· {names.get(a.owner_unit_id, '')}" for a in accounts
    }


async def unit_choices(ctx: HandlerContext, answers: Answers) -> Sequence[Choice]:
    return [Choice(u.name, u.name) for u in await _supervised_units(ctx)]


def _needs_unit(answers: Answers) -> bool:
    return answers.get("account") == NO_ACCOUNT


def _category(label: str) -> RectCategory:
    found = {v: k for k, v in RECT_CATEGORY_LABELS.items()}
    return found.get(label, RectCategory.OTHER)


def _severity(label: str) -> Severity:
    return Severity.SERIOUS if label == "严重" else Severity.ORDINARY


async def check_evidence(ctx: HandlerContext, text: str, answers: Answers) -> str:
    if len(text) > 2000:
        raise FormError("证据太长了（最多 2000 字），请给出链接或截图说明。")
    return text


async def check_problem(ctx: HandlerContext, text: str, answers: Answers) -> str:
    if len(text) < 4:
        raise FormError(
            "问题描述太短，请写明哪里有什么问题（如“3月5日推文标题错别字‘临江’写成‘林江’”）。"
        )
    return text


NETIZEN = RECT_CATEGORY_LABELS[RectCategory.NETIZEN_REPORT]


def _is_netizen_report(answers: Answers) -> bool:
    return answers.get("category") == NETIZEN


async def check_received(ctx: HandlerContext, text: str, answers: Answers) -> str:
    try:
        when = flow.parse_received_time(text, ctx.now, ctx.services.tz)
    except RectError as exc:
        raise FormError(str(exc)) from None
    return when.astimezone(ctx.services.tz).strftime("%Y-%m-%d %H:%M")


def _received_at(ctx: HandlerContext, answers: Answers) -> datetime | None:
    """The stored answer ("2026-11-23 09:30", the deployment's time), or None: now."""
    text = answers.get("received_at", "")
    if not text:
        return None
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=ctx.services.tz)


async def summary_note(ctx: HandlerContext, answers: Answers, extra: dict[str, Any]) -> str:
    """The deadline this notice will get if issued now, with its citation."""
    tk = ctx.services.timekeeping
    category = _category(answers.get("category", ""))
    severity = _severity(answers.get("severity", ""))
    received = _received_at(ctx, answers)
    due = tk.due(flow.choose_rule(tk.policy, category, severity), received or ctx.now)
    if received is not None:
        return f"时限从收到时间起算，{due.explanation}。"
    return f"现在下发，{due.explanation}。"


async def submit_notice(ctx: HandlerContext, answers: Answers, extra: dict[str, Any]) -> None:
    account_id: int | None = None
    if answers.get("account", NO_ACCOUNT) != NO_ACCOUNT:
        by_label = {v: k for k, v in (await _account_labels(ctx)).items()}
        found = by_label.get(answers["account"])
        account = await Account.filter(id=found).using_db(ctx.conn).first() if found else None
        if account is None:
            ctx.notify_toast("未能下发", "warning")
            await ctx.reply("这个账号已不在台账中，请重新发送“整改”。")
            return
        account_id = account.id
        owner_unit_id = account.owner_unit_id
    else:
        unit = next((u for u in await _supervised_units(ctx) if u.name == answers["unit"]), None)
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
        category=_category(answers["category"]),
        severity=_severity(answers["severity"]),
        received_at=_received_at(ctx, answers),
    )
    try:
        rect = await flow.issue_notice(
            ctx.services,
            ctx.conn,
            ctx.emit,
            now=ctx.now,
            request=request,
            actor=audit.Actor(person_id=ctx.actor.id, label=ctx.actor.name),
            issuer=ctx.actor,
        )
    except RectError as exc:
        ctx.notify_toast("未能下发", "warning")
        await ctx.reply(str(exc))
        return
    people = await flow.people_of(ctx.conn, rect)
    deadline = await lifecycle.get(ctx.conn, rect.deadline_id) if rect.deadline_id else None
    due = deadline.explanation if deadline is not None else ""
    await ctx.reply(
        f"整改通知 {number(rect)} 已下发给{flow._names(people.workers)}。{due}。"
        f"对方接收、整改完成后会通知您核验；发送“整改记录 {number(rect)}”可查看进展。"
    )


SPEC = forms.register(
    FormSpec(
        name="rectification.issue",
        label="整改通知",
        on_complete=submit_notice,
        submit_label="下发",
        summary_note=summary_note,
        questions=(
            Question(
                "account",
                "账号",
                "请选择需要整改的账号",
                kind=QuestionKind.CHOICE,
                choices=account_choices,
            ),
            Question(
                "unit",
                "责任单位",
                "请选择责任单位",
                kind=QuestionKind.CHOICE,
                choices=unit_choices,
                when=_needs_unit,
            ),
            Question(
                "category",
                "问题类别",
                "请选择问题类别",
                kind=QuestionKind.CHOICE,
                choices=tuple(Choice(label, label) for label in RECT_CATEGORY_LABELS.values()),
            ),
            Question(
                "severity",
                "严重程度",
                "问题是一般还是严重？（严重问题时限更短）",
                kind=QuestionKind.CHOICE,
                choices=SEVERITY_CHOICES,
            ),
            Question(
                "received_at",
                "收到时间",
                "网民纠错是什么时候收到的？时限从收到时间起算"
                "（如“11月23日 9:30”“昨天 16:00”；刚收到的不用填）",
                required=False,
                when=_is_netizen_report,
                validate=check_received,
            ),
            Question(
                "problem",
                "问题",
                "请描述问题（哪里、什么问题）",
                kind=QuestionKind.LONG_TEXT,
                validate=check_problem,
            ),
            Question(
                "evidence",
                "证据",
                "请给出证据：页面链接或截图说明",
                required=False,
                kind=QuestionKind.LONG_TEXT,
                validate=check_evidence,
            ),
        ),
    )
)


@router.command(
    "整改",
    "向责任单位下发整改通知（限时整改）",
    roles=SUPERVISORS,
    menu_key="rectification",
    order=40,
)
async def start_notice(ctx: HandlerContext, rest: str) -> None:
    await forms.start(ctx, SPEC, intro="下发整改通知：逐项回答即可，随时回复“取消”放弃。")


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
    the notice's summary with everything filled in; 下发 issues it."""
    return Button(
        label=label,
        action="rect.issue",
        payload={
            "account": str(account_id),
            "category": category.value,
            "severity": severity.value,
            "problem": problem[:1000],
            "evidence": evidence[:500],
        },
    )


async def _issue_from_finding(ctx: HandlerContext) -> None:
    if not ctx.actor.has(Role.SUPERVISOR_STAFF):
        ctx.notify_toast("只有主管单位工作人员可以下发整改通知。", "warning")
        return
    payload = ctx.card_action.payload
    labels = await _account_labels(ctx)
    account = labels.get(int(payload.get("account", "0") or 0))
    if account is None:
        ctx.notify_toast("这个账号不在您主管的范围内，无法下发。", "warning")
        return
    answers = {
        "account": account,
        "category": RectCategory(payload.get("category", "other")).label,
        "severity": Severity(payload.get("severity", "ordinary")).label,
        "problem": payload.get("problem", ""),
        "evidence": payload.get("evidence", ""),
    }
    ctx.notify_toast("请核对后下发", "info")
    await forms.start(ctx, SPEC, answers=answers)


# ---- records ----------------------------------------------------------------------------------


# A management view: the people working on a notice have its card and the group reminders.
RECORD_READERS = frozenset(
    {
        Role.SUPERVISOR_STAFF,
        Role.ADMIN,
        Role.PRINCIPAL,
        Role.DEPUTY_LEADER,
        Role.SECTION_CHIEF,
    }
)


@router.command("整改记录", "查看整改通知的进展、时间线和统计", roles=RECORD_READERS, order=41)
async def show_records(ctx: HandlerContext, rest: str) -> None:
    if rest:
        rect = await flow.find_by_number(ctx.conn, rest)
        if rect is None or not await _may_see(ctx.actor, rect, ctx):
            await ctx.reply(
                f"没有找到整改通知“{rest}”。编号形如 ZG2026-0001，发送“整改记录”可查看列表。"
            )
            return
        await ctx.reply(await records.timeline_text(ctx.services, ctx.conn, rect))
        return
    text = await records.overview_text(ctx.services, ctx.conn, ctx.actor, ctx.now)
    if ctx.actor.has(Role.SUPERVISOR_STAFF, Role.ADMIN):
        flags = await consequences.flags_text(ctx.conn)
        text += f"\n{flags}" if flags else ""
    await ctx.reply(text)


async def _may_see(member: Member, rect: Rectification, ctx: HandlerContext) -> bool:
    if member.has(Role.SUPERVISOR_STAFF, Role.ADMIN):
        return True
    return (await owning_unit(member.unit.id, ctx.conn)).id == rect.owner_unit_id


@router.command(
    "整改季度",
    "季度整改复核：整改函、通报、排名后三位（如“整改季度 2026Q4”，默认上一季度）",
    roles=SUPERVISORS,
    order=42,
)
async def quarter_review(ctx: HandlerContext, rest: str) -> None:
    today = ctx.now.astimezone(ctx.services.tz).date()
    quarter = Quarter.parse(rest) if rest else Quarter.of(today).previous()
    if quarter is None:
        await ctx.reply(f"“{rest}”不是季度，请写成“2026Q4”或“2026年第四季度”。")
        return
    if quarter.start(ctx.services.tz) > ctx.now:
        await ctx.reply(f"{quarter.title}还没有开始。")
        return
    if quarter.end(ctx.services.tz) > ctx.now:
        # Reviewing a quarter before it ends would claim it and leave its last weeks unseen.
        await ctx.reply(
            f"{quarter.title}还没有结束，季度结束后会自动复核并通知监管人员。"
            "要查看目前的进展，请发送“整改记录”。"
        )
        return
    actor = audit.Actor(person_id=ctx.actor.id, label=ctx.actor.name)
    outcome = await quarterly.review_once(
        ctx.services, ctx.conn, ctx.emit, quarter, ctx.now, trigger=quarterly.CHAT, person=actor
    )
    if outcome.ran:
        text = outcome.run.summary
        # The other supervisors learn of it as they would from the scheduled review.
        await quarterly.tell_supervisors(ctx.emit, outcome, skip=ctx.actor.id)
    else:
        who = "—"
        if outcome.run.person_id is not None:
            member = await load_member(outcome.run.person_id, ctx.conn)
            who = member.name if member is not None else who
        text = quarterly.done_before_text(outcome.run, quarter, who, ctx.services)
    # The supervisor gets a copy of every letter issued for the quarter.
    await ctx.emit.to_person(
        ctx.actor.id,
        Message(text=text, files=outcome.files),
        platform=ctx.event.place.platform,
    )


# ---- taps -------------------------------------------------------------------------------------


@router.action("rect")
async def on_tap(ctx: HandlerContext) -> None:
    event = ctx.card_action
    kind = event.action.split(".", 1)[1]
    if kind == "issue":
        await _issue_from_finding(ctx)
        return
    rect = await flow.lock(ctx.conn, int(event.payload.get("id", "0")))
    if rect is None:
        ctx.notify_toast("这份整改通知不存在。", "warning")
        return
    handlers = {
        "ack": _ack,
        "done": _done,
        "extend": _extend,
        "verify": _verify,
        "reject": _reject,
        "grant": _grant,
        "refuse": _refuse,
    }
    handler = handlers.get(kind)
    if handler is None:
        ctx.notify_toast("暂不支持这个操作。", "warning")
        return
    await handler(ctx, rect)


def _form(ctx: HandlerContext, name: str) -> str:
    return (ctx.card_action.form.get(name) or "").strip()


async def _stale(ctx: HandlerContext, rect: Rectification, status: str) -> None:
    ctx.notify_toast(f"整改通知 {number(rect)} 当前状态为“{status}”，此操作已无效。", "info")
    await _refresh(ctx, rect)


async def _refresh(ctx: HandlerContext, rect: Rectification) -> None:
    card = await flow.refresh_unit_card(ctx.services, ctx.conn, ctx.emit, rect, ctx.now)
    if card is not None and ctx.card_record is not None and ctx.card_record.id == rect.card_id:
        ctx.updated_card = card


async def _to_unit(
    ctx: HandlerContext, rect: Rectification, text: str, heads: bool = False
) -> None:
    people = await flow.people_of(ctx.conn, rect)
    targets = people.workers + (people.heads if heads else [])
    mentions = tuple({m.id: m.mention() for m in targets}.values())
    if people.chat is not None:
        await ctx.emit.to_chat(people.chat.id, Message(text=text, mentions=mentions))
    else:
        for member in targets:
            await ctx.emit.to_person(member.id, Message(text=text))


async def _to_supervisors(ctx: HandlerContext, rect: Rectification, message: Message) -> None:
    for member in (await flow.people_of(ctx.conn, rect)).supervisors:
        await ctx.emit.to_person(member.id, message)


async def _ack(ctx: HandlerContext, rect: Rectification) -> None:
    if rect.status != RectStatus.ISSUED:
        await _stale(ctx, rect, RectStatus(rect.status).label)
        return
    rect.status = RectStatus.ACKNOWLEDGED
    rect.acknowledged_at = ctx.now
    await rect.save(using_db=ctx.conn, update_fields=["status", "acknowledged_at"])
    await ctx.audit("rectification.acknowledged", flow.SUBJECT, rect.id)
    await _refresh(ctx, rect)
    ctx.notify_toast("已接收，请在时限内完成整改。", "success")
    await _to_supervisors(
        ctx, rect, Message(text=f"整改通知 {number(rect)} 已由{ctx.actor.name}接收。")
    )


async def _done(ctx: HandlerContext, rect: Rectification) -> None:
    if rect.status != RectStatus.ACKNOWLEDGED:
        await _stale(ctx, rect, RectStatus(rect.status).label)
        return
    note = _form(ctx, "note")
    if not note:
        ctx.notify_toast("请填写整改情况说明后再点“已整改”。", "warning")
        return
    rect.status = RectStatus.SUBMITTED
    rect.submitted_at = ctx.now
    rect.completion_note = note
    rect.completion_evidence = _form(ctx, "evidence")
    # Done before the supervisor answered an extension request: the request is moot.
    rect.extension_pending = False
    await rect.save(
        using_db=ctx.conn,
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
        await lifecycle.pause(ctx.services, ctx.conn, rect.deadline_id, now=ctx.now)
    await ctx.audit(
        "rectification.submitted",
        flow.SUBJECT,
        rect.id,
        {"note": note, "evidence": rect.completion_evidence, "late": rect.overdue},
    )
    await _refresh(ctx, rect)
    ctx.notify_toast("已提交，等待主管单位核验。", "success")
    people = await flow.people_of(ctx.conn, rect)
    fields = [
        CardField(label="责任单位", value=await flow.unit_name(ctx.conn, rect.owner_unit_id)),
        CardField(label="问题", value=rect.problem),
        CardField(label="整改说明", value=note),
    ]
    if rect.account_label:
        fields.insert(1, CardField(label="账号", value=rect.account_label))
    if rect.completion_evidence:
        fields.append(CardField(label="整改证据", value=rect.completion_evidence))
    fields.append(CardField(label="提交人", value=ctx.actor.name))
    if rect.overdue:
        fields.append(CardField(label="说明", value="逾期后完成"))
    payload = {"id": str(rect.id)}
    await _card_to_supervisors(
        ctx,
        rect,
        people.supervisors,
        "rectification.review",
        Card(
            title=f"整改核验 {number(rect)}",
            tone=Tone.BLUE,
            body="责任单位已整改，请核验：通过，或写明理由驳回（驳回后按原规则重新计时）。",
            fields=tuple(fields),
            inputs=(FormInput(name="reason", label="驳回理由"),),
            buttons=(
                Button(
                    label="通过", action="rect.verify", payload=payload, style=ButtonStyle.PRIMARY
                ),
                Button(
                    label="驳回",
                    action="rect.reject",
                    payload=payload,
                    style=ButtonStyle.DANGER,
                    needs=("reason",),
                ),
            ),
        ),
    )


async def _verify(ctx: HandlerContext, rect: Rectification) -> None:
    if rect.status != RectStatus.SUBMITTED:
        await _decided(ctx, rect)
        return
    rect.status = RectStatus.VERIFIED
    rect.verified_at = ctx.now
    await rect.save(using_db=ctx.conn, update_fields=["status", "verified_at"])
    if rect.deadline_id is not None:
        await lifecycle.complete(
            ctx.services, ctx.conn, rect.deadline_id, now=ctx.now, reason="通过"
        )
    await ctx.audit("rectification.verified", flow.SUBJECT, rect.id)
    await ctx.close_tapped(f"已通过（{ctx.actor.name}）", Tone.GREEN)
    await flow.refresh_unit_card(ctx.services, ctx.conn, ctx.emit, rect, ctx.now)
    ctx.notify_toast("已通过，整改完成。", "success")
    await _to_unit(ctx, rect, f"整改通知 {number(rect)} 已通过核验，整改完成。")


async def _reject(ctx: HandlerContext, rect: Rectification) -> None:
    if rect.status != RectStatus.SUBMITTED:
        await _decided(ctx, rect)
        return
    reason = _form(ctx, "reason")
    if not reason:
        ctx.notify_toast("驳回须写明理由。", "warning")
        return
    rect.status = RectStatus.ACKNOWLEDGED
    rect.reopened += 1
    rect.overdue = False
    deadline = None
    if rect.deadline_id is not None:
        await lifecycle.resume(ctx.services, ctx.conn, rect.deadline_id, now=ctx.now)
        # The rule is named again: an extension may have replaced it with a fixed due time.
        deadline = await lifecycle.reschedule(
            ctx.services,
            ctx.conn,
            rect.deadline_id,
            now=ctx.now,
            start_at=ctx.now,
            rule=rect.rule_id,
        )
        rect.due_at = deadline.due_at
    await rect.save(using_db=ctx.conn, update_fields=["status", "reopened", "overdue", "due_at"])
    await ctx.audit(
        "rectification.rejected",
        flow.SUBJECT,
        rect.id,
        {"reason": reason, "due_at": rect.due_at.isoformat()},
    )
    await ctx.close_tapped(f"已驳回（{ctx.actor.name}）：{reason}", Tone.ORANGE)
    await flow.refresh_unit_card(ctx.services, ctx.conn, ctx.emit, rect, ctx.now)
    ctx.notify_toast("已驳回，已重新计时。", "success")
    explanation = deadline.explanation if deadline is not None else ""
    await _to_unit(
        ctx,
        rect,
        f"整改通知 {number(rect)} 被驳回：{reason}。请重新整改，{explanation}。",
    )


async def _decided(ctx: HandlerContext, rect: Rectification) -> None:
    ctx.notify_toast(
        f"整改通知 {number(rect)} 已处理（当前：{RectStatus(rect.status).label}）。", "info"
    )
    await ctx.close_tapped(f"已处理：{RectStatus(rect.status).label}", None)


async def _extend(ctx: HandlerContext, rect: Rectification) -> None:
    if rect.status not in (RectStatus.ISSUED, RectStatus.ACKNOWLEDGED):
        await _stale(ctx, rect, RectStatus(rect.status).label)
        return
    if rect.extension_pending:
        ctx.notify_toast("已申请延期，请等待主管单位答复。", "info")
        return
    reason = _form(ctx, "reason")
    if not reason:
        ctx.notify_toast("申请延期须写明理由。", "warning")
        return
    rect.extension_pending = True
    rect.extension_reason = reason
    await rect.save(using_db=ctx.conn, update_fields=["extension_pending", "extension_reason"])
    await ctx.audit("rectification.extension_requested", flow.SUBJECT, rect.id, {"reason": reason})
    await _refresh(ctx, rect)
    ctx.notify_toast("已提交延期申请，等待主管单位答复；在答复前请继续整改。", "success")
    people = await flow.people_of(ctx.conn, rect)
    payload = {"id": str(rect.id)}
    await _card_to_supervisors(
        ctx,
        rect,
        people.supervisors,
        "rectification.extension",
        Card(
            title=f"延期申请 {number(rect)}",
            tone=Tone.ORANGE,
            body="责任单位申请延期。同意请填写新的截止时间（如“明天 17:00”）；不同意请写明理由。",
            fields=(
                CardField(
                    label="责任单位", value=await flow.unit_name(ctx.conn, rect.owner_unit_id)
                ),
                CardField(label="问题", value=rect.problem),
                CardField(label="当前截止", value=_local(ctx, rect)),
                CardField(label="申请人", value=ctx.actor.name),
                CardField(label="理由", value=reason),
            ),
            inputs=(
                FormInput(name="new_due", label="新的截止时间"),
                FormInput(name="reason", label="不同意的理由"),
            ),
            buttons=(
                Button(
                    label="同意延期",
                    action="rect.grant",
                    payload=payload,
                    style=ButtonStyle.PRIMARY,
                    needs=("new_due",),
                ),
                Button(label="不同意", action="rect.refuse", payload=payload, needs=("reason",)),
            ),
        ),
    )


async def _card_to_supervisors(
    ctx: HandlerContext, rect: Rectification, supervisors: Sequence[Member], kind: str, card: Card
) -> None:
    """A decision card (核验, 延期) that any of the verifying supervisors may act on, 1:1."""
    stored = await ctx.emit.new_card(
        card,
        kind=kind,
        allowed_person_ids=[m.id for m in supervisors],
        subject_type=flow.SUBJECT,
        subject_id=rect.id,
    )
    for member in supervisors:
        await ctx.emit.to_person(member.id, Message(card=stored))


def _local(ctx: HandlerContext, rect: Rectification) -> str:
    from bot.timekeeping.explain import format_time

    return format_time(rect.due_at, ctx.services.tz, reference=ctx.now)


async def _grant(ctx: HandlerContext, rect: Rectification) -> None:
    if not rect.extension_pending or rect.status not in (
        RectStatus.ISSUED,
        RectStatus.ACKNOWLEDGED,
    ):
        await _decided(ctx, rect)
        return
    try:
        new_due = flow.parse_due_time(_form(ctx, "new_due"), ctx.now, ctx.services.tz)
    except RectError as exc:
        ctx.notify_toast(str(exc), "warning")
        return
    rect.extension_pending = False
    rect.overdue = False
    rect.due_at = new_due
    if rect.deadline_id is not None:
        await lifecycle.reschedule(
            ctx.services,
            ctx.conn,
            rect.deadline_id,
            now=ctx.now,
            due_at=new_due,
            reason=f"主管单位同意延期（{ctx.actor.name}）",
        )
    await rect.save(using_db=ctx.conn, update_fields=["extension_pending", "overdue", "due_at"])
    await ctx.audit(
        "rectification.extension_granted", flow.SUBJECT, rect.id, {"due_at": new_due.isoformat()}
    )
    when = _local(ctx, rect)
    await ctx.close_tapped(f"已同意延期至 {when}（{ctx.actor.name}）", Tone.GREEN)
    await flow.refresh_unit_card(ctx.services, ctx.conn, ctx.emit, rect, ctx.now)
    ctx.notify_toast(f"已同意延期至 {when}。", "success")
    await _to_unit(ctx, rect, f"整改通知 {number(rect)} 的延期申请已同意，新的截止时间 {when}。")


async def _refuse(ctx: HandlerContext, rect: Rectification) -> None:
    if not rect.extension_pending:
        await _decided(ctx, rect)
        return
    reason = _form(ctx, "reason")
    if not reason:
        ctx.notify_toast("不同意延期须写明理由。", "warning")
        return
    rect.extension_pending = False
    await rect.save(using_db=ctx.conn, update_fields=["extension_pending"])
    await ctx.audit("rectification.extension_refused", flow.SUBJECT, rect.id, {"reason": reason})
    await ctx.close_tapped(f"不同意延期（{ctx.actor.name}）：{reason}", Tone.ORANGE)
    await flow.refresh_unit_card(ctx.services, ctx.conn, ctx.emit, rect, ctx.now)
    ctx.notify_toast("已答复不同意延期。", "success")
    await _to_unit(
        ctx,
        rect,
        f"整改通知 {number(rect)} 的延期申请未获同意：{reason}。"
        f"请按原时限 {_local(ctx, rect)} 完成。",
    )
