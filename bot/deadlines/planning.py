"""Pure planning: from a rule, a schedule and ``now`` to due times, step times and texts.

Everything here takes plain values (rule and schedule snapshots, times, a calendar) and
returns plain values, so it is tested without a database. ``lifecycle`` writes what these
functions compute; ``firing`` plans a repeating step's next occurrence with ``next_repeat``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.timekeeping.calendar import WorkingCalendar
from bot.timekeeping.explain import explain, format_time, span_text
from bot.timekeeping.rules import DeadlineRule
from bot.timekeeping.schedule import StepSpec
from storage.models.deadlines import StepStatus


@dataclass(frozen=True)
class Explanation:
    """How a deadline is shown: the sentence with its citation, and whether it is provisional."""

    text: str
    basis: str
    provisional: bool
    provisional_years: list[int]


def explanation(
    rule: DeadlineRule,
    *,
    start_at: datetime,
    due_at: datetime,
    paused: timedelta,
    cal: WorkingCalendar,
    tz: ZoneInfo,
) -> Explanation:
    """The rule's explanation for ``start_at``; a pause that moved ``due_at`` is said too."""
    due = rule.due(start_at, cal)
    text = explain(rule, due, start=start_at, tz=tz)
    if paused > timedelta(0):
        text += f"（因暂停{span_text(paused)}，顺延至 {format_time(due_at, tz)}）"
    return Explanation(
        text=text,
        basis=rule.citation.basis(),
        provisional=due.provisional,
        provisional_years=sorted(due.guessed_years),
    )


def rule_due(
    rule: DeadlineRule, start_at: datetime, paused: timedelta, cal: WorkingCalendar
) -> datetime:
    """The rule's due time for ``start_at``, moved on by the time spent paused."""
    return rule.due(start_at, cal).due_at + paused


@dataclass(frozen=True)
class PlannedStep:
    """One step of a plan: which spec, its repetition number and when it fires."""

    spec: StepSpec
    repeat: int
    fire_at: datetime


def step_times(
    specs: Sequence[StepSpec],
    *,
    start_at: datetime,
    due_at: datetime,
    paused: timedelta,
    cal: WorkingCalendar,
    now: datetime,
) -> list[PlannedStep]:
    """The steps of a fresh plan; repeats already in the past advance to their next one."""
    planned: list[PlannedStep] = []
    for spec in specs:
        first = spec.first_fire_at(start_at, due_at, cal, paused)
        repeat = 0
        if spec.every_minutes is not None and first <= now:
            later = spec.next_repeat_at(first, now)
            assert later is not None
            repeat = round((later - first) / timedelta(minutes=spec.every_minutes))
            if spec.max_repeats is not None and repeat > spec.max_repeats:
                continue
            first = later
        planned.append(PlannedStep(spec=spec, repeat=repeat, fire_at=first))
    return planned


def initial_status(
    step: PlannedStep,
    *,
    now: datetime,
    paused: bool,
    already_fired: Iterable[str] = (),
    skip_past: bool = True,
    missed_due_at: datetime | None = None,
) -> StepStatus:
    """How a planned step is written.

    Held while the deadline is paused. Skipped when its time has passed (a plan made late
    does not send a burst of stale reminders) unless ``skip_past`` is false, and when it is a
    non-repeating step already fired under an earlier plan (``already_fired``). Both are for
    calendar edits: there, a step that moved into the past never fired and is due now.

    ``missed_due_at`` is the due time of a deadline that starts already past it (a notice
    counted from when a problem was received, weeks ago): its one-off steps at or after due
    (到期 / 逾期) are the outcome, not stale reminders, so they fire at once instead of being
    skipped; the reminders before due are still skipped.
    """
    if paused:
        return StepStatus.HELD
    once_fired = step.spec.every_minutes is None and step.spec.name in set(already_fired)
    outcome_missed = (
        missed_due_at is not None
        and step.spec.every_minutes is None
        and missed_due_at <= step.fire_at <= now
    )
    if once_fired or (skip_past and step.fire_at <= now and not outcome_missed):
        return StepStatus.SKIPPED
    return StepStatus.PENDING


def next_repeat(
    spec: StepSpec, fired_at: datetime, repeat: int, now: datetime
) -> PlannedStep | None:
    """After a repeating step planned at ``fired_at`` fired, its next occurrence (None: done)."""
    if spec.every_minutes is None:
        return None
    next_at = spec.next_repeat_at(fired_at, now)
    assert next_at is not None
    later = repeat + round((next_at - fired_at) / timedelta(minutes=spec.every_minutes))
    if spec.max_repeats is not None and later > spec.max_repeats:
        return None
    return PlannedStep(spec=spec, repeat=later, fire_at=next_at)
