"""China's working calendar: weekdays minus public holidays plus 调休 make-up days.

Day data comes, per year, from the admin's override file (it wins), else from the
``chinese-calendar`` package (2004–2026), else from the weekday rule alone. A result that
consulted a year of the last kind is *provisional*: every computation here reports the years
it had to guess, so callers can say so to people.

Working hours are a property of the policy preset (kunming's "8 working hours"), so a
calendar is built from the day data plus one preset's hours.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import cache
from zoneinfo import ZoneInfo

import chinese_calendar

# Never walk further than this looking for a working day or working time: a calendar with
# no working day in ten years is a broken override file, not a deadline.
MAX_SCAN_DAYS = 3660


class DayKind(StrEnum):
    WORKDAY = "workday"  # an ordinary Monday–Friday
    MAKEUP = "makeup"  # 调休上班: a weekend day worked instead of a holiday
    WEEKEND = "weekend"
    HOLIDAY = "holiday"  # 法定节假日, including the weekend days inside the holiday

    @property
    def working(self) -> bool:
        return self in (DayKind.WORKDAY, DayKind.MAKEUP)


class YearSource(StrEnum):
    OFFICIAL = "official"  # chinese-calendar's State Council data
    OVERRIDE = "override"  # the admin's calendar file
    NONE = "none"  # nothing: weekday rule only, results are provisional

    @property
    def label(self) -> str:
        return {
            YearSource.OFFICIAL: "国务院办公厅通知（chinese-calendar 数据）",
            YearSource.OVERRIDE: "日历覆盖文件",
            YearSource.NONE: "无数据（按周一至周五推算）",
        }[self]


@dataclass(frozen=True)
class Day:
    date: date
    kind: DayKind
    name: str  # the holiday's Chinese name ("国庆节"), "" for ordinary days
    source: YearSource

    @property
    def working(self) -> bool:
        return self.kind.working


@dataclass(frozen=True)
class YearOverride:
    """One year transcribed from the State Council notice into the calendar file."""

    year: int
    notice: str = ""
    holidays: Mapping[date, str] = field(default_factory=dict)
    workdays: Mapping[date, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CalendarOverrides:
    """Everything the calendar file says. A year listed here replaces the official data."""

    years: Mapping[int, YearOverride] = field(default_factory=dict)
    revision: str = ""  # hash of the file's content ("" when there is no file)

    def holiday(self, day: date) -> str | None:
        for entry in self.years.values():
            if day in entry.holidays:
                return entry.holidays[day]
        return None

    def workday(self, day: date) -> str | None:
        for entry in self.years.values():
            if day in entry.workdays:
                return entry.workdays[day]
        return None


NO_OVERRIDES = CalendarOverrides()


@dataclass(frozen=True)
class WorkingHours:
    """The blocks of a working day, e.g. 08:30–12:00 and 13:30–18:00 (8 hours)."""

    blocks: tuple[tuple[time, time], ...]

    def __post_init__(self) -> None:
        if not self.blocks:
            raise ValueError("工作时间至少要有一个时段")
        previous_end: time | None = None
        for start, end in self.blocks:
            if start >= end:
                raise ValueError(f"工作时段 {start:%H:%M}–{end:%H:%M} 的开始时间应早于结束时间")
            if previous_end is not None and start < previous_end:
                raise ValueError("工作时段应按时间先后排列且互不重叠")
            previous_end = end

    @classmethod
    def parse(cls, blocks: Iterable[tuple[str, str]]) -> WorkingHours:
        """From ``[("08:30", "12:00"), ("13:30", "18:00")]``."""
        return cls(tuple((time.fromisoformat(a), time.fromisoformat(b)) for a, b in blocks))

    @property
    def per_day(self) -> timedelta:
        total = timedelta(0)
        for start, end in self.blocks:
            total += _as_delta(end) - _as_delta(start)
        return total

    @property
    def day_end(self) -> time:
        return self.blocks[-1][1]

    def label(self) -> str:
        return "、".join(f"{a:%H:%M}–{b:%H:%M}" for a, b in self.blocks)


DEFAULT_HOURS = WorkingHours.parse([("08:30", "12:00"), ("13:30", "18:00")])


def _as_delta(t: time) -> timedelta:
    return timedelta(hours=t.hour, minutes=t.minute, seconds=t.second)


@cache
def official_years() -> frozenset[int]:
    """Years chinese-calendar has the State Council's data for."""
    known = {d.year for d in chinese_calendar.holidays}
    return frozenset(range(min(known), max(known) + 1))


_HOLIDAY_NAMES = {h.value: h.chinese for h in chinese_calendar.Holiday}


def _official_day(day: date) -> tuple[DayKind, str]:
    if day in chinese_calendar.workdays:
        return DayKind.MAKEUP, _HOLIDAY_NAMES.get(chinese_calendar.workdays[day], "")
    if day in chinese_calendar.holidays:
        return DayKind.HOLIDAY, _HOLIDAY_NAMES.get(chinese_calendar.holidays[day], "")
    return (DayKind.WEEKEND if day.weekday() >= 5 else DayKind.WORKDAY), ""


@dataclass
class Trace:
    """The years a computation had to guess (no official data, no override)."""

    guessed: set[int] = field(default_factory=set)

    def note(self, day: Day) -> None:
        if day.source is YearSource.NONE:
            self.guessed.add(day.date.year)


