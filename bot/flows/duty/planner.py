"""The planner: materialises a team's shifts ahead from its rotations.

Pure part (``plan``): team settings + rotations + the working calendar → the shifts of a range
of duty days, each with its person and whether it falls on a holiday. Stored part
(``plan_team`` / ``plan_all``): writes the difference into ``duty_shift`` under the team's
row lock. The worker's cron runs it every hour and ``dutybot org load`` after applying the
file, so the roster always reaches ``PLAN_AHEAD_DAYS`` ahead.

History is kept by two rules: a shift that has started is never changed, and overrides and
swaps keep their person when the rotation behind them changes (only ``rostered_id`` follows
the rotation).

How a rotation turns: its people take its shifts in order, one shift each, counting from
the first shift of its ``effective_from`` day. With a holiday rotation in force, shifts on
non-working days (statutory holidays and weekends; a make-up working Saturday is a working
day) go round the holiday rotation and the regular rotation turns over working-day shifts
only, so neither skips a person.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from bot.flows.duty.model import PLAN_AHEAD_DAYS, TEAM_SUBJECT, parse_hhmm
from bot.timekeeping.calendar import DayKind, WorkingCalendar
from storage import audit
from storage.models.duty import (
    DutyRotation,
    DutyShift,
    DutySwap,
    DutyTeam,
    ShiftMode,
    ShiftSlot,
    ShiftSource,
    SwapStatus,
)
from storage.models.org import Person


@dataclass(frozen=True)
class RotationSpec:
    """A rotation as the pure planner sees it."""

    id: int
    holiday: bool
    effective_from: date
    people: tuple[int, ...]


@dataclass(frozen=True)
class PlannedShift:
    duty_date: date
    slot: ShiftSlot
    starts_at: datetime
    ends_at: datetime
    person_id: int
    rotation_id: int
    holiday: bool
    holiday_name: str


def slots_of(
    mode: ShiftMode, day_start: str, night_start: str, day: date, tz: ZoneInfo
) -> list[tuple[ShiftSlot, datetime, datetime]]:
    """The shifts of one duty day with their times (the night shift ends the next morning)."""
    morning = datetime.combine(day, parse_hhmm(day_start), tz)
    next_morning = datetime.combine(day + timedelta(days=1), parse_hhmm(day_start), tz)
    if mode == ShiftMode.FULL:
        return [(ShiftSlot.FULL, morning, next_morning)]
    evening = datetime.combine(day, parse_hhmm(night_start), tz)
    return [(ShiftSlot.DAY, morning, evening), (ShiftSlot.NIGHT, evening, next_morning)]


def _in_force(rotations: Sequence[RotationSpec], day: date, holiday: bool) -> RotationSpec | None:
    found: RotationSpec | None = None
    for rotation in rotations:
        if rotation.holiday != holiday or rotation.effective_from > day:
            continue
        if found is None or rotation.effective_from > found.effective_from:
            found = rotation
    return found


def plan(
    *,
    mode: ShiftMode,
    day_start: str,
    night_start: str,
    rotations: Sequence[RotationSpec],
    calendar: WorkingCalendar,
    first: date,
    last: date,
) -> list[PlannedShift]:
    """The shifts of the duty days ``first`` … ``last`` (inclusive), in time order.

    Counting starts at the earliest rotation in force in the range, so the person of a shift
    does not depend on which range is asked for.
    """
    tz = calendar.tz
    starts = [r for r in (_in_force(rotations, first, h) for h in (False, True)) if r is not None]
    later = [r.effective_from for r in rotations if first < r.effective_from <= last]
    if not starts and not later:
        return []
    origin = min([r.effective_from for r in starts] + later)
    counters: dict[int, int] = {}
    planned: list[PlannedShift] = []
    day = origin
    while day <= last:
        info = calendar.day(day)
        off = not info.working
        # A rotation in force with nobody in it (a holiday rotation taken out of the file)
        # leaves the shift to the regular rotation, or unplanned.
        rotation = _in_force(rotations, day, True) if off else None
        if rotation is None or not rotation.people:
            rotation = _in_force(rotations, day, False)
        if rotation is not None and not rotation.people:
            rotation = None
        for slot, starts_at, ends_at in slots_of(mode, day_start, night_start, day, tz):
            if rotation is None:
                continue
            index = counters.get(rotation.id, 0)
            counters[rotation.id] = index + 1
            if day < first:
                continue
            planned.append(
                PlannedShift(
                    duty_date=day,
                    slot=slot,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    person_id=rotation.people[index % len(rotation.people)],
                    rotation_id=rotation.id,
                    holiday=off,
                    holiday_name=info.name if info.kind is DayKind.HOLIDAY else "",
                )
            )
        day += timedelta(days=1)
    return planned


@dataclass
class PlanResult:
    created: int = 0
    updated: int = 0
    removed: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.removed)


async def rotation_specs(conn: BaseDBAsyncClient, team: DutyTeam) -> list[RotationSpec]:
    """The team's rotations, each with only its active people (a person who left or was
    deactivated drops out of the turn; the leaving area reassigns what they held)."""
    rows = await DutyRotation.filter(team_id=team.id).using_db(conn).order_by("effective_from")
    wanted = {int(p) for r in rows for p in r.people}
    active = {
        int(str(pid))
        for pid in await Person.filter(id__in=sorted(wanted), active=True)
        .using_db(conn)
        .values_list("id", flat=True)
    }
    return [
        RotationSpec(
            id=r.id,
            holiday=r.holiday,
            effective_from=r.effective_from,
            people=tuple(int(p) for p in r.people if int(p) in active),
        )
        for r in rows
    ]


async def plan_team(
    conn: BaseDBAsyncClient,
    team_id: int,
    calendar: WorkingCalendar,
    now: datetime,
    *,
    days: int = PLAN_AHEAD_DAYS,
) -> PlanResult:
    """Bring the team's stored shifts from now on in line with its rotations.

    Runs in the caller's transaction and locks the team row, so the cron and ``org load``
    planning at once write each shift once. Started shifts are never touched.
    """
    result = PlanResult()
    team = await DutyTeam.filter(id=team_id).using_db(conn).select_for_update().first()
    if team is None:
        return result
    today = now.astimezone(calendar.tz).date()
    # From yesterday: yesterday's night shift may still be running this morning.
    first, last = today - timedelta(days=1), today + timedelta(days=days)
    wanted = (
        plan(
            mode=ShiftMode(team.mode),
            day_start=team.day_start,
            night_start=team.night_start,
            rotations=await rotation_specs(conn, team),
            calendar=calendar,
            first=first,
            last=last,
        )
        if team.active
        else []
    )
    window_start = datetime.combine(first, datetime.min.time(), calendar.tz)
    existing = {
        s.starts_at: s
        for s in await DutyShift.filter(team_id=team.id, starts_at__gte=window_start).using_db(conn)
    }
    by_start = {p.starts_at: p for p in wanted}
    for planned in wanted:
        if planned.starts_at <= now and planned.starts_at in existing:
            continue  # started: history
        shift = existing.get(planned.starts_at)
        if shift is None:
            if planned.ends_at <= now:
                continue  # a past shift that was never planned stays unplanned
            await DutyShift.create(
                using_db=conn,
                team_id=team.id,
                duty_date=planned.duty_date,
                slot=planned.slot,
                starts_at=planned.starts_at,
                ends_at=planned.ends_at,
                person_id=planned.person_id,
                rostered_id=planned.person_id,
                holiday=planned.holiday,
                holiday_name=planned.holiday_name,
                source=ShiftSource.ROTATION,
                rotation_id=planned.rotation_id,
                created_at=now,
                updated_at=now,
            )
            result.created += 1
            continue
        if shift.starts_at <= now:
            continue
        changes: dict[str, object] = {}
        if shift.source == ShiftSource.ROTATION and shift.person_id != planned.person_id:
            changes["person_id"] = planned.person_id
        for name, value in (
            ("rostered_id", planned.person_id),
            ("rotation_id", planned.rotation_id),
            ("holiday", planned.holiday),
            ("holiday_name", planned.holiday_name),
            ("ends_at", planned.ends_at),
            ("slot", planned.slot),
            ("duty_date", planned.duty_date),
        ):
            if getattr(shift, name) != value:
                changes[name] = value
        if changes:
            for name, changed in changes.items():
                setattr(shift, name, changed)
            shift.updated_at = now
            await shift.save(using_db=conn, update_fields=[*changes, "updated_at"])
            result.updated += 1
    # Unstarted shifts the plan no longer has (the change time or mode changed, the team
    # was deactivated): removed, and a swap still open on one is cancelled.
    for starts_at, shift in existing.items():
        if starts_at in by_start or starts_at <= now:
            continue
        await (
            DutySwap.filter(shift_id=shift.id, status__in=[SwapStatus.OPEN, SwapStatus.ACCEPTED])
            .using_db(conn)
            .update(status=SwapStatus.CANCELLED, settled_at=now)
        )
        await shift.delete(using_db=conn)
        result.removed += 1
    return result


async def plan_all(
    calendar: WorkingCalendar, now: datetime, *, days: int = PLAN_AHEAD_DAYS
) -> dict[str, PlanResult]:
    """Plan every team, one transaction each (a broken team does not hold up the others).

    Teams deactivated in the organisation file are planned too: their unstarted shifts go.
    A change is audited as ``duty.roster_planned`` by the system.
    """
    results: dict[str, PlanResult] = {}
    team_ids = await DutyTeam.all().order_by("id").values_list("id", "key")
    for team_id, key in team_ids:
        async with in_transaction() as conn:
            result = await plan_team(conn, int(str(team_id)), calendar, now, days=days)
            if result.changed:
                await audit.record(
                    conn,
                    actor=audit.Actor.system("值班排班"),
                    action="duty.roster_planned",
                    subject_type=TEAM_SUBJECT,
                    subject_id=int(str(team_id)),
                    at=now,
                    detail={
                        "created": result.created,
                        "updated": result.updated,
                        "removed": result.removed,
                    },
                )
        results[str(key)] = result
    return results
