"""Reminder schedules: the steps of a deadline (50 %, 80 %, due, overdue every hour …).

A step is anchored to the deadline's window (a fraction of start → due), to the due time
(minutes before or after), or to a rule applied to the start ("4 working hours after the
card reached the reviewer"). Pure: the engine stores the specs and materialises fire times.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, model_validator

from bot.timekeeping.calendar import WorkingCalendar
from bot.timekeeping.rules import DeadlineRule


class StepSpec(BaseModel):
    """One reminder or escalation step of a deadline."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,49}$")
    label: str = ""  # Chinese, for people and lists: "过半提醒"
    fraction: float | None = Field(default=None, gt=0, le=1)
    after_due_minutes: int | None = None  # negative: before the due time
    rule: DeadlineRule | None = None  # applied to the deadline's start
    every_minutes: PositiveInt | None = None  # repeat after firing, until the deadline closes
    max_repeats: PositiveInt | None = None  # None with every_minutes: until closed

    @model_validator(mode="after")
    def _one_anchor(self) -> Self:
        anchors = [self.fraction, self.after_due_minutes, self.rule]
        if sum(a is not None for a in anchors) != 1:
            raise ValueError(
                "提醒步骤必须且只能有一个时间锚点：fraction、after_due_minutes 或 rule"
            )
        if self.max_repeats is not None and self.every_minutes is None:
            raise ValueError("max_repeats 需要与 every_minutes 一起使用")
        return self

    # ---- constructors that read well at the call site ------------------------------------

    @classmethod
    def at_fraction(cls, name: str, fraction: float, label: str = "") -> StepSpec:
        return cls(name=name, fraction=fraction, label=label)

    @classmethod
    def at_due(cls, name: str = "due", label: str = "到期") -> StepSpec:
        return cls(name=name, after_due_minutes=0, label=label)

    @classmethod
    def before_due(cls, name: str, minutes: int, label: str = "") -> StepSpec:
        return cls(name=name, after_due_minutes=-minutes, label=label)

    @classmethod
    def after_due(
        cls,
        name: str,
        minutes: int,
        *,
        every_minutes: int | None = None,
        max_repeats: int | None = None,
        label: str = "",
    ) -> StepSpec:
        return cls(
            name=name,
            after_due_minutes=minutes,
            every_minutes=every_minutes,
            max_repeats=max_repeats,
            label=label,
        )

    @classmethod
    def after_rule(cls, name: str, rule: DeadlineRule, label: str = "") -> StepSpec:
        return cls(name=name, rule=rule, label=label)

    # ---- times ---------------------------------------------------------------------------

    def first_fire_at(
        self, start: datetime, due: datetime, cal: WorkingCalendar, shift: timedelta
    ) -> datetime:
        """When the step first fires; ``shift`` is the time the deadline spent paused."""
        if self.fraction is not None:
            return start + (due - start) * self.fraction
        if self.after_due_minutes is not None:
            return due + timedelta(minutes=self.after_due_minutes)
        assert self.rule is not None
        return self.rule.due(start, cal).due_at + shift

    @property
    def calendar_dependent(self) -> bool:
        return self.rule is not None and self.rule.calendar_dependent

    def next_repeat_at(self, previous: datetime, now: datetime) -> datetime | None:
        """The first repetition after ``now`` (missed ones while the system was down are
        skipped: one late reminder is useful, a burst of them is noise)."""
        if self.every_minutes is None:
            return None
        every = timedelta(minutes=self.every_minutes)
        candidate = previous + every
        if candidate <= now:
            missed = (now - candidate) // every + 1
            candidate += every * missed
        return candidate


DEFAULT_SCHEDULE: tuple[StepSpec, ...] = (StepSpec.at_due(),)
