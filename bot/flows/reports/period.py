"""Report periods: a week, a month, a quarter or a year, as people write them.

``parse_period("2026Q4")``, ``"2026-11"``, ``"2026W48"`` (ISO week), ``"2026"``, and the Chinese
forms ``2026年第四季度``, ``2026年11月``, ``2026年第48周``, ``2026年``. A period is a span of local
dates ``[start, end)``; ``bounds(tz)`` turns it into aware datetimes for queries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bot.core.work import FlowError

Kind = Literal["weekly", "monthly", "quarterly", "yearly"]
KINDS: tuple[Kind, ...] = ("weekly", "monthly", "quarterly", "yearly")
KIND_LABELS: dict[str, str] = {
    "weekly": "周报",
    "monthly": "月报",
    "quarterly": "季报",
    "yearly": "年报",
}
QUARTER_NAMES = "一二三四"


class ReportError(FlowError):
    """A period or unit people typed that the reports cannot use; the message says why."""


@dataclass(frozen=True)
class Period:
    kind: Kind
    year: int
    # The month (1–12), quarter (1–4) or ISO week (1–53); 0 for a year.
    number: int = 0

    @property
    def label(self) -> str:
        """The machine form: 2026W48, 2026-11, 2026Q4, 2026 (also the posting key)."""
        if self.kind == "weekly":
            return f"{self.year}W{self.number:02d}"
        if self.kind == "monthly":
            return f"{self.year}-{self.number:02d}"
        if self.kind == "quarterly":
            return f"{self.year}Q{self.number}"
        return str(self.year)

    @property
    def title(self) -> str:
        """The Chinese form: 2026年第48周, 2026年11月, 2026年第四季度, 2026年度."""
        if self.kind == "weekly":
            return f"{self.year}年第{self.number}周"
        if self.kind == "monthly":
            return f"{self.year}年{self.number}月"
        if self.kind == "quarterly":
            return f"{self.year}年第{QUARTER_NAMES[self.number - 1]}季度"
        return f"{self.year}年度"

    @property
    def start(self) -> date:
        if self.kind == "weekly":
            return date.fromisocalendar(self.year, self.number, 1)
        if self.kind == "monthly":
            return date(self.year, self.number, 1)
        if self.kind == "quarterly":
            return date(self.year, 3 * self.number - 2, 1)
        return date(self.year, 1, 1)

    @property
    def end(self) -> date:
        """The first day after the period."""
        return self.next().start

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        return (
            datetime.combine(self.start, time(0), tzinfo=tz),
            datetime.combine(self.end, time(0), tzinfo=tz),
        )

    def next(self) -> Period:
        if self.kind == "weekly":
            following = self.start + timedelta(days=7)
            iso = following.isocalendar()
            return Period("weekly", iso.year, iso.week)
        if self.kind == "monthly":
            if self.number == 12:
                return Period("monthly", self.year + 1, 1)
            return Period("monthly", self.year, self.number + 1)
        if self.kind == "quarterly":
            if self.number == 4:
                return Period("quarterly", self.year + 1, 1)
            return Period("quarterly", self.year, self.number + 1)
        return Period("yearly", self.year + 1)

    def previous(self) -> Period:
        return containing(self.kind, self.start - timedelta(days=1))

    def quarters(self) -> list[Period]:
        """The quarters that overlap this period (a flag of any of them belongs to it)."""
        first = containing("quarterly", self.start)
        found = [first]
        while found[-1].end < self.end:
            found.append(found[-1].next())
        return found


def containing(kind: Kind, day: date) -> Period:
    """The period of ``kind`` that ``day`` falls in."""
    if kind == "weekly":
        iso = day.isocalendar()
        return Period("weekly", iso.year, iso.week)
    if kind == "monthly":
        return Period("monthly", day.year, day.month)
    if kind == "quarterly":
        return Period("quarterly", day.year, (day.month - 1) // 3 + 1)
    return Period("yearly", day.year)


def last_ended(kind: Kind, today: date) -> Period:
    """The latest period of ``kind`` that has ended by ``today`` (the one a cron posts)."""
    return containing(kind, today).previous()


_FORMS: tuple[tuple[re.Pattern[str], Kind], ...] = (
    (re.compile(r"(\d{4})\s*[Ww]\s*(\d{1,2})"), "weekly"),
    (re.compile(r"(\d{4})年第?(\d{1,2})周"), "weekly"),
    (re.compile(r"(\d{4})\s*[Qq]\s*([1-4])"), "quarterly"),
    (re.compile(r"(\d{4})年第?([一二三四1-4])季度?"), "quarterly"),
    (re.compile(r"(\d{4})[-/.](\d{1,2})"), "monthly"),
    (re.compile(r"(\d{4})年(\d{1,2})月份?"), "monthly"),
    (re.compile(r"(\d{4})(?:年度?)?"), "yearly"),
)

EXAMPLES = "2026Q4（季度）、2026-11（月）、2026W48（周）或 2026（年度）"


def parse_period(text: str, kind: Kind | None = None) -> Period:
    """The period ``text`` names; ``kind`` (the CLI's weekly/monthly/…) must agree if given.

    Raises ``ReportError`` with a Chinese message naming the accepted forms.
    """
    cleaned = re.sub(r"\s+", "", text.strip())
    for pattern, found_kind in _FORMS:
        match = pattern.fullmatch(cleaned)
        if match is None:
            continue
        year = int(match.group(1))
        if not 2000 <= year <= 2100:
            raise ReportError(f"“{text}”的年份不对，请写成 {EXAMPLES}。")
        period = _build(found_kind, year, match.group(2) if match.lastindex == 2 else "")
        if period is None:
            raise ReportError(f"“{text}”不是有效的报表期间，请写成 {EXAMPLES}。")
        if kind is not None and period.kind != kind:
            raise ReportError(
                f"“{text}”是{KIND_LABELS[period.kind]}期间，不是{KIND_LABELS[kind]}期间。"
                f"{KIND_LABELS[kind]}请写成 {_example(kind)}。"
            )
        return period
    raise ReportError(f"“{text}”不是报表期间，请写成 {EXAMPLES}。")


def _build(kind: Kind, year: int, part: str) -> Period | None:
    if kind == "yearly":
        return Period("yearly", year)
    number = QUARTER_NAMES.index(part) + 1 if part in QUARTER_NAMES else int(part)
    if kind == "monthly" and not 1 <= number <= 12:
        return None
    if kind == "weekly":
        weeks = date(year, 12, 28).isocalendar().week  # 28 Dec is always in the last week
        if not 1 <= number <= weeks:
            return None
    return Period(kind, year, number)


def _example(kind: Kind) -> str:
    return {"weekly": "2026W48", "monthly": "2026-11", "quarterly": "2026Q4", "yearly": "2026"}[
        kind
    ]
