"""The calendar override file (``DUTYBOT_CALENDAR_FILE``, default ``<home>/calendar.toml``).

An admin transcribes each year's State Council notice (国务院办公厅关于某年部分节假日安排的通知)
into one table per year::

    [2027]
    notice = "国务院办公厅关于2027年部分节假日安排的通知"
    holidays = [
      { name = "元旦", from = 2027-01-01, to = 2027-01-03 },
      { name = "春节", from = 2027-02-06, to = 2027-02-14 },
    ]
    workdays = [
      { name = "春节", date = 2027-02-07 },
    ]

A year present in the file replaces the official data for that year completely.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bot.timekeeping.calendar import NO_OVERRIDES, CalendarOverrides, YearOverride

MAX_RANGE_DAYS = 31


class CalendarFileError(ValueError):
    """The override file cannot be used; the message says where and what to fix (Chinese)."""


def parse_overrides(text: str, origin: str = "日历覆盖文件") -> CalendarOverrides:
    """Parse and validate the file's content."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CalendarFileError(f"{origin} 不是有效的 TOML：{exc}") from None
    years: dict[int, YearOverride] = {}
    for key, table in raw.items():
        if not (isinstance(key, str) and key.isdigit() and len(key) == 4):
            raise CalendarFileError(
                f"{origin} 中的 [{key}] 不是年份：每一节应是一个年份，如 [2027]"
            )
        if not isinstance(table, dict):
            raise CalendarFileError(f"{origin} 中的 {key} 应是一节 [{key}]，而不是单个值")
        year = int(key)
        years[year] = _parse_year(year, table, origin)
    _check_no_conflicts(years, origin)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    return CalendarOverrides(years=years, revision=digest)


def _parse_year(year: int, table: dict[str, Any], origin: str) -> YearOverride:
    where = f"{origin} [{year}]"
    unknown = set(table) - {"notice", "holidays", "workdays"}
    if unknown:
        raise CalendarFileError(
            f"{where} 有不认识的项：{'、'.join(sorted(unknown))}"
            "（只能有 notice、holidays、workdays）"
        )
    notice = table.get("notice", "")
    if not isinstance(notice, str):
        raise CalendarFileError(f"{where} 的 notice 应是文字（通知的标题或文号）")
    holidays = _parse_entries(table.get("holidays", []), f"{where} holidays")
    workdays = _parse_entries(table.get("workdays", []), f"{where} workdays")
    if not holidays:
        raise CalendarFileError(
            f"{where} 没有列出任何节假日：请按国务院办公厅通知填写 holidays，"
            "否则这一年会被当作没有节假日"
        )
    for day in workdays:
        if day.weekday() < 5:
            raise CalendarFileError(
                f"{where} workdays 中的 {day:%Y-%m-%d} 是周{'一二三四五'[day.weekday()]}，"
                "调休上班日应是周六或周日"
            )
    return YearOverride(year=year, notice=notice, holidays=holidays, workdays=workdays)


def _parse_entries(value: Any, where: str) -> dict[date, str]:
    if not isinstance(value, list):
        raise CalendarFileError(
            f'{where} 应是一个列表，如 [{{ name = "元旦", date = 2027-01-01 }}]'
        )
    days: dict[date, str] = {}
    for index, entry in enumerate(value, start=1):
        item = f"{where} 第{index}项"
        if not isinstance(entry, dict):
            raise CalendarFileError(f'{item} 应写成 {{ name = "…", date = … }}')
        unknown = set(entry) - {"name", "date", "from", "to"}
        if unknown:
            raise CalendarFileError(f"{item} 有不认识的项：{'、'.join(sorted(unknown))}")
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            raise CalendarFileError(f"{item} 缺少 name（节日名称，如“春节”）")
        if "date" in entry:
            if "from" in entry or "to" in entry:
                raise CalendarFileError(
                    f"{item} 请只写 date（单日），或只写 from 和 to（连续多日）"
                )
            span = [_as_date(entry["date"], f"{item} 的 date")]
        elif "from" in entry and "to" in entry:
            first = _as_date(entry["from"], f"{item} 的 from")
            last = _as_date(entry["to"], f"{item} 的 to")
            if last < first:
                raise CalendarFileError(f"{item} 的 to 早于 from")
            if (last - first).days >= MAX_RANGE_DAYS:
                raise CalendarFileError(f"{item} 跨度超过 {MAX_RANGE_DAYS} 天，请检查日期")
            span = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        else:
            raise CalendarFileError(f"{item} 缺少日期：写 date = 2027-01-01，或 from 和 to")
        for day in span:
            if day in days:
                raise CalendarFileError(f"{item} 的 {day:%Y-%m-%d} 重复出现")
            days[day] = name.strip()
    return days


