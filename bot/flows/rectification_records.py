"""What happened to notices: a timeline (from the audit log), counts per unit and account."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from bot.core.directory import Member, owning_unit
from bot.core.services import Services
from bot.deadlines import lifecycle, present
from bot.flows.rectification import SUBJECT, number, unit_name
from bot.timekeeping.explain import format_time
from storage.enums import Role
from storage.models.machinery import AuditEntry
from storage.models.org import Unit
from storage.models.rectification import RectCategory, Rectification, RectStatus, Severity

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


async def timeline_text(services: Services, conn: BaseDBAsyncClient, rect: Rectification) -> str:
    """Every event of one notice, oldest first, with who did it and when."""
    tz = services.tz
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
            text = present.describe(deadline, services.clock.now(), tz)
            lines.append(f"时限：{text.due_line}，{text.remaining}")
    lines.append("时间线：")
    entries = (
        await AuditEntry.filter(subject_type=SUBJECT, subject_id=str(rect.id))
        .using_db(conn)
        .order_by("seq")
    )
    for entry in entries:
        label = EVENT_LABELS.get(entry.action, entry.action)
        detail = entry.detail or {}
        if entry.action == "rectification.reminded":
            label = f"提醒（{STEP_LABELS.get(str(detail.get('step')), detail.get('step'))}）"
        extra = ""
        for key in ("reason", "note"):
            if detail.get(key):
                extra = f"：{detail[key]}"
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


def count(rects: list[Rectification]) -> Counts:
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


async def overview_text(
    services: Services, conn: BaseDBAsyncClient, member: Member, now: datetime
) -> str:
    rects = await visible_notices(conn, member)
    if not rects:
        return "暂无整改通知。主管单位工作人员发送“整改”可下发整改通知。"
    tz = services.tz
    lines = ["整改通知（最近 10 条）："]
    for rect in rects[:10]:
        state = RectStatus(rect.status).label
        if rect.overdue and rect.status != RectStatus.VERIFIED:
            state = "逾期·" + state
        target = rect.account_label or await unit_name(conn, rect.owner_unit_id)
        due = format_time(rect.due_at, tz, reference=now)
        lines.append(f"· {number(rect)} {target} {state}，截止 {due}")
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
