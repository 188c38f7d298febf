"""Report periods as people write them, and the refusals that say how to write them."""

from __future__ import annotations

from datetime import date

import pytest

from bot.flows.reports import Period, ReportError, parse_period
from bot.flows.reports.period import containing, last_ended
from tests.support.dates import SHANGHAI, at

FORMS = "请写成 2026Q4（季度）、2026-11（月）、2026W48（周）或 2026（年度）。"


@pytest.mark.parametrize(
    ("text", "label", "start", "end"),
    [
        ("2026Q4", "2026Q4", date(2026, 10, 1), date(2027, 1, 1)),
        ("2026q1", "2026Q1", date(2026, 1, 1), date(2026, 4, 1)),
        ("2026年第四季度", "2026Q4", date(2026, 10, 1), date(2027, 1, 1)),
        ("2026年3季度", "2026Q3", date(2026, 7, 1), date(2026, 10, 1)),
        ("2026-11", "2026-11", date(2026, 11, 1), date(2026, 12, 1)),
        ("2026-2", "2026-02", date(2026, 2, 1), date(2026, 3, 1)),
        ("2026年12月", "2026-12", date(2026, 12, 1), date(2027, 1, 1)),
        ("2026W48", "2026W48", date(2026, 11, 23), date(2026, 11, 30)),
        ("2026年第1周", "2026W01", date(2025, 12, 29), date(2026, 1, 5)),
        ("2026", "2026", date(2026, 1, 1), date(2027, 1, 1)),
        (" 2026年度 ", "2026", date(2026, 1, 1), date(2027, 1, 1)),
    ],
)
def test_forms(text: str, label: str, start: date, end: date) -> None:
    period = parse_period(text)
    assert period.label == label
    assert (period.start, period.end) == (start, end)
    assert parse_period(period.label) == period  # the label reads back


def test_titles_and_bounds() -> None:
    assert parse_period("2026Q4").title == "2026年第四季度"
    assert parse_period("2026-11").title == "2026年11月"
    assert parse_period("2026W48").title == "2026年第48周"
    assert parse_period("2026").title == "2026年度"
    assert parse_period("2026-11").bounds(SHANGHAI) == (at(2026, 11, 1), at(2026, 12, 1))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "下个月",
            "“下个月”不是报表期间，" + FORMS,
        ),
        (
            "2026-13",
            "“2026-13”不是有效的报表期间，" + FORMS,
        ),
        (
            "2025W53",
            "“2025W53”不是有效的报表期间，" + FORMS,
        ),
        (
            "1999Q1",
            "“1999Q1”的年份不对，" + FORMS,
        ),
    ],
)
def test_bad_periods_say_how_to_write_one(text: str, message: str) -> None:
    with pytest.raises(ReportError) as caught:
        parse_period(text)
    assert str(caught.value) == message


def test_the_kind_must_agree_with_the_command() -> None:
    with pytest.raises(ReportError) as caught:
        parse_period("2026-11", "quarterly")
    assert str(caught.value) == "“2026-11”是月报期间，不是季报期间。季报请写成 2026Q4。"
    assert parse_period("2026Q4", "quarterly") == Period("quarterly", 2026, 4)


def test_neighbours_and_the_period_a_cron_posts() -> None:
    assert Period("weekly", 2026, 53).next() == Period("weekly", 2027, 1)
    assert Period("weekly", 2026, 1).previous() == Period("weekly", 2025, 52)
    assert Period("quarterly", 2026, 1).previous() == Period("quarterly", 2025, 4)
    assert Period("monthly", 2026, 12).next() == Period("monthly", 2027, 1)
    assert last_ended("quarterly", date(2027, 1, 1)) == Period("quarterly", 2026, 4)
    assert last_ended("monthly", date(2026, 12, 15)) == Period("monthly", 2026, 11)
    assert last_ended("weekly", date(2026, 11, 30)) == Period("weekly", 2026, 48)
    assert last_ended("yearly", date(2027, 3, 1)) == Period("yearly", 2026)
    assert containing("weekly", date(2027, 1, 1)) == Period("weekly", 2026, 53)
    assert [q.label for q in Period("yearly", 2026).quarters()] == [
        "2026Q1",
        "2026Q2",
        "2026Q3",
        "2026Q4",
    ]
    assert [q.label for q in parse_period("2026W40").quarters()] == ["2026Q3", "2026Q4"]
