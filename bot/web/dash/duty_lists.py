"""The duty side: who is on duty now, the roster, open alerts and handovers. Supervisors see
every team; duty officers and duty leads see the teams they are rostered in or lead."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from bot.flows.duty.model import alert_number
from bot.web.dash.access import Forbidden
from bot.web.dash.listing import (
    Cell,
    Choice,
    Ctx,
    Filter,
    Listing,
    Paging,
    choice_value,
    countdown,
    duration,
    int_value,
    too_many,
)
from bot.web.dash.unit_lists import person_names
from storage.models.deadlines import Deadline, DeadlineStatus
from storage.models.duty import DutyShift, DutyTeam, ShiftSlot
from storage.models.duty_alerts import Alert, AlertSeverity, AlertSource, AlertStatus
from storage.models.duty_handover import DutyHandover, HandoverStatus
from storage.models.org import Account

ROSTER_DAYS = 7
WEEKDAYS = "一二三四五六日"


async def teams_of_viewer(ctx: Ctx) -> list[DutyTeam]:
    query = DutyTeam.filter(active=True)
    if not ctx.viewer.district:
        query = query.filter(id__in=sorted(ctx.viewer.duty_team_ids))
    return list(await query.order_by("id"))


async def _team_filter(ctx: Ctx, query: Mapping[str, str]) -> tuple[Filter, list[int]]:
    teams = await teams_of_viewer(ctx)
    chosen = int_value(query, "team")
    ids = [t.id for t in teams]
    if chosen is not None and chosen not in ids:
        raise Forbidden("您只能查看自己所在值班组的数据。")
    choices = (Choice("", "全部"), *(Choice(str(t.id), t.name) for t in teams))
    return Filter("team", "值班组", str(chosen or ""), choices), [chosen] if chosen else ids


async def on_duty_now(ctx: Ctx) -> list[dict[str, Any]]:
    """Each visible team's shift now: who holds it, until when."""
    teams = await teams_of_viewer(ctx)
    shifts = {
        s.team_id: s
        for s in await DutyShift.filter(
            team_id__in=[t.id for t in teams], starts_at__lte=ctx.now, ends_at__gt=ctx.now
        )
    }
    names = await person_names(s.person_id for s in shifts.values())
    found = []
    for team in teams:
        shift = shifts.get(team.id)
        found.append(
            {
                "team": team.name,
                "person": names.get(shift.person_id, "") if shift else "",
                "slot": ShiftSlot(shift.slot).label if shift else "",
                "until": ctx.when(shift.ends_at) if shift else "",
            }
        )
    return found


async def roster(ctx: Ctx, query: Mapping[str, str], paging: Paging) -> Listing:
    team_f, team_ids = await _team_filter(ctx, query)
    local = ctx.now.astimezone(ctx.services.tz)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    rows_q = DutyShift.filter(
        team_id__in=team_ids,
        ends_at__gt=start,
        starts_at__lt=start + timedelta(days=ROSTER_DAYS),
    )
    total = await rows_q.count()
    if paging.page == 0:
        too_many(total)
    shifts = await rows_q.order_by("starts_at", "team_id").offset(paging.offset).limit(paging.limit)
    teams = {t.id: t.name for t in await DutyTeam.filter(id__in=team_ids)}
    names = await person_names([s.person_id for s in shifts] + [s.rostered_id for s in shifts])
    rows: list[tuple[Cell, ...]] = []
    for s in shifts:
        now_on = s.starts_at <= ctx.now < s.ends_at
        day = s.duty_date
        swapped = (
            f"（原排：{names.get(s.rostered_id, '')}）" if s.rostered_id != s.person_id else ""
        )
        rows.append(
            (
                Cell(teams.get(s.team_id, "")),
                Cell(
                    f"{day:%m-%d} 周{WEEKDAYS[day.weekday()]}"
                    + (f" {s.holiday_name}" if s.holiday_name else "")
                ),
                Cell(ShiftSlot(s.slot).label),
                Cell(f"{ctx.when(s.starts_at)[5:]} – {ctx.when(s.ends_at)[5:]}"),
                Cell(names.get(s.person_id, "") + swapped, css="ok" if now_on else ""),
                Cell("值班中" if now_on else ("已结束" if s.ends_at <= ctx.now else "")),
            )
        )
    return Listing(
        key="duty",
        title="值班表",
        columns=("值班组", "日期", "班次", "时间", "值班员", "状态"),
        rows=rows,
        total=total,
        page=paging.page,
        filters=[team_f],
        note=f"今天起 {ROSTER_DAYS} 天的排班（含调班、替班后的实际值班人）。",
    )


