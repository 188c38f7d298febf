"""Rectification notices (整改通知): issue, deliver, count down, acknowledge, complete, verify.

``issue_notice`` is the one entry point every source uses (a supervisor's form, the HTTP
endpoint of monitoring systems, and later an alert or a patrol finding with one tap). The
countdown runs on the deadline engine (handler ``rectification``), so reminders and the
overdue escalation survive restarts and fire once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient

from bot.cards.model import (
    Button,
    ButtonStyle,
    Card,
    CardField,
    FormInput,
    InputKind,
    Mention,
    Tone,
)
from bot.core.directory import Member, members_with_role, nearest_with_role, unit_chat
from bot.core.emit import Emitter
from bot.core.outgoing import Message
from bot.core.services import Services
from bot.deadlines import lifecycle, present
from bot.deadlines.registry import StepContext, step_handler
from bot.policy.model import Policy
from storage import audit
from storage.enums import ChatPurpose, Role
from storage.models.deadlines import Deadline
from storage.models.org import Account, Chat, Unit
from storage.models.rectification import (
    RectCategory,
    Rectification,
    RectNumberCounter,
    RectStatus,
    Severity,
)

HANDLER = "rectification"
SUBJECT = "rectification"

# Roles of the owner unit who receive and work on a notice (the account's day-to-day people).
WORKER_ROLES = (Role.SECTION_CHIEF, Role.CLERK, Role.EDITOR, Role.DUTY_OFFICER)

# Category → the preset rule that governs it, when the preset's own document states one.
CATEGORY_RULES = {
    RectCategory.NETIZEN_REPORT: "error_report.reply",
    RectCategory.MESSAGE_UNANSWERED: "message.reply",
}

STEP_LABELS = {
    "half": "时限过半提醒",
    "late": "临近截止提醒",
    "due": "已到期",
    "overdue": "逾期催办",
}


class RectError(ValueError):
    """A notice that cannot be issued; the message (Chinese) says why."""


def number(rect: Rectification) -> str:
    """ZG2026-0001: the year of issue and the notice's place in that year."""
    if rect.year is None or rect.seq is None:
        return f"ZG{rect.id:04d}"  # issued before numbering by year
    return f"ZG{rect.year}-{rect.seq:04d}"


async def find_by_number(conn: BaseDBAsyncClient, text: str) -> Rectification | None:
    """The notice a person means by "ZG2026-0001" (also "2026-1"; legacy "ZG0001")."""
    cleaned = text.strip().upper().replace(" ", "").replace("－", "-").replace("—", "-")
    match = re.fullmatch(r"(?:ZG)?(\d{4})-0*(\d+)", cleaned)
    if match is not None:
        return (
            await Rectification.filter(year=int(match.group(1)), seq=int(match.group(2)))
            .using_db(conn)
            .first()
        )
    match = re.fullmatch(r"(?:ZG)?0*(\d+)", cleaned)
    if match is None:
        return None
    return (
        await Rectification.filter(id=int(match.group(1)), seq__isnull=True).using_db(conn).first()
    )


async def next_number(conn: BaseDBAsyncClient, year: int) -> int:
    """The next sequence number of ``year``, in the caller's transaction.

    The counter row is locked until the transaction ends, so two notices issued at once get
    consecutive numbers; a rolled-back notice gives its number back.
    """
    await RectNumberCounter.bulk_create(
        [RectNumberCounter(year=year, last_seq=0)], ignore_conflicts=True, using_db=conn
    )
    counter = await RectNumberCounter.filter(year=year).using_db(conn).select_for_update().get()
    counter.last_seq += 1
    await counter.save(using_db=conn, update_fields=["last_seq"])
    return counter.last_seq


def choose_rule(policy: Policy, category: RectCategory, severity: Severity) -> str:
    """The rule of the preset for this notice.

    A category with its own rule (beibei's netizen error reports, jiaxian's public messages)
    uses it only where the preset's own document states it; elsewhere the general
    rectification limit by severity applies (the deployment's configured one by default).
    """
    special = CATEGORY_RULES.get(category)
    rule = policy.deadlines.get(special) if special is not None else None
    if special is not None and rule is not None and not rule.citation.silent:
        return special
    return f"rectification.{severity.value}"


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


