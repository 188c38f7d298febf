"""The working calendar: official data, 调休 make-up days, the override file, working time."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.timekeeping.calendar import (
    DEFAULT_HOURS,
    DayKind,
    Trace,
    WorkingCalendar,
    WorkingHours,
    YearSource,
)
from bot.timekeeping.overrides import CalendarFile, CalendarFileError, parse_overrides, template

TZ = ZoneInfo("Asia/Shanghai")
CAL = WorkingCalendar(tz=TZ)


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=TZ)


OVERRIDE_2027 = """
[2027]
notice = "国务院办公厅关于2027年部分节假日安排的通知"
holidays = [
  { name = "元旦", from = 2027-01-01, to = 2027-01-03 },
  { name = "春节", from = 2027-02-06, to = 2027-02-14 },
]
workdays = [
  { name = "春节", date = 2027-02-20 },
]
"""


# ---- official data ---------------------------------------------------------------------------


def test_national_day_2026_week() -> None:
    for day in range(1, 8):
        info = CAL.day(date(2026, 10, day))
        assert info.kind is DayKind.HOLIDAY, day
        assert info.name == "国庆节"
        assert info.source is YearSource.OFFICIAL
    assert CAL.is_working_day(date(2026, 10, 8))  # Thursday after the holiday
    assert CAL.is_working_day(date(2026, 10, 9))
    # Mid-autumn (25–27 September) is a separate holiday in 2026.
    assert CAL.day(date(2026, 9, 25)).name == "中秋"
    assert not CAL.is_working_day(date(2026, 9, 25))


def test_make_up_saturday_and_sunday_are_working_days() -> None:
    saturday = CAL.day(date(2026, 10, 10))
    assert saturday.date.weekday() == 5
    assert saturday.kind is DayKind.MAKEUP
    assert saturday.working
    assert saturday.name == "国庆节"
    sunday = CAL.day(date(2026, 9, 20))
    assert sunday.date.weekday() == 6
    assert sunday.kind is DayKind.MAKEUP
    assert sunday.working
    new_year_sunday = CAL.day(date(2026, 1, 4))
    assert new_year_sunday.kind is DayKind.MAKEUP
    # An ordinary weekend is not.
    assert CAL.day(date(2026, 10, 11)).kind is DayKind.WEEKEND


def test_spring_festival_2026() -> None:
    off = [date(2026, 2, 15) + timedelta(days=i) for i in range(9)]  # 15–23 February
    assert all(CAL.day(d).kind is DayKind.HOLIDAY for d in off)
    assert all(CAL.day(d).name == "春节" for d in off)
    assert CAL.day(date(2026, 2, 14)).kind is DayKind.MAKEUP  # Saturday before
    assert CAL.day(date(2026, 2, 28)).kind is DayKind.MAKEUP  # Saturday after
    assert CAL.is_working_day(date(2026, 2, 24))
    # 2 February 2026 is an ordinary Monday.
    assert CAL.day(date(2026, 2, 2)).kind is DayKind.WORKDAY


def test_nth_working_day_across_the_new_year_of_2026() -> None:
    # 1–3 January off, Sunday 4 January worked instead.
    assert CAL.nth_working_day_after(date(2025, 12, 31), 1) == date(2026, 1, 4)
    assert CAL.nth_working_day_after(date(2025, 12, 31), 2) == date(2026, 1, 5)
    assert CAL.nth_working_day_after(date(2025, 12, 30), 1) == date(2025, 12, 31)


def test_a_year_without_data_uses_weekdays_and_is_traced() -> None:
    assert CAL.year_source(2027) is YearSource.NONE
    new_year = CAL.day(date(2027, 1, 1))  # a Friday, a holiday in reality
    assert new_year.kind is DayKind.WORKDAY
    assert new_year.source is YearSource.NONE
    trace = Trace()
    assert CAL.nth_working_day_after(date(2026, 12, 30), 2, trace) == date(2027, 1, 1)
    assert trace.guessed == {2027}
    trace = Trace()
    CAL.nth_working_day_after(date(2026, 12, 1), 3, trace)
    assert trace.guessed == set()
    assert CAL.year_source(2003) is YearSource.NONE


# ---- the override file -------------------------------------------------------------------------


def test_override_adds_a_year() -> None:
    cal = WorkingCalendar(tz=TZ, overrides=parse_overrides(OVERRIDE_2027))
    assert cal.year_source(2027) is YearSource.OVERRIDE
    new_year = cal.day(date(2027, 1, 1))
    assert new_year.kind is DayKind.HOLIDAY
    assert new_year.name == "元旦"
    assert new_year.source is YearSource.OVERRIDE
    assert cal.day(date(2027, 2, 20)).kind is DayKind.MAKEUP  # a Saturday
    assert cal.day(date(2027, 1, 4)).kind is DayKind.WORKDAY
    assert cal.day(date(2027, 1, 9)).kind is DayKind.WEEKEND
    trace = Trace()
    assert cal.nth_working_day_after(date(2026, 12, 31), 1, trace) == date(2027, 1, 4)
    assert trace.guessed == set()


def test_override_replaces_the_official_data_of_its_year() -> None:
    text = """