def _as_date(value: Any, what: str) -> date:
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise CalendarFileError(f"{what} 不是有效日期，请写成 2027-01-01 的形式")


def _check_no_conflicts(years: dict[int, YearOverride], origin: str) -> None:
    holidays: dict[date, int] = {}
    for entry in years.values():
        for day in entry.holidays:
            holidays[day] = entry.year
    for entry in years.values():
        for day in entry.workdays:
            if day in holidays:
                raise CalendarFileError(
                    f"{origin} 中 {day:%Y-%m-%d} 同时被写成节假日和调休上班日，请核对通知"
                )


@dataclass
class CalendarFile:
    """The override file on disk, re-read when it changes (checked with a cheap stat)."""

    path: Path
    overrides: CalendarOverrides = NO_OVERRIDES
    error: str = ""  # the last reload's problem; the previous good content stays in use
    _stamp: tuple[int, int] | None = None

    def load(self) -> CalendarOverrides:
        """Read the file now; raise ``CalendarFileError`` if it is unusable."""
        stamp = self._stat()
        if stamp is None:
            self.overrides, self._stamp, self.error = NO_OVERRIDES, None, ""
            return self.overrides
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CalendarFileError(f"无法读取日历覆盖文件 {self.path}：{exc}") from None
        self.overrides = parse_overrides(text, origin=f"日历覆盖文件 {self.path}")
        self._stamp = stamp
        self.error = ""
        return self.overrides

    def refresh(self) -> bool:
        """Reload if the file changed; True when the content in use changed."""
        if self._stat() == self._stamp:
            return False
        before = self.overrides.revision
        try:
            self.load()
        except CalendarFileError as exc:
            # Keep calculating with the last good content; the error is reported to admins.
            self.error = str(exc)
            self._stamp = self._stat()
            return False
        return self.overrides.revision != before

    def _stat(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size)


def template(year: int) -> str:
    """A skeleton for one year; it does not load until every MM-DD is filled in."""
    return f"""# {year}年节假日安排：请照国务院办公厅关于{year}年部分节假日安排的通知逐项填写，
# 把每个 MM-DD 换成通知上的日期（单日写 date = {year}-01-01，连续多日写 from 和 to）。
# holidays 写放假的日子（含其中的周末），workdays 写调休上班的周六、周日。
# 保存后系统会在几秒内重新计算所有未结束的期限。
[{year}]
notice = "国务院办公厅关于{year}年部分节假日安排的通知"
holidays = [
  {{ name = "元旦", from = "{year}-MM-DD", to = "{year}-MM-DD" }},
  {{ name = "春节", from = "{year}-MM-DD", to = "{year}-MM-DD" }},
  {{ name = "清明节", from = "{year}-MM-DD", to = "{year}-MM-DD" }},
  {{ name = "劳动节", from = "{year}-MM-DD", to = "{year}-MM-DD" }},
  {{ name = "端午节", from = "{year}-MM-DD", to = "{year}-MM-DD" }},
  {{ name = "中秋节", from = "{year}-MM-DD", to = "{year}-MM-DD" }},
  {{ name = "国庆节", from = "{year}-MM-DD", to = "{year}-MM-DD" }},
]
workdays = [
  {{ name = "春节", date = "{year}-MM-DD" }},
]
"""