FORWARD_RULE = "error_report.forward"


@dataclass(frozen=True)
class People:
    workers: list[Member]
    heads: list[Member]
    supervisors: list[Member]
    chat: Chat | None

    @property
    def unit_side_ids(self) -> list[int]:
        return sorted({m.id for m in self.workers + self.heads})


async def people_of(conn: BaseDBAsyncClient, rect: Rectification) -> People:
    """Who works on the notice, who heads the unit, who supervises, and the unit's group."""
    units: list[int] = []
    if rect.account_id is not None:
        account = await Account.filter(id=rect.account_id).using_db(conn).first()
        if account is not None and account.operator_unit_id is not None:
            units.append(account.operator_unit_id)
    if not units:
        units.append(rect.owner_unit_id)
        offices = await Unit.filter(
            parent_id=rect.owner_unit_id, is_internal_office=True, active=True
        ).using_db(conn)
        units.extend(u.id for u in offices)
    workers: list[Member] = []
    for unit_id in units:
        for role in WORKER_ROLES:
            for member in await members_with_role(unit_id, role, conn):
                if member.id not in {w.id for w in workers}:
                    workers.append(member)
    heads = await nearest_with_role(rect.owner_unit_id, Role.PRINCIPAL, conn)
    if not workers:
        # Nobody below the leadership: the deputy leader in charge receives it.
        workers = await nearest_with_role(rect.owner_unit_id, Role.DEPUTY_LEADER, conn) or heads
    supervisors = await members_with_role(rect.supervisor_unit_id, Role.SUPERVISOR_STAFF, conn)
    if rect.issued_by_id is not None:
        supervisors.sort(key=lambda m: m.id != rect.issued_by_id)
    chat = await unit_chat(rect.owner_unit_id, ChatPurpose.DUTY, conn) or await unit_chat(
        rect.owner_unit_id, ChatPurpose.REVIEW, conn
    )
    return People(workers=workers, heads=heads, supervisors=supervisors, chat=chat)


async def account_label(conn: BaseDBAsyncClient, account_id: int | None) -> str:
    if account_id is None:
        return ""
    account = await Account.filter(id=account_id).using_db(conn).first()
    if account is None:
        return ""
    return f"{account.name}（{account.platform.label}）"


