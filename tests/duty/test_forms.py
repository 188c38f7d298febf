"""What people type about the roster, parsed (pure)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.flows.duty.forms.roster import parse_day, parse_override, parse_swap
from bot.flows.duty.model import DutyError
from storage.models.duty import ShiftSlot

FRIDAY = date(2026, 10, 9)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("今天", date(2026, 10, 9)),
        ("明天", date(2026, 10, 10)),
        ("后天", date(2026, 10, 11)),
        ("10月12日", date(2026, 10, 12)),
        ("10-12", date(2026, 10, 12)),
        ("2026-10-12", date(2026, 10, 12)),
        ("12号", date(2026, 10, 12)),
        ("周六", date(2026, 10, 10)),
        ("星期五", date(2026, 10, 9)),  # today is the next Friday
        ("下周一", date(2026, 10, 12)),
        ("下周五", date(2026, 10, 16)),
        ("1月3日", date(2027, 1, 3)),  # said in autumn: next January
    ],
)
def test_days_as_people_write_them(text: str, day: date) -> None:
    assert parse_day(text, FRIDAY) == day


@pytest.mark.parametrize("text", ["2月30日", "下下周", "昨天晚上", "31号"])
def test_days_that_do_not_exist_or_cannot_be_read(text: str) -> None:
    with pytest.raises(DutyError):
        parse_day(text, date(2026, 9, 9) if text == "31号" else FRIDAY)


@pytest.mark.parametrize(
    ("text", "day", "slot", "who"),
    [
        ("12月5日白班由老刘值", date(2026, 12, 5), ShiftSlot.DAY, "老刘"),
        ("12月5日夜班改由小马值班", date(2026, 12, 5), ShiftSlot.NIGHT, "小马"),
        ("明天白班由老刘来值。", date(2026, 10, 10), ShiftSlot.DAY, "老刘"),
        ("周六由小陈值", date(2026, 10, 10), None, "小陈"),
    ],
)
def test_the_override_sentence(text: str, day: date, slot: ShiftSlot | None, who: str) -> None:
    parsed = parse_override(text, FRIDAY)
    assert (parsed.shift.day, parsed.shift.slot, parsed.who) == (day, slot, who)


@pytest.mark.parametrize(
    ("text", "slot", "names"),
    [
        ("10月12日白班 老刘", ShiftSlot.DAY, ["老刘"]),
        ("10月12日白班老刘", ShiftSlot.DAY, ["老刘"]),
        ("10月12日白班 老刘 小马", ShiftSlot.DAY, ["老刘", "小马"]),
        ("10月12日白班 老刘、小马", ShiftSlot.DAY, ["老刘", "小马"]),
        ("10月12日夜班请老刘或小马", ShiftSlot.NIGHT, ["老刘", "小马"]),
        ("10月12日 老刘", None, ["老刘"]),
    ],
)
def test_the_swap_request(text: str, slot: ShiftSlot | None, names: list[str]) -> None:
    shift, asked = parse_swap(text, FRIDAY)
    assert (shift.day, shift.slot, asked) == (date(2026, 10, 12), slot, names)
