"""Deadline rules as data, and the pure function from rule + start + calendar to a due time.

How each kind counts (the full reasoning is in docs/deadlines.md):

- ``working_days`` / ``working_hours``: working *time* is added to the start. Time outside
  the working blocks (evenings, lunch, weekends, holidays) does not count, so a start at
  19:00 begins counting at the next block (08:30 the next working day), and one working
  day is the preset's daily working time (8 hours by default).
- ``end_of_working_day``: the way Chinese regulations count "N个工作日内": the start day is
  never counted, whatever the hour; the deadline is the end of working hours of the N-th
  working day after it.
- ``calendar_days`` / ``calendar_months``: civil-law counting (民法典 第二百零一条至第二百零三条):
  the start day is not counted, the period ends at 24:00 of its last day, and a "within"
  period whose last day is a non-working day is extended to the next working day.
- ``duration``: wall-clock minutes from the start.
- ``by_working_hours``: wall-clock minutes whose length depends on whether the start falls
  inside working hours on a working day (kunming 第十五条).
"""

from __future__ import annotations

import calendar as pycalendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, PositiveInt, TypeAdapter

from bot.timekeeping.calendar import Trace, WorkingCalendar


class Citation(BaseModel):
    """Where a value comes from: an article of the jurisdiction's regulation, or a default."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    document: str = ""  # the regulation's title without 《》; "" for a pure product default
    article: str = ""  # "第十五条", "二（一）", "第五章"
    default: bool = False  # a dutybot default (the document, if any, is what it follows)
    silent: str = ""  # set on inherited values: the preset's own document, which says nothing
    overridden: bool = False  # changed by this deployment's DUTYBOT_POLICY_OVERRIDES

    @property
    def reference(self) -> str:
        if not self.document:
            return ""
        return f"《{self.document}》{self.article}"

    def basis(self) -> str:
        """The "依据…" part of an explanation, in Chinese."""
        ref = self.reference
        if self.overridden:
            return f"依据本单位设置（调整了{ref}的规定）" if ref else "依据本单位设置"
        if self.silent:
            follow = f"（参照{ref}）" if ref else ""
            return f"《{self.silent}》对此未作规定，采用系统默认规则{follow}"
        if self.default:
            return f"依据系统默认规则（参照{ref}）" if ref else "依据系统默认规则"
        return f"依据{ref}"

    def source_text(self) -> str:
        """Short source for tables (``dutybot policy show``)."""
        ref = self.reference
        if self.overridden:
            return f"本单位设置（原：{ref or '系统默认'}）"
        if self.silent:
            return f"未作规定，沿用默认（{ref or '系统默认'}）"
        if self.default:
            return f"系统默认（参照{ref}）" if ref else "系统默认"
        return ref


@dataclass(frozen=True)
class Due:
    """A computed due time, the years it had to guess, and (kunming) which branch applied."""

    due_at: datetime
    guessed_years: frozenset[int] = frozenset()
    inside_working_hours: bool | None = None

    @property
    def provisional(self) -> bool:
        return bool(self.guessed_years)


def duration_text(minutes: int) -> str:
    """30 → 30分钟, 60 → 1小时, 90 → 1小时30分钟."""
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours}小时{rest}分钟"
    if hours:
        return f"{hours}小时"
    return f"{rest}分钟"


def interval_text(minutes: int) -> str:
    """Repeat intervals: 60 → 1小时, 1440 → 1天."""
    if minutes % (24 * 60) == 0:
        return f"{minutes // (24 * 60)}天"
    return duration_text(minutes)


def _number(value: float) -> str:
    return f"{value:g}"


class RuleBase(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str  # what the rule is, for lists: "严重问题整改时限"
    when: str = ""  # phrase before the length: "严重问题", "开设后"
    what: str  # phrase after it: "完成整改", "报区政府办公室和区网信办备案"
    # "within": must happen before the due time. "at_least": a minimum period (a notice
    # that must stay up), whose due time is the earliest moment it may end.
    bound: Literal["within", "at_least"] = "within"
    citation: Citation

    @property
    def calendar_dependent(self) -> bool:
        """Whether the due time moves when the holiday data changes."""
        return True

    def due(self, start: datetime, cal: WorkingCalendar) -> Due:
        raise NotImplementedError

    def length_text(self, inside: bool | None = None) -> str:
        """The length as people say it: "5个工作日", "30分钟"."""
        raise NotImplementedError

    def counting(self) -> str:
        """How the length is counted, for people ("当天不计，至第5个工作日下班")."""
        return ""

    def summary(self) -> str:
        """The length with how it counts: "5个工作日（当天不计，至第5个工作日下班）"."""
        note = self.counting()
        return f"{self.length_text()}（{note}）" if note else self.length_text()

    def phrase(self) -> str:
        """The whole rule as a sentence fragment (``dutybot policy show``)."""
        note = self.counting()
        tail = f"（{note}）" if note else ""
        if self.bound == "at_least":
            return f"{self.when}{self.what}不少于{self.length_text()}{tail}"
        return f"{self.when}{self.length_text()}内{self.what}{tail}"


class WorkingDaysRule(RuleBase):
    """N working days of working time (the preset's daily hours each)."""

    kind: Literal["working_days"] = "working_days"
    days: PositiveFloat

    def due(self, start: datetime, cal: WorkingCalendar) -> Due:
        trace = Trace()
        at = cal.add_working_time(start, cal.hours.per_day * self.days, trace)
        return Due(at, frozenset(trace.guessed))

    def length_text(self, inside: bool | None = None) -> str:
        return f"{_number(self.days)}个工作日"

    def counting(self) -> str:
        return "按工作时间累计，非工作时间不计"


class WorkingHoursRule(RuleBase):
    """N hours of working time."""

    kind: Literal["working_hours"] = "working_hours"
    hours: PositiveFloat

    def due(self, start: datetime, cal: WorkingCalendar) -> Due:
        trace = Trace()
        at = cal.add_working_time(start, timedelta(hours=self.hours), trace)
        return Due(at, frozenset(trace.guessed))

    def length_text(self, inside: bool | None = None) -> str:
        return f"{_number(self.hours)}个工作小时"

    def counting(self) -> str:
        return "非工作时间不计"


class EndOfWorkingDayRule(RuleBase):
    """The end of working hours of the N-th working day after the start day."""

    kind: Literal["end_of_working_day"] = "end_of_working_day"
    days: PositiveInt

    def due(self, start: datetime, cal: WorkingCalendar) -> Due:
        trace = Trace()
        day = cal.nth_working_day_after(cal.local(start).date(), self.days, trace)
        return Due(cal.end_of_working_day(day), frozenset(trace.guessed))

    def length_text(self, inside: bool | None = None) -> str:
        return f"{self.days}个工作日"

    def counting(self) -> str:
        return f"当天不计，至第{self.days}个工作日下班"


def _civil_end(last: date, cal: WorkingCalendar, extend: bool, trace: Trace) -> datetime:
    if extend:
        last = cal.working_day_on_or_after(last, trace)
    return datetime.combine(last + timedelta(days=1), time(0), cal.tz)


class CalendarDaysRule(RuleBase):
    """N calendar days, counted the civil-law way."""

    kind: Literal["calendar_days"] = "calendar_days"
    days: PositiveInt
    extend_past_holidays: bool = True

    @property
    def calendar_dependent(self) -> bool:
        return self._extends

    @property
    def _extends(self) -> bool:
        return self.extend_past_holidays and self.bound == "within"

    def due(self, start: datetime, cal: WorkingCalendar) -> Due:
        trace = Trace()
        last = cal.local(start).date() + timedelta(days=self.days)
        return Due(_civil_end(last, cal, self._extends, trace), frozenset(trace.guessed))

    def length_text(self, inside: bool | None = None) -> str:
        return f"{self.days}天" if self.bound == "at_least" else f"{self.days}日"

    def counting(self) -> str:
        tail = "，末日逢节假日顺延" if self._extends else ""
        return f"当天不计，至末日24时{tail}"


class CalendarMonthsRule(RuleBase):
    """N months: ends on the corresponding day of the last month (or its last day)."""

    kind: Literal["calendar_months"] = "calendar_months"
    months: PositiveInt
    extend_past_holidays: bool = True

    @property
    def calendar_dependent(self) -> bool:
        return self.extend_past_holidays and self.bound == "within"

    def due(self, start: datetime, cal: WorkingCalendar) -> Due:
        trace = Trace()
        begin = cal.local(start).date()
        month_index = begin.month - 1 + self.months
        year, month = begin.year + month_index // 12, month_index % 12 + 1
        day = min(begin.day, pycalendar.monthrange(year, month)[1])
        end = _civil_end(date(year, month, day), cal, self.calendar_dependent, trace)
        return Due(end, frozenset(trace.guessed))

    def length_text(self, inside: bool | None = None) -> str:
        return f"{self.months}个月"

    def counting(self) -> str:
        tail = "，末日逢节假日顺延" if self.calendar_dependent else ""
        return f"至到期月对应日24时{tail}"


class DurationRule(RuleBase):
    """Wall-clock minutes, whatever the calendar says."""

    kind: Literal["duration"] = "duration"
    minutes: PositiveInt

    @property
    def calendar_dependent(self) -> bool:
        return False

    def due(self, start: datetime, cal: WorkingCalendar) -> Due:
        return Due(start + timedelta(minutes=self.minutes))

    def length_text(self, inside: bool | None = None) -> str:
        return duration_text(self.minutes)


class ByWorkingHoursRule(RuleBase):
    """Wall-clock minutes, shorter when the start is inside working hours on a working day."""

    kind: Literal["by_working_hours"] = "by_working_hours"
    inside_minutes: PositiveInt
    outside_minutes: PositiveInt

    def due(self, start: datetime, cal: WorkingCalendar) -> Due:
        trace = Trace()
        inside = cal.in_working_hours(start, trace)
        minutes = self.inside_minutes if inside else self.outside_minutes
        return Due(start + timedelta(minutes=minutes), frozenset(trace.guessed), inside)

    def length_text(self, inside: bool | None = None) -> str:
        if inside is None:
            return self.summary()
        return duration_text(self.inside_minutes if inside else self.outside_minutes)

    def summary(self) -> str:
        return (
            f"工作时间内{duration_text(self.inside_minutes)}，"
            f"工作时间外及节假日{duration_text(self.outside_minutes)}"
        )

    def phrase(self) -> str:
        return f"{self.when}：{self.summary()}内{self.what}"


DeadlineRule = Annotated[
    WorkingDaysRule
    | WorkingHoursRule
    | EndOfWorkingDayRule
    | CalendarDaysRule
    | CalendarMonthsRule
    | DurationRule
    | ByWorkingHoursRule,
    Field(discriminator="kind"),
]

RULE_ADAPTER: TypeAdapter[DeadlineRule] = TypeAdapter(DeadlineRule)


def rule_from_json(data: object) -> DeadlineRule:
    """A rule from its stored snapshot (``rule.model_dump(mode="json")``)."""
    return RULE_ADAPTER.validate_python(data)