async def unit_name(conn: BaseDBAsyncClient, unit_id: int) -> str:
    unit = await Unit.filter(id=unit_id).using_db(conn).first()
    return unit.name if unit is not None else ""


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
    """Create a notice, start its countdown and deliver it; all in the caller's transaction."""
    owner = await Unit.filter(id=request.owner_unit_id, active=True).using_db(conn).first()
    if owner is None:
        raise RectError("找不到责任单位，请核对单位名称。")
    if issuer is not None:
        supervisor_unit_id = issuer.unit.id
    elif owner.supervisor_id is not None:
        supervisor_unit_id = owner.supervisor_id
    else:
        raise RectError(f"{owner.name}没有登记主管单位，无法确定由谁核验整改。")
    tk = services.timekeeping
    rule_id = choose_rule(tk.policy, request.category, request.severity)
    start = request.received_at or now
    if start > now:
        raise RectError("收到时间不能晚于现在。")
    label = await account_label(conn, request.account_id)
    rect = Rectification(
        source=request.source,
        external_id=request.external_id,
        issued_by_id=issuer.id if issuer is not None else None,
        supervisor_unit_id=supervisor_unit_id,
        owner_unit_id=owner.id,
        account_id=request.account_id,
        account_label=label,
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
        raise RectError(f"{owner.name}没有可以接收整改通知的人员，请先在组织名单中登记。")
    if not people.supervisors:
        raise RectError("主管单位没有登记工作人员，无人核验整改，请先在组织名单中登记。")
    rect.year = now.astimezone(services.tz).year
    rect.seq = await next_number(conn, rect.year)
    await rect.save(using_db=conn)
    deadline = await lifecycle.start(
        services,
        conn,
        kind="rectification",
        subject_type=SUBJECT,
        subject_id=rect.id,
        handler=HANDLER,
        now=now,
        rule=rule_id,
        start_at=start,
        schedule=tk.policy.schedule("rectification"),
        data={"rectification": rect.id},
    )
    rect.deadline_id = deadline.id
    rect.due_at = deadline.due_at
    card = build_unit_card(rect, deadline, now, services.tz, owner.name)
    stored = await emit.new_card(
        card,
        kind="rectification.unit",
        allowed_person_ids=people.unit_side_ids,
        subject_type=SUBJECT,
        subject_id=rect.id,
    )
    rect.card_id = stored.card_id
    await rect.save(using_db=conn, update_fields=["deadline_id", "due_at", "card_id"])
    for worker in people.workers:
        await emit.to_person(worker.id, Message(card=stored))
    if people.chat is not None:
        await emit.to_chat(
            people.chat.id,
            Message(
                text=f"收到整改通知 {number(rect)}，请{_names(people.workers)}及时接收并整改。",
                card=stored,
                mentions=tuple(m.mention() for m in people.workers),
            ),
        )
    await audit.record(
        conn,
        actor=actor,
        action="rectification.issued",
        subject_type=SUBJECT,
        subject_id=rect.id,
        at=now,
        detail={
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
            "forward_late": await forward_late(services, rect, start, now),
        },
    )
    return rect


async def forward_late(
    services: Services, rect: Rectification, received_at: datetime, now: datetime
) -> str:
    """beibei: a netizen's error report must be forwarded within its own limit; "" if in time."""
    if rect.rule_id != "error_report.reply" or FORWARD_RULE not in (
        services.timekeeping.policy.deadlines
    ):
        return ""
    due = services.timekeeping.due(FORWARD_RULE, received_at)
    return f"转办已超时（{due.explanation}）" if now > due.due_at else ""


def _names(members: list[Member]) -> str:
    return "、".join(m.name for m in members) or "责任人"


# ---- the owner unit's card --------------------------------------------------------------------


def build_unit_card(
    rect: Rectification, deadline: Deadline, now: datetime, tz: ZoneInfo, owner_name: str
) -> Card:
    """The card the owner unit sees: what, by when, how long is left, what to do next."""
    status = RectStatus(rect.status)
    text = present.describe(deadline, now, tz)
    fields = [
        CardField(label="编号", value=number(rect)),
        CardField(label="责任单位", value=owner_name),
    ]
    if rect.account_label:
        fields.append(CardField(label="账号", value=rect.account_label))
    fields += [
        CardField(label="问题类别", value=RectCategory(rect.category).label),
        CardField(label="严重程度", value=Severity(rect.severity).label),
        CardField(label="问题", value=rect.problem),
    ]
    if rect.evidence:
        fields.append(CardField(label="证据", value=rect.evidence))
    # The body carries the explanation with its citation; the field is the bare due time.
    due = f"截止 {present.due_text(deadline, tz)}" + ("（暂定）" if deadline.provisional else "")
    fields.append(CardField(label="时限", value=due))
    if status is not RectStatus.VERIFIED:
        remaining = "已提交，计时暂停" if status is RectStatus.SUBMITTED else text.remaining
        fields.append(CardField(label="剩余时间", value=remaining))
    if rect.reopened:
        fields.append(CardField(label="驳回次数", value=str(rect.reopened)))
    inputs: list[FormInput] = []
    buttons: list[Button] = []
    payload = {"id": str(rect.id)}
    if status is RectStatus.ISSUED:
        buttons.append(
            Button(label="已接收", action="rect.ack", payload=payload, style=ButtonStyle.PRIMARY)
        )
    elif status is RectStatus.ACKNOWLEDGED:
        inputs += [
            FormInput(name="note", label="整改情况说明", kind=InputKind.TEXTAREA, required=True),
            FormInput(name="evidence", label="整改证据（链接或截图说明）"),
        ]
        buttons.append(
            Button(
                label="已整改",
                action="rect.done",
                payload=payload,
                style=ButtonStyle.PRIMARY,
                needs=("note",),
            )
        )
    if status in (RectStatus.ISSUED, RectStatus.ACKNOWLEDGED) and not rect.extension_pending:
        inputs.append(FormInput(name="reason", label="延期理由（申请延期时填写）"))
        buttons.append(
            Button(label="申请延期", action="rect.extend", payload=payload, needs=("reason",))
        )
    state = status.label
    if rect.overdue and status is not RectStatus.VERIFIED:
        state = f"逾期，{state}"
    if rect.extension_pending:
        state += "（延期申请待主管单位答复）"
    tone = Tone.BLUE
    if status is RectStatus.VERIFIED:
        tone = Tone.GREEN
    elif rect.overdue:
        tone = Tone.RED
    elif rect.severity == Severity.SERIOUS:
        tone = Tone.ORANGE
    return Card(
        title=f"整改通知 {number(rect)}",
        subtitle=f"{Severity(rect.severity).label}问题",
        tone=tone,
        body=deadline.explanation,
        fields=tuple(fields),
        inputs=tuple(inputs),
        buttons=tuple(buttons),
        status=state,
    )


async def refresh_unit_card(
    services: Services, conn: BaseDBAsyncClient, emit: Emitter, rect: Rectification, now: datetime
) -> Card | None:
    """Re-render the owner unit's card everywhere it was sent (remaining time, buttons)."""
    if rect.card_id is None or rect.deadline_id is None:
        return None
    deadline = await lifecycle.get(conn, rect.deadline_id)
    if deadline is None:
        return None
    people = await people_of(conn, rect)
    card = build_unit_card(
        rect, deadline, now, services.tz, await unit_name(conn, rect.owner_unit_id)
    )
    return await emit.update_card(
        rect.card_id,
        card,
        close=RectStatus(rect.status) is RectStatus.VERIFIED,
        allowed_person_ids=people.unit_side_ids,
    )


async def lock(conn: BaseDBAsyncClient, rect_id: int) -> Rectification | None:
    """The notice, locked for this transaction (two taps at once record one decision)."""
    return await Rectification.filter(id=rect_id).using_db(conn).select_for_update().first()


# ---- the countdown ----------------------------------------------------------------------------


@step_handler(HANDLER)
async def on_step(ctx: StepContext) -> None:
    """Reminders at the preset's thresholds; at due the notice becomes 逾期 and escalates."""
    rect = await lock(ctx.conn, int(ctx.data["rectification"]))
    if rect is None or RectStatus(rect.status) in (RectStatus.SUBMITTED, RectStatus.VERIFIED):
        return
    if ctx.name not in ("due", "overdue") and ctx.now >= ctx.deadline.due_at:
        # A reminder before due that fires after it (the system was down, or the demo clock
        # jumped) would say "剩余…" of a deadline already missed: the due step speaks instead.
        return
    people = await people_of(ctx.conn, rect)
    shown = ctx.text()
    head = f"整改通知 {number(rect)}"
    if rect.account_label:
        head += f"（{rect.account_label}）"
    mentions: tuple[Mention, ...] = tuple(m.mention() for m in people.workers)
    if ctx.name in ("due", "overdue"):
        if not rect.overdue:
            rect.overdue = True
            rect.ever_overdue = True
            await rect.save(using_db=ctx.conn, update_fields=["overdue", "ever_overdue"])
            await ctx.audit_step("rectification.overdue", {"due_at": rect.due_at.isoformat()})
            from bot.flows.rectification_consequences import after_overdue

            await after_overdue(ctx.services, ctx.conn, ctx.emit, rect, people, ctx.now)
        mentions += tuple(
            m.mention() for m in people.heads if m.id not in {w.id for w in people.workers}
        )
        label = "已逾期" if ctx.name == "due" else f"逾期催办（第{ctx.repeat + 1}次）"
        text = (
            f"【{label}】{head}未在时限内完成整改：{shown.due_line}，{shown.remaining}。"
            f"请{_names(people.heads)}督促尽快整改。"
        )
        if ctx.name == "due" or ctx.repeat == 0:
            for supervisor in people.supervisors:
                await ctx.emit.to_person(
                    supervisor.id,
                    Message(
                        text=f"【整改逾期】{head}，责任单位"
                        f"{await unit_name(ctx.conn, rect.owner_unit_id)}，"
                        f"{shown.due_line}，{shown.remaining}。"
                    ),
                )
    else:
        label = STEP_LABELS.get(ctx.name, "整改提醒")
        state = "尚未接收" if rect.status == RectStatus.ISSUED else "正在整改"
        text = f"【{label}】{head}{state}，{shown.due_line}，{shown.remaining}。"
    if people.chat is not None:
        await ctx.emit.to_chat(people.chat.id, Message(text=text, mentions=mentions))
    else:
        for member_id in {m.person_id for m in mentions}:
            await ctx.emit.to_person(member_id, Message(text=text))
    await refresh_unit_card(ctx.services, ctx.conn, ctx.emit, rect, ctx.now)
    await ctx.audit_step(
        "rectification.reminded",
        {"step": ctx.name, "repeat": ctx.repeat},
        subject_type=SUBJECT,
        subject_id=rect.id,
    )


# ---- parsing a new due time (extensions) ------------------------------------------------------

_DUE_PATTERNS = (
    re.compile(
        r"^(?:(?P<y>\d{4})[-/.年])?(?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?"
        r"(?:\s*(?P<hh>\d{1,2})[:：点时](?P<mm>\d{2})?分?)?$"
    ),
    re.compile(r"^(?P<rel>今天|明天|后天)?\s*(?P<hh>\d{1,2})[:：点时](?P<mm>\d{2})?分?$"),
)


def parse_due_time(text: str, now: datetime, tz: ZoneInfo) -> datetime:
    """``2026-11-23 17:00``, ``11月23日17:00``, ``明天 17:00``, ``17:30`` (today),
    ``11月23日`` (18:00 that day)."""
    text = text.strip()
    local = now.astimezone(tz)
    for pattern in _DUE_PATTERNS:
        match = pattern.match(text)
        if match is None:
            continue
        groups: dict[str, Any] = match.groupdict()
        hour = int(groups["hh"]) if groups.get("hh") else 18
        minute = int(groups["mm"]) if groups.get("mm") else 0
        try:
            if "rel" in groups:
                offset = {"今天": 0, "明天": 1, "后天": 2}.get(groups["rel"] or "今天", 0)
                day = local.date() + timedelta(days=offset)
                when = datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)
            else:
                year = int(groups["y"]) if groups.get("y") else local.year
                when = datetime(year, int(groups["m"]), int(groups["d"]), hour, minute, tzinfo=tz)
        except ValueError:
            break
        if when <= now:
            raise RectError("新的截止时间必须晚于现在。")
        return when
    raise RectError(
        "截止时间格式不正确，请写成“2026-11-23 17:00”或“11月23日 17:00”或“明天 17:00”。"
    )


