"""What people read about notices: 整改记录 (one notice's timeline from the audit log, or the
latest notices with counts per unit and account, and the consequence flags)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from tortoise.backends.base.client import BaseDBAsyncClient

from bot.core.context import HandlerContext
from bot.core.directory import Member, owning_unit
from bot.core.work import Work
from bot.deadlines import lifecycle, present
from bot.flows.rectification.model import FLAG_LABELS, SUBJECT, find_by_number, number, unit_name
from bot.timekeeping.explain import format_time
from storage.enums import Role
from storage.models.machinery import AuditEntry
from storage.models.org import Unit
from storage.models.rectification import (
    RectCategory,
    RectFlag,
    Rectification,
    RectStatus,
    Severity,
)

# The audit verbs of a notice as the timeline names them. Rows keep the verb they were written
# with; every verb so far was already ``rectification.<past participle>``.
EVENT_LABELS = {
    "rectification.issued": "下发",
    "rectification.acknowledged": "已接收",
    "rectification.reminded": "提醒",
    "rectification.overdue": "逾期",
    "rectification.submitted": "已整改，提交核验",
    "rectification.rejected": "驳回",
    "rectification.verified": "核验通过",
    "rectification.extension_requested": "申请延期",
    "rectification.extension_granted": "同意延期",
    "rectification.extension_refused": "不同意延期",
}

STEP_LABELS = {"half": "时限过半", "late": "临近截止", "due": "到期", "overdue": "逾期催办"}


async def show(ctx: HandlerContext, rest: str) -> None:
    """整改记录 [编号]: one notice's timeline, or the overview (with the flags for supervisors)."""
    if rest:
        rect = await find_by_number(ctx.conn, rest)
        if rect is None or not await may_see(ctx.conn, ctx.actor, rect):
            await ctx.reply(
                f"没有找到整改通知“{rest}”。编号形如 ZG2026-0001，发送“整改记录”可查看列表。"
            )
            return
        await ctx.reply(await timeline_text(ctx, rect))
        return
    text = await overview_text(ctx, ctx.actor)
    if ctx.actor.has(Role.SUPERVISOR_STAFF, Role.ADMIN):
        flags = await flags_text(ctx.conn)
        text += f"\n{flags}" if flags else ""
    await ctx.reply(text)


async def may_see(conn: BaseDBAsyncClient, member: Member, rect: Rectification) -> bool:
    """Supervisors and admins see every notice; the owner unit's people see its own."""
    if member.has(Role.SUPERVISOR_STAFF, Role.ADMIN):
        return True
    return (await owning_unit(member.unit.id, conn)).id == rect.owner_unit_id


async def timeline_text(w: Work, rect: Rectification) -> str:
    """Every event of one notice, oldest first, with who did it and when."""
    conn, tz = w.conn, w.tz
    lines = [
        f"整改通知 {number(rect)}（{Severity(rect.severity).label}·"
        f"{RectCategory(rect.category).label}）",
        f"责任单位：{await unit_name(conn, rect.owner_unit_id)}"
        + (f"；账号：{rect.account_label}" if rect.account_label else ""),
        f"问题：{rect.problem}",
    ]
    state = RectStatus(rect.status).label
    if rect.ever_overdue:
        state += "（曾逾期）" if not rect.overdue else "（逾期）"
    lines.append(f"状态：{state}")
    if rect.deadline_id is not None:
        deadline = await lifecycle.get(conn, rect.deadline_id)
        if deadline is not None:
            text = present.describe(deadline, w.now, tz)
            lines.append(f"时限：{text.due_line}，{text.remaining}")
    lines.append("时间线：")
    entries = (
        await AuditEntry.filter(subject_type=SUBJECT, subject_id=str(rect.id))
        .using_db(conn)
        .order_by("seq")
    )
    # The due step both marks the notice overdue and reminds: one moment, told once (as 逾期).
    overdue_at = {e.at for e in entries if e.action == "rectification.overdue"}
    for entry in entries:
        label = EVENT_LABELS.get(entry.action, entry.action)
        detail = entry.detail or {}
        if entry.action == "rectification.reminded":
            if detail.get("step") == "due" and entry.at in overdue_at:
                continue
            label = f"提醒（{STEP_LABELS.get(str(detail.get('step')), detail.get('step'))}）"
        extra = ""
        for key in ("reason", "note"):
            if detail.get(key):
                extra = f"：{detail[key]}"
        if entry.action == "rectification.submitted" and detail.get("evidence"):
            extra += f"；证据：{detail['evidence']}"
        if entry.action == "rectification.issued" and detail.get("evidence_files"):
            extra += "：附截图 " + "、".join(str(f["name"]) for f in detail["evidence_files"])
        if entry.action in ("rectification.extension_granted", "rectification.rejected"):
            due = datetime.fromisoformat(str(detail["due_at"]))
            extra += f"，新截止 {format_time(due, tz, reference=entry.at)}"
        when = format_time(entry.at, tz, reference=rect.issued_at)
        lines.append(f"· {when} {entry.actor_label} {label}{extra}")
    return "\n".join(lines)


