"""What people read about the roster: the week of a team, someone's next shift, who is on
duty now. Queries only; the cards and the image draw what these return."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient

from bot.flows.duty.planner import slots_of
from bot.timekeeping.calendar import DayKind, WorkingCalendar
from storage.models.duty import DutyShift, DutyTeam, ShiftMode, ShiftSlot
from storage.models.org import Person


@dataclass(frozen=True)
class ShiftView:
    id: int
    slot: ShiftSlot
    starts_at: datetime
    ends_at: datetime
    person: str  # who holds it
    rostered: str  # who the rotation gave it to ("" when the same)
    changed: str  # "值班长调整" / "换班" / ""


@dataclass(frozen=True)
class DayView:
    day: date
    note: str  # 国庆节 / 调休上班 / 周末 / ""
    holiday: bool
    shifts: dict[ShiftSlot, ShiftView]


@dataclass(frozen=True)
class WeekView:
    team_name: str
    first: date
    slots: list[tuple[ShiftSlot, str]]  # each slot and its times ("白班 08:30–20:30")
    days: list[DayView]


def week_start(day: date) -> date:
    """The Monday of the week ``day`` is in."""
    return day - timedelta(days=day.weekday())


def slot_headers(team: DutyTeam, tz: ZoneInfo) -> list[tuple[ShiftSlot, str]]:
    sample = slots_of(ShiftMode(team.mode), team.day_start, team.night_start, date(2026, 1, 5), tz)
    return [(slot, f"{slot.label} {start:%H:%M}–{end:%H:%M}") for slot, start, end in sample]


async def names_of(conn: BaseDBAsyncClient, ids: set[int]) -> dict[int, str]:
    rows = await Person.filter(id__in=sorted(ids)).using_db(conn).values_list("id", "name")
    return {int(str(pid)): str(name) for pid, name in rows}


async def week(
    conn: BaseDBAsyncClient, team: DutyTeam, first: date, calendar: WorkingCalendar
) -> WeekView:
    """The seven duty days from ``first`` with their shifts as stored."""
    tz = calendar.tz
    last = first + timedelta(days=6)
    shifts = (
        await DutyShift.filter(team_id=team.id, duty_date__gte=first, duty_date__lte=last)
        .using_db(conn)
        .order_by("starts_at")
    )
    names = await names_of(conn, {s.person_id for s in shifts} | {s.rostered_id for s in shifts})
    days: list[DayView] = []
    for offset in range(7):
        day = first + timedelta(days=offset)
        info = calendar.day(day)
        if info.kind is DayKind.HOLIDAY:
            note = info.name or "休息日"
        elif info.kind is DayKind.MAKEUP:
            note = "调休上班"
        elif info.kind is DayKind.WEEKEND:
            note = "周末"
        else:
            note = ""
        views: dict[ShiftSlot, ShiftView] = {}
        for s in shifts:
            if s.duty_date != day:
                continue
            views[ShiftSlot(s.slot)] = ShiftView(
                id=s.id,
                slot=ShiftSlot(s.slot),
                starts_at=s.starts_at.astimezone(tz),
                ends_at=s.ends_at.astimezone(tz),
                person=names.get(s.person_id, "?"),
                rostered=names.get(s.rostered_id, "?") if s.rostered_id != s.person_id else "",
                changed=s.source.label if s.source != "rotation" else "",
            )
        days.append(DayView(day=day, note=note, holiday=not info.working, shifts=views))
    return WeekView(team_name=team.name, first=first, slots=slot_headers(team, tz), days=days)


async def next_shifts(
    conn: BaseDBAsyncClient, person_id: int, now: datetime, limit: int = 3
) -> list[DutyShift]:
    """The person's shifts that have not ended, soonest first (the current one included)."""
    return (
        await DutyShift.filter(person_id=person_id, ends_at__gt=now)
        .using_db(conn)
        .order_by("starts_at")
        .limit(limit)
    )


async def find_shift(
    conn: BaseDBAsyncClient, team: DutyTeam, day: date, slot: ShiftSlot | None
) -> list[DutyShift]:
    """The team's shifts of a duty day, or the one of ``slot`` (a 24-hour team has one)."""
    query = DutyShift.filter(team_id=team.id, duty_date=day).using_db(conn)
    if slot is not None and ShiftMode(team.mode) == ShiftMode.DAY_NIGHT:
        query = query.filter(slot=slot)
    return await query.order_by("starts_at")
