"""What people type about the roster, parsed (pure): days, shifts, and the duty lead's
override sentence ("12月5日白班由老刘值")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from bot.flows.duty.model import WEEKDAYS, DutyError
from storage.models.duty import ShiftSlot

SLOT_WORDS: dict[str, ShiftSlot] = {
    "白班": ShiftSlot.DAY,
    "日班": ShiftSlot.DAY,
    "早班": ShiftSlot.DAY,
    "夜班": ShiftSlot.NIGHT,
    "晚班": ShiftSlot.NIGHT,
    "全天班": ShiftSlot.FULL,
    "全天": ShiftSlot.FULL,
    "24小时班": ShiftSlot.FULL,
}
_SLOT = "|".join(sorted(SLOT_WORDS, key=len, reverse=True))
# "12月5日白班由老刘值", "12月5日夜班改由小马值班", "明天白班由老刘来值".
OVERRIDE = re.compile(
    rf"^(?P<when>.+?)\s*(?P<slot>{_SLOT})?\s*(?:改)?由\s*(?P<who>[^\s，。,]+?)\s*(?:来)?值(?:班)?[。.!！]?$"
)
# "12月5日白班 老刘" as a swap request names it (the shift, then the colleagues).
SHIFT_THEN_PEOPLE = re.compile(
    rf"^(?P<when>.+?)\s*(?:(?P<slot>{_SLOT})\s*(?:给|请)?\s*|\s+|给|请)(?P<who>[^\s].*)$"
)
FORMAT_HELP = "例如“12月5日白班由老刘值”"


@dataclass(frozen=True)
class ShiftRef:
    """A shift as a person names it: a day and, for day/night teams, which shift."""

    day: date
    slot: ShiftSlot | None


@dataclass(frozen=True)
class OverrideText:
    shift: ShiftRef
    who: str


def parse_day(text: str, today: date) -> date:
    """12月5日 / 12-05 / 2026-12-05 / 5日 / 今天 / 明天 / 后天 / 周六 (the next one)."""
    t = text.strip().replace(" ", "")
    relative = {"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2}
    if t in relative:
        return today + timedelta(days=relative[t])
    found = re.fullmatch(r"(?:(\d{4})[年\-/.])?(\d{1,2})[月\-/.](\d{1,2})[日号]?", t)
    if found:
        year = int(found.group(1)) if found.group(1) else today.year
        try:
            day = date(year, int(found.group(2)), int(found.group(3)))
        except ValueError:
            raise DutyError(f"没有“{text}”这一天，请核对日期。") from None
        if found.group(1) is None and day < today - timedelta(days=31):
            day = day.replace(year=year + 1)  # "1月3日" said in December means next year
        return day
    found = re.fullmatch(r"(\d{1,2})[日号]", t)
    if found:
        try:
            day = today.replace(day=int(found.group(1)))
        except ValueError:
            raise DutyError(f"本月没有“{text}”，请写明月份，如“12月5日”。") from None
        return day
    found = re.fullmatch(r"(?:下)?(?:周|星期|礼拜)([一二三四五六日天])", t)
    if found:
        weekday = WEEKDAYS.index(found.group(1).replace("天", "日"))
        if t.startswith("下"):  # 下周一: the Monday of next calendar week
            return today + timedelta(days=7 - today.weekday() + weekday)
        return today + timedelta(days=(weekday - today.weekday()) % 7)  # the next one
    raise DutyError(f"看不懂日期“{text}”，请写成“12月5日”“明天”或“周六”。")


def parse_shift(when: str, slot: str | None, today: date) -> ShiftRef:
    return ShiftRef(day=parse_day(when, today), slot=SLOT_WORDS[slot] if slot else None)


def parse_override(text: str, today: date) -> OverrideText:
    """ "12月5日白班由老刘值" → the shift and the name; DutyError says how to write it."""
    found = OVERRIDE.match(text.strip())
    if found is None:
        raise DutyError(f"看不懂这条调整，请写成{FORMAT_HELP}。")
    return OverrideText(
        shift=parse_shift(found.group("when"), found.group("slot"), today),
        who=found.group("who"),
    )


def parse_swap(text: str, today: date) -> tuple[ShiftRef, list[str]]:
    """ "12月5日白班 老刘" or "12月5日白班 老刘 小马" → the shift and the colleagues asked."""
    found = SHIFT_THEN_PEOPLE.match(text.strip())
    if found is None:
        raise DutyError("请写明哪一个班、请谁替班，例如“换班 12月5日白班 老刘”。")
    names = [n for n in re.split(r"[\s,，、或]+", found.group("who")) if n]
    if not names:
        raise DutyError("请写明请谁替班，例如“换班 12月5日白班 老刘”。")
    return parse_shift(found.group("when"), found.group("slot"), today), names
