"""The planner: rotations over working days and holidays, history, overrides kept."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.services import Services
from bot.flows.duty.planner import PlannedShift, RotationSpec, plan
from bot.timekeeping.calendar import WorkingCalendar
from storage.models.duty import DutyRotation, DutyShift, ShiftMode, ShiftSlot, ShiftSource
from tests.duty.support import make_team, person_id, person_key, replan, shift_at

TZ = ZoneInfo("Asia/Shanghai")
CAL = WorkingCalendar(tz=TZ)
REGULAR = RotationSpec(id=1, holiday=False, effective_from=date(2026, 9, 28), people=(1, 2, 3))
HOLIDAY = RotationSpec(id=2, holiday=True, effective_from=date(2026, 9, 28), people=(7, 8))


def _plan(
    *rotations: RotationSpec, first: date, last: date, mode: ShiftMode = ShiftMode.DAY_NIGHT
) -> list[PlannedShift]:
    return plan(
        mode=mode,
        day_start="08:30",
        night_start="20:30",
        rotations=rotations,
        calendar=CAL,
        first=first,
        last=last,
    )


def test_day_night_shifts_cover_the_clock_and_turn_one_shift_each() -> None:
    shifts = _plan(REGULAR, first=date(2026, 9, 28), last=date(2026, 9, 29))
    assert [(s.slot, s.person_id) for s in shifts] == [
        (ShiftSlot.DAY, 1),
        (ShiftSlot.NIGHT, 2),
        (ShiftSlot.DAY, 3),
        (ShiftSlot.NIGHT, 1),
    ]
    assert shifts[0].starts_at == datetime(2026, 9, 28, 8, 30, tzinfo=TZ)
    assert shifts[1].ends_at == datetime(2026, 9, 29, 8, 30, tzinfo=TZ)
    for earlier, later in itertools.pairwise(shifts):
        assert earlier.ends_at == later.starts_at  # no gap, no overlap


def test_full_day_shifts_change_at_the_configured_time() -> None:
    shifts = _plan(REGULAR, first=date(2026, 9, 28), last=date(2026, 9, 30), mode=ShiftMode.FULL)
    assert [s.person_id for s in shifts] == [1, 2, 3]
    assert all(s.ends_at - s.starts_at == timedelta(hours=24) for s in shifts)


def test_national_day_2026_shifts_are_holiday_shifts_and_the_makeup_saturday_is_not() -> None:
    shifts = _plan(REGULAR, first=date(2026, 9, 30), last=date(2026, 10, 11))
    by_day = {(s.duty_date, s.slot): s for s in shifts}
    for day in range(1, 8):
        shift = by_day[(date(2026, 10, day), ShiftSlot.DAY)]
        assert shift.holiday, day
        assert shift.holiday_name == "国庆节"
    assert not by_day[(date(2026, 9, 30), ShiftSlot.NIGHT)].holiday
    assert not by_day[(date(2026, 10, 9), ShiftSlot.DAY)].holiday
    # 调休: Saturday 10 October is a working day; Sunday the 11th an ordinary weekend.
    assert not by_day[(date(2026, 10, 10), ShiftSlot.DAY)].holiday
    sunday = by_day[(date(2026, 10, 11), ShiftSlot.DAY)]
    assert sunday.holiday
    assert sunday.holiday_name == ""


def test_the_holiday_rotation_takes_holiday_shifts_and_nobody_is_skipped() -> None:
    shifts = _plan(REGULAR, HOLIDAY, first=date(2026, 9, 30), last=date(2026, 10, 10))
    holiday = [s for s in shifts if s.holiday]
    working = [s for s in shifts if not s.holiday]
    assert {s.person_id for s in holiday} == {7, 8}
    assert [s.person_id for s in holiday[:4]] == [7, 8, 7, 8]
    assert {s.person_id for s in working} == {1, 2, 3}
    # The regular turn continues after the holiday where it stopped before it:
    # 9/28 D1 N2, 9/29 D3 N1, 9/30 D2 N3, then 10/8 D1.
    by_day = {(s.duty_date, s.slot): s.person_id for s in shifts}
    assert by_day[(date(2026, 9, 30), ShiftSlot.NIGHT)] == 3
    assert by_day[(date(2026, 10, 8), ShiftSlot.DAY)] == 1
    # The make-up Saturday is a working day: the regular rotation covers it.
    assert by_day[(date(2026, 10, 10), ShiftSlot.DAY)] in {1, 2, 3}


def test_a_shift_has_the_same_person_whatever_range_is_planned() -> None:
    whole = _plan(REGULAR, HOLIDAY, first=date(2026, 9, 28), last=date(2026, 10, 20))
    part = _plan(REGULAR, HOLIDAY, first=date(2026, 10, 6), last=date(2026, 10, 20))
    tail = {s.starts_at: s.person_id for s in whole if s.duty_date >= date(2026, 10, 6)}
    assert {s.starts_at: s.person_id for s in part} == tail


def test_a_new_rotation_changes_only_the_days_from_its_date() -> None:
    changed = RotationSpec(id=3, holiday=False, effective_from=date(2026, 10, 9), people=(5, 6))
    before = _plan(REGULAR, first=date(2026, 10, 8), last=date(2026, 10, 12))
    after = _plan(REGULAR, changed, first=date(2026, 10, 8), last=date(2026, 10, 12))
    assert [s.person_id for s in after if s.duty_date < date(2026, 10, 9)] == [
        s.person_id for s in before if s.duty_date < date(2026, 10, 9)
    ]
    assert [s.person_id for s in after if s.duty_date >= date(2026, 10, 9)][:4] == [5, 6, 5, 6]


# ---- stored ------------------------------------------------------------------------------


async def test_the_stored_roster_keeps_started_shifts_and_overrides_when_the_rotation_changes(
    services: Services, demo_org: None
) -> None:
    # From Thursday: 小陈 day, 老刘 night; Friday 9 October 2026, 10:00: 小马's day shift
    # has started.
    team = await make_team(services, start=date(2026, 10, 8))
    now = services.clock.now()
    current = await shift_at(team, now)
    assert await person_key(current.person_id) == "xiaoma"
    assert current.slot == ShiftSlot.DAY
    # The duty lead had given tomorrow's day shift to 唐主任 (an override).
    tomorrow = await shift_at(team, now + timedelta(days=1))
    tomorrow.person_id = await person_id("tangzr")
    tomorrow.source = ShiftSource.OVERRIDE
    await tomorrow.save()
    # The rotation changes from today: only 老刘 and 小马.
    await DutyRotation.create(
        team=team,
        effective_from=now.astimezone(TZ).date(),
        people=[await person_id("laoliu"), await person_id("xiaoma")],
        created_at=now,
    )
    await replan(services, team)
    assert (await DutyShift.get(id=current.id)).person_id == current.person_id  # started
    tonight = await shift_at(team, now.replace(hour=22))
    assert await person_key(tonight.person_id) == "xiaoma"  # second of the new turn
    kept = await DutyShift.get(id=tomorrow.id)
    assert await person_key(kept.person_id) == "tangzr"
    assert await person_key(kept.rostered_id) in {"laoliu", "xiaoma"}
    # Planning again changes nothing.
    count = await DutyShift.filter(team_id=team.id).count()
    await replan(services, team)
    assert await DutyShift.filter(team_id=team.id).count() == count


async def test_the_worker_cron_plans_ahead_and_is_idempotent(
    services: Services, demo_org: None
) -> None:
    from bot.worker import plan_duty

    ctx = {"services": services}
    assert await plan_duty(ctx) == 1  # the demo team got its shifts
    shifts = await DutyShift.all().count()
    assert shifts == 2 * 36  # today (9 Oct, its night included) and 35 days ahead
    assert await plan_duty(ctx) == 0  # again: nothing to do, nothing audited
    # A day later the roster reaches one day further.
    services.clock.set(services.clock.now() + timedelta(days=1))  # type: ignore[attr-defined]
    assert await plan_duty(ctx) == 1
    assert await DutyShift.all().count() == shifts + 2