[2026]
notice = "更正"
holidays = [ { name = "国庆节", from = 2026-10-01, to = 2026-10-03 } ]
"""
    cal = WorkingCalendar(tz=TZ, overrides=parse_overrides(text))
    assert cal.year_source(2026) is YearSource.OVERRIDE
    assert cal.day(date(2026, 10, 3)).kind is DayKind.HOLIDAY
    # The official 4–7 October holiday and the 10 October make-up day are gone with it.
    assert cal.day(date(2026, 10, 5)).kind is DayKind.WORKDAY
    assert cal.day(date(2026, 10, 10)).kind is DayKind.WEEKEND
    # Other years keep the official data.
    assert cal.day(date(2025, 10, 1)).source is YearSource.OFFICIAL


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[2027\n", "不是有效的 TOML"),
        ('[abc]\nholidays = [ { name = "元旦", date = 2027-01-01 } ]', "不是年份"),
        ('[2027]\nnotice = "x"', "没有列出任何节假日"),
        ('[2027]\nholidays = [ { name = "元旦", date = "2027-13-01" } ]', "不是有效日期"),
        ("[2027]\nholidays = [ { date = 2027-01-01 } ]", "缺少 name"),
        ('[2027]\nholidays = [ { name = "元旦" } ]', "缺少日期"),
        ('[2027]\nholidays = [ { name = "元旦", from = 2027-01-03, to = 2027-01-01 } ]', "早于"),
        (
            '[2027]\nholidays = [ { name = "元旦", date = 2027-01-01 } ]\n'
            'workdays = [ { name = "元旦", date = 2027-01-05 } ]',
            "应是周六或周日",
        ),
        (
            '[2027]\nholidays = [ { name = "春节", from = 2027-02-06, to = 2027-02-14 } ]\n'
            'workdays = [ { name = "春节", date = 2027-02-06 } ]',
            "同时被写成节假日和调休上班日",
        ),
        ('[2027]\nholiday = [ { name = "元旦", date = 2027-01-01 } ]', "不认识的项"),
    ],
)
def test_override_errors_say_what_to_fix(text: str, expected: str) -> None:
    with pytest.raises(CalendarFileError) as raised:
        parse_overrides(text)
    assert expected in str(raised.value)


def test_the_template_does_not_load_until_filled_in() -> None:
    skeleton = template(2028)
    assert "[2028]" in skeleton
    assert "国务院办公厅" in skeleton
    with pytest.raises(CalendarFileError, match="不是有效日期"):
        parse_overrides(skeleton)
    filled = skeleton.replace("2028-MM-DD", "2028-01-01")
    # Every holiday now on one day, the make-up day on a weekday: rejected for that reason.
    with pytest.raises(CalendarFileError, match=r"重复出现|周六或周日"):
        parse_overrides(filled)


def test_calendar_file_reloads_on_change_and_keeps_the_last_good_content(tmp_path: Path) -> None:
    path = tmp_path / "calendar.toml"
    source = CalendarFile(path)
    assert source.load().years == {}
    path.write_text(OVERRIDE_2027, encoding="utf-8")
    assert source.refresh() is True
    assert 2027 in source.overrides.years
    revision = source.overrides.revision
    assert source.refresh() is False  # unchanged
    path.write_text("[2027\n", encoding="utf-8")  # a broken edit
    assert source.refresh() is False
    assert source.overrides.revision == revision
    assert "不是有效的 TOML" in source.error
    path.unlink()
    assert source.refresh() is True
    assert source.overrides.years == {}


# ---- working hours ---------------------------------------------------------------------------


def test_default_hours_are_the_eight_working_hours() -> None:
    assert DEFAULT_HOURS.per_day == timedelta(hours=8)
    assert DEFAULT_HOURS.label() == "08:30–12:00、13:30–18:00"


@pytest.mark.parametrize(
    ("blocks", "message"),
    [
        ([], "至少要有一个时段"),
        ([("12:00", "08:30")], "应早于"),
        ([("08:30", "12:00"), ("11:00", "18:00")], "互不重叠"),
    ],
)
def test_bad_working_hours(blocks: list[tuple[str, str]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WorkingHours.parse(blocks)


@pytest.mark.parametrize(
    ("when", "inside"),
    [
        (at(2026, 10, 9, 8, 29), False),
        (at(2026, 10, 9, 8, 30), True),
        (at(2026, 10, 9, 11, 59), True),
        (at(2026, 10, 9, 12, 0), False),  # lunch
        (at(2026, 10, 9, 13, 30), True),
        (at(2026, 10, 9, 17, 59), True),
        (at(2026, 10, 9, 18, 0), False),
        (at(2026, 10, 3, 10, 0), False),  # National Day
        (at(2026, 10, 10, 10, 0), True),  # make-up Saturday
        (at(2026, 10, 11, 10, 0), False),  # Sunday
        (datetime(2026, 10, 9, 2, 0, tzinfo=ZoneInfo("UTC")), True),  # 10:00 in Shanghai
    ],
)
def test_in_working_hours(when: datetime, inside: bool) -> None:
    assert CAL.in_working_hours(when) is inside


def test_adding_working_time() -> None:
    # 2 h before lunch, 4.5 h after: 6.5 h left on Friday 9 October from 10:00.
    assert CAL.add_working_time(at(2026, 10, 9, 10), timedelta(hours=2)) == at(2026, 10, 9, 12)
    assert CAL.add_working_time(at(2026, 10, 9, 10), timedelta(hours=3)) == at(2026, 10, 9, 14, 30)
    # Exactly a day's remainder ends at 18:00, not at 08:30 next morning.
    assert CAL.add_working_time(at(2026, 10, 9, 10), timedelta(hours=6.5)) == at(2026, 10, 9, 18)
    # Continues on the make-up Saturday 10 October.
    assert CAL.add_working_time(at(2026, 10, 9, 10), timedelta(hours=8)) == at(2026, 10, 10, 10)
    # From the evening before the holiday week to the first morning after it.
    assert CAL.add_working_time(at(2026, 9, 30, 19), timedelta(hours=1)) == at(2026, 10, 8, 9, 30)
    # Zero adds nothing, not even a move to working time.
    assert CAL.add_working_time(at(2026, 10, 3, 3), timedelta(0)) == at(2026, 10, 3, 3)


@settings(max_examples=200, deadline=None)
@given(
    start=st.datetimes(
        min_value=datetime(2025, 12, 1), max_value=datetime(2026, 12, 31), timezones=st.just(TZ)
    ),
    minutes=st.integers(min_value=1, max_value=60 * 60),
)
def test_working_time_between_undoes_adding_it(start: datetime, minutes: int) -> None:
    amount = timedelta(minutes=minutes)
    end = CAL.add_working_time(start, amount)
    assert end > start
    assert CAL.working_time_between(start, end) == amount
    # The end always lies inside a working block or at its end.
    local = end.astimezone(TZ)
    assert CAL.is_working_day(local.date())
    assert any(a < local.time() <= b for a, b in DEFAULT_HOURS.blocks)