class WorkingCalendar:
    """Working days and working time in one timezone, for one preset's working hours."""

    def __init__(
        self,
        *,
        tz: ZoneInfo,
        hours: WorkingHours = DEFAULT_HOURS,
        overrides: CalendarOverrides = NO_OVERRIDES,
        use_official: bool = True,
    ) -> None:
        self.tz = tz
        self.hours = hours
        self.overrides = overrides
        self.use_official = use_official

    def with_hours(self, hours: WorkingHours) -> WorkingCalendar:
        return WorkingCalendar(
            tz=self.tz, hours=hours, overrides=self.overrides, use_official=self.use_official
        )

    # ---- days ---------------------------------------------------------------------------

    def year_source(self, year: int) -> YearSource:
        if year in self.overrides.years:
            return YearSource.OVERRIDE
        if self.use_official and year in official_years():
            return YearSource.OFFICIAL
        return YearSource.NONE

    def day(self, day: date) -> Day:
        """What kind of day ``day`` is, and where we know it from."""
        # An override entry wins even across a year boundary (a 元旦 make-up day may sit in
        # the previous December); otherwise the date's own year decides the source.
        name = self.overrides.workday(day)
        if name is not None:
            return Day(day, DayKind.MAKEUP, name, YearSource.OVERRIDE)
        name = self.overrides.holiday(day)
        if name is not None:
            return Day(day, DayKind.HOLIDAY, name, YearSource.OVERRIDE)
        source = self.year_source(day.year)
        if source is YearSource.OFFICIAL:
            kind, name = _official_day(day)
            return Day(day, kind, name, source)
        kind = DayKind.WEEKEND if day.weekday() >= 5 else DayKind.WORKDAY
        return Day(day, kind, "", source)

    def is_working_day(self, day: date, trace: Trace | None = None) -> bool:
        info = self.day(day)
        if trace is not None:
            trace.note(info)
        return info.working

    def working_day_on_or_after(self, day: date, trace: Trace | None = None) -> date:
        for offset in range(MAX_SCAN_DAYS):
            candidate = day + timedelta(days=offset)
            if self.is_working_day(candidate, trace):
                return candidate
        raise ValueError(f"{day} 之后十年内没有工作日，请检查日历覆盖文件")

    def nth_working_day_after(self, day: date, n: int, trace: Trace | None = None) -> date:
        """The ``n``-th working day strictly after ``day`` (``day`` itself is not counted)."""
        if n < 1:
            raise ValueError("n must be at least 1")
        found = 0
        current = day
        for _ in range(MAX_SCAN_DAYS):
            current += timedelta(days=1)
            if self.is_working_day(current, trace):
                found += 1
                if found == n:
                    return current
        raise ValueError(f"{day} 之后十年内没有足够的工作日，请检查日历覆盖文件")

    # ---- working time -------------------------------------------------------------------

    def local(self, at: datetime) -> datetime:
        if at.tzinfo is None:
            raise ValueError("naive datetime")
        return at.astimezone(self.tz)

    def periods(self, day: date) -> list[tuple[datetime, datetime]]:
        """The working blocks of ``day`` as aware datetimes ([] on a non-working day)."""
        if not self.day(day).working:
            return []
        return [
            (datetime.combine(day, a, self.tz), datetime.combine(day, b, self.tz))
            for a, b in self.hours.blocks
        ]

    def in_working_hours(self, at: datetime, trace: Trace | None = None) -> bool:
        """Inside a working block of a working day (block start inclusive, end exclusive)."""
        local = self.local(at)
        if not self.is_working_day(local.date(), trace):
            return False
        moment = local.time()
        return any(a <= moment < b for a, b in self.hours.blocks)

    def end_of_working_day(self, day: date) -> datetime:
        return datetime.combine(day, self.hours.day_end, self.tz)

    def add_working_time(
        self, start: datetime, amount: timedelta, trace: Trace | None = None
    ) -> datetime:
        """``start`` plus ``amount`` of working time; time outside working hours does not count.

        A result that lands exactly at the end of a block stays there (18:00), rather than
        jumping to the next block's start: both are the same instant in working time, and
        the earlier one is what people expect to read.
        """
        if amount < timedelta(0):
            raise ValueError("amount must not be negative")
        if amount == timedelta(0):
            return start
        remaining = amount
        cursor = self.local(start)
        day = cursor.date()
        for _ in range(MAX_SCAN_DAYS):
            info = self.day(day)
            if trace is not None:
                trace.note(info)
            if info.working:
                for block_start, block_end in self.periods(day):
                    if block_end <= cursor:
                        continue
                    begin = max(block_start, cursor)
                    available = block_end - begin
                    if remaining <= available:
                        return begin + remaining
                    remaining -= available
            day += timedelta(days=1)
            cursor = datetime.combine(day, time(0), self.tz)
        raise ValueError("十年内凑不够所需的工作时间，请检查日历覆盖文件")

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time elapsed from ``start`` to ``end`` (zero if ``end`` is earlier)."""
        if end <= start:
            return timedelta(0)
        total = timedelta(0)
        a, b = self.local(start), self.local(end)
        day = a.date()
        while day <= b.date():
            for block_start, block_end in self.periods(day):
                lo, hi = max(block_start, a), min(block_end, b)
                if hi > lo:
                    total += hi - lo
            day += timedelta(days=1)
        return total

    def month(self, year: int, month: int) -> list[Day]:
        """Every day of a month, for ``dutybot calendar show``."""
        first = date(year, month, 1)
        days: list[Day] = []
        current = first
        while current.month == month:
            days.append(self.day(current))
            current += timedelta(days=1)
        return days
