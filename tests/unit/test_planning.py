"""The deadline engine's pure planning: due times, step times and texts from plain values and
``now``, without a database."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.deadlines import planning
from bot.policy.loader import load_policy
from bot.timekeeping.calendar import WorkingCalendar
from bot.timekeeping.schedule import StepSpec
from storage.models.deadlines import StepStatus

TZ = ZoneInfo("Asia/Shanghai")
KUNMING = load_policy("kunming")
CAL = WorkingCalendar(tz=TZ).with_hours(KUNMING.hours())
SERIOUS = KUNMING.rule("rectification.serious")


def at(d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 10, d, hh, mm, tzinfo=TZ)


def test_a_serious_notice_in_working_hours_is_due_in_thirty_minutes() -> None:
    assert planning.rule_due(SERIOUS, at(9, 10), timedelta(0), CAL) == at(9, 10, 30)


def test_time_spent_paused_moves_the_due_time_and_is_said() -> None:
    paused = timedelta(minutes=20)
    assert planning.rule_due(SERIOUS, at(9, 10), paused, CAL) == at(9, 10, 50)
    found = planning.explanation(
        SERIOUS, start_at=at(9, 10), due_at=at(9, 10, 50), paused=paused, cal=CAL, tz=TZ
    )
    assert "昆明市" in found.basis
    assert found.text.endswith("（因暂停20分钟，顺延至 10月9日 10:50）")
    assert not found.provisional


def test_a_year_without_calendar_data_makes_the_deadline_provisional() -> None:
    start = datetime(2027, 3, 1, 10, 0, tzinfo=TZ)
    found = planning.explanation(
        SERIOUS, start_at=start, due_at=start, paused=timedelta(0), cal=CAL, tz=TZ
    )
    assert found.provisional
    assert found.provisional_years == [2027]


SCHEDULE = (
    StepSpec.at_fraction("half", 0.5, "过半提醒"),
    StepSpec.at_due(),
    StepSpec.after_due("overdue", 0, every_minutes=60, max_repeats=3, label="逾期"),
)


def test_step_times_follow_the_window_and_the_due_time() -> None:
    planned = planning.step_times(
        SCHEDULE, start_at=at(9, 10), due_at=at(9, 12), paused=timedelta(0), cal=CAL, now=at(9, 10)
    )
    assert [(p.spec.name, p.repeat, p.fire_at) for p in planned] == [
        ("half", 0, at(9, 11)),
        ("due", 0, at(9, 12)),
        ("overdue", 0, at(9, 12)),
    ]


def test_a_plan_made_late_advances_repeats_and_drops_exhausted_ones() -> None:
    late = planning.step_times(
        SCHEDULE,
        start_at=at(9, 10),
        due_at=at(9, 12),
        paused=timedelta(0),
        cal=CAL,
        now=at(9, 13, 30),
    )
    overdue = next(p for p in late if p.spec.name == "overdue")
    assert (overdue.repeat, overdue.fire_at) == (2, at(9, 14))
    exhausted = planning.step_times(
        SCHEDULE, start_at=at(9, 10), due_at=at(9, 12), paused=timedelta(0), cal=CAL, now=at(9, 20)
    )
    assert [p.spec.name for p in exhausted] == ["half", "due"]


def test_initial_status_holds_skips_and_keeps() -> None:
    (half, due, _) = planning.step_times(
        SCHEDULE, start_at=at(9, 10), due_at=at(9, 12), paused=timedelta(0), cal=CAL, now=at(9, 10)
    )
    now = at(9, 11, 30)
    assert planning.initial_status(due, now=now, paused=False) == StepStatus.PENDING
    assert planning.initial_status(half, now=now, paused=False) == StepStatus.SKIPPED
    assert planning.initial_status(half, now=now, paused=True) == StepStatus.HELD
    # A calendar edit replans without skipping the past, but never refires a one-off step.
    assert planning.initial_status(half, now=now, paused=False, skip_past=False) == (
        StepStatus.PENDING
    )
    assert planning.initial_status(
        half, now=now, paused=False, already_fired={"half"}, skip_past=False
    ) == (StepStatus.SKIPPED)


def test_next_repeat_skips_missed_ones_and_stops_at_the_maximum() -> None:
    overdue = SCHEDULE[2]
    later = planning.next_repeat(overdue, at(9, 12), 0, now=at(9, 12))
    assert later is not None
    assert (later.repeat, later.fire_at) == (1, at(9, 13))
    after_outage = planning.next_repeat(overdue, at(9, 12), 0, now=at(9, 14, 10))
    assert after_outage is not None
    assert (after_outage.repeat, after_outage.fire_at) == (3, at(9, 15))
    assert planning.next_repeat(overdue, at(9, 15), 3, now=at(9, 15)) is None
    assert planning.next_repeat(SCHEDULE[1], at(9, 12), 0, now=at(9, 12)) is None