ALERT_STATUS_CHOICES = (
    Choice("", "未处理"),
    Choice("all", "全部"),
    *(Choice(s.value, s.label) for s in AlertStatus),
)
OPEN_ALERTS = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)


async def alerts(ctx: Ctx, query: Mapping[str, str], paging: Paging) -> Listing:
    team_f, team_ids = await _team_filter(ctx, query)
    status = choice_value(query, "status", ALERT_STATUS_CHOICES)
    rows_q = Alert.filter(team_id__in=team_ids)
    if status == "":
        rows_q = rows_q.filter(status__in=[s.value for s in OPEN_ALERTS])
    elif status != "all":
        rows_q = rows_q.filter(status=status)
    total = await rows_q.count()
    if paging.page == 0:
        too_many(total)
    items = await rows_q.order_by("-raised_at", "-id").offset(paging.offset).limit(paging.limit)
    teams = {t.id: t.name for t in await DutyTeam.filter(id__in=team_ids)}
    accounts = {
        a.id: a.label
        for a in await Account.filter(id__in=[a.account_id for a in items if a.account_id])
    }
    names = await person_names([a.acknowledged_by_id for a in items])
    dues = await _deadlines([a.deadline_id for a in items if a.status == AlertStatus.OPEN])
    rows: list[tuple[Cell, ...]] = []
    for a in items:
        waiting = ctx.now - a.raised_at
        if a.status == AlertStatus.OPEN:
            due = dues.get(a.deadline_id or 0)
            state = (
                countdown(ctx, due) if due else Cell(f"已等待 {duration(waiting.total_seconds())}")
            )
        elif a.status == AlertStatus.ACKNOWLEDGED:
            state = Cell(f"{names.get(a.acknowledged_by_id or 0, '')}已确认")
        else:
            state = Cell(AlertStatus(a.status).label, css="ok")
        rows.append(
            (
                Cell(alert_number(a)),
                Cell(teams.get(a.team_id, "")),
                Cell(
                    AlertSeverity(a.severity).label,
                    css="overdue" if a.severity != AlertSeverity.ORDINARY else "",
                ),
                Cell(a.title),
                Cell(accounts.get(a.account_id or 0, "")),
                Cell(AlertSource(a.source).label),
                Cell(ctx.when(a.raised_at)),
                Cell(
                    AlertStatus(a.status).label,
                    css="overdue" if a.status == AlertStatus.OPEN else "",
                ),
                state,
            )
        )
    return Listing(
        key="alerts",
        title="告警",
        columns=("编号", "值班组", "级别", "标题", "账号", "来源", "发生时间", "状态", "确认时限"),
        rows=rows,
        total=total,
        page=paging.page,
        filters=[team_f, Filter("status", "状态", status, ALERT_STATUS_CHOICES)],
    )


async def _deadlines(ids: list[int | None]) -> dict[int, Any]:
    wanted = [i for i in ids if i]
    if not wanted:
        return {}
    rows = await Deadline.filter(
        id__in=wanted, status__in=[DeadlineStatus.OPEN, DeadlineStatus.PAUSED]
    ).values_list("id", "due_at")
    return {int(str(i)): due for i, due in rows}


OPEN_HANDOVERS = (HandoverStatus.PREPARING, HandoverStatus.SUBMITTED)


async def handovers(ctx: Ctx, query: Mapping[str, str], paging: Paging) -> Listing:
    team_f, team_ids = await _team_filter(ctx, query)
    rows_q = DutyHandover.filter(team_id__in=team_ids, status__in=[s.value for s in OPEN_HANDOVERS])
    total = await rows_q.count()
    if paging.page == 0:
        too_many(total)
    items = await rows_q.order_by("change_at", "id").offset(paging.offset).limit(paging.limit)
    teams = {t.id: t.name for t in await DutyTeam.filter(id__in=team_ids)}
    names = await person_names([h.outgoing_id for h in items] + [h.incoming_id for h in items])
    rows: list[tuple[Cell, ...]] = []
    for h in items:
        waited = (ctx.now - h.change_at).total_seconds()
        rows.append(
            (
                Cell(teams.get(h.team_id, "")),
                Cell(ctx.when(h.change_at)),
                Cell(names.get(h.outgoing_id or 0, "")),
                Cell(names.get(h.incoming_id or 0, "")),
                Cell(HandoverStatus(h.status).label, css="overdue" if waited > 0 else ""),
                Cell(duration(waited) if waited > 0 else "未到交班时间"),
            )
        )
    return Listing(
        key="handovers",
        title="未完成的交接班",
        columns=("值班组", "交班时间", "交班人", "接班人", "状态", "超过交班时间"),
        rows=rows,
        total=total,
        page=paging.page,
        filters=[team_f],
        note="接班人确认前仍由交班人负责。",
    )