_RECEIVED_PATTERNS = (
    re.compile(
        r"^(?:(?P<y>\d{4})[-/.年])?(?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?"
        r"\s*(?P<hh>\d{1,2})[:：点时](?P<mm>\d{2})?分?$"
    ),
    re.compile(r"^(?P<rel>今天|昨天|前天|明天)?\s*(?P<hh>\d{1,2})[:：点时](?P<mm>\d{2})?分?$"),
)
RECEIVED_MAX_AGE = timedelta(days=30)


def parse_received_time(text: str, now: datetime, tz: ZoneInfo) -> datetime:
    """When a problem (a netizen's report) reached the supervisor: ``11月23日 9:30``,
    ``2026-11-23 09:30``, ``昨天 16:00``, ``9:30`` (today). Not in the future, not a month old."""
    local = now.astimezone(tz)
    for pattern in _RECEIVED_PATTERNS:
        match = pattern.match(text.strip())
        if match is None:
            continue
        groups: dict[str, Any] = match.groupdict()
        hour, minute = int(groups["hh"]), int(groups["mm"] or 0)
        try:
            if "rel" in groups:
                back = {"昨天": 1, "前天": 2, "明天": -1}.get(groups["rel"] or "今天", 0)
                day = local.date() - timedelta(days=back)
                when = datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)
            else:
                year = int(groups["y"]) if groups.get("y") else local.year
                when = datetime(year, int(groups["m"]), int(groups["d"]), hour, minute, tzinfo=tz)
        except ValueError:
            break
        if when > now:
            raise RectError("收到时间不能晚于现在，请核对后重新输入。")
        if when < now - RECEIVED_MAX_AGE:
            raise RectError("收到时间早于 30 天前，请核对；确实如此的请如实写明在问题描述中。")
        return when
    raise RectError("收到时间格式不正确，请写成“11月23日 9:30”“昨天 16:00”或“9:30”（今天）。")