@dataclass
class Counts:
    issued: int = 0
    on_time: int = 0
    overdue: int = 0
    reopened: int = 0
    open: int = 0

    def text(self) -> str:
        return (
            f"下发 {self.issued}，按时完成 {self.on_time}，逾期 {self.overdue}，"
            f"驳回重办 {self.reopened}，未办结 {self.open}"
        )


class Countable(Protocol):
    """What ``count`` reads of a notice: a ``Rectification``, or the columns of one (the
    periodic reports read 100,000 notices as plain rows, not models)."""

    @property
    def status(self) -> str: ...

    @property
    def ever_overdue(self) -> bool: ...

    @property
    def reopened(self) -> int: ...


def count(rects: Iterable[Countable]) -> Counts:
    """下发 / 按时完成 / 逾期 / 驳回重办 / 未办结, as 整改记录 and the reports show them."""
    counts = Counts()
    for rect in rects:
        counts.issued += 1
        if rect.ever_overdue:
            counts.overdue += 1
        elif rect.status == RectStatus.VERIFIED:
            counts.on_time += 1
        if rect.reopened:
            counts.reopened += 1
        if rect.status != RectStatus.VERIFIED:
            counts.open += 1
    return counts


async def visible_notices(conn: BaseDBAsyncClient, member: Member) -> list[Rectification]:
    if member.has(Role.SUPERVISOR_STAFF, Role.ADMIN):
        query = Rectification.all()
        if not member.has(Role.ADMIN):
            query = query.filter(supervisor_unit_id=member.unit.id)
    else:
        unit = await owning_unit(member.unit.id, conn)
        query = Rectification.filter(owner_unit_id=unit.id)
    return list(await query.using_db(conn).order_by("-id"))


async def overview_text(w: Work, member: Member) -> str:
    """The latest notices the member may see, and counts per unit and per account."""
    conn = w.conn
    rects = await visible_notices(conn, member)
    if not rects:
        return "暂无整改通知。主管单位工作人员发送“整改”可下发整改通知。"
    lines = ["整改通知（最近 10 条）："]
    for rect in rects[:10]:
        state = RectStatus(rect.status).label
        if rect.overdue and rect.status != RectStatus.VERIFIED:
            state = "逾期·" + state
        target = rect.account_label or await unit_name(conn, rect.owner_unit_id)
        lines.append(f"· {number(rect)} {target} {state}，截止 {w.when(rect.due_at)}")
    by_unit: dict[int, list[Rectification]] = defaultdict(list)
    by_account: dict[str, list[Rectification]] = defaultdict(list)
    for rect in rects:
        by_unit[rect.owner_unit_id].append(rect)
        if rect.account_label:
            by_account[rect.account_label].append(rect)
    names = {u.id: u.name for u in await Unit.filter(id__in=list(by_unit)).using_db(conn)}
    lines.append("按单位统计：")
    for unit_id, items in sorted(by_unit.items(), key=lambda kv: -len(kv[1])):
        lines.append(f"· {names.get(unit_id, unit_id)}：{count(items).text()}")
    if by_account:
        lines.append("按账号统计：")
        for label, items in sorted(by_account.items(), key=lambda kv: -len(kv[1])):
            lines.append(f"· {label}：{count(items).text()}")
    lines.append("发送“整改记录 编号”查看某条通知的完整时间线。")
    return "\n".join(lines)


async def flags_text(conn: BaseDBAsyncClient, limit: int = 20) -> str:
    """The latest consequence flags (建议关停, 整改函, 通报, 排名后三位); "" when none."""
    rows = await RectFlag.all().using_db(conn).order_by("-id").limit(limit)
    if not rows:
        return ""
    lines = ["标记："]
    for row in rows:
        name = await unit_name(conn, row.unit_id)
        lines.append(f"· {row.period} {name} {FLAG_LABELS.get(row.kind, row.kind)}：{row.reason}")
    return "\n".join(lines)
