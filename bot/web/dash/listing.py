"""What every dashboard list is made of: filters, a page of rows, and the same rows as .xlsx.

A list function takes the request's context and query and returns a ``Listing``; the page
renders it as a table with its filter form, the export writes the same cells (every row the
filter selects, not only the page) to a spreadsheet. One function per list means the page
and its export cannot disagree.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill

from bot.core.services import Services
from bot.web.dash.access import Forbidden, Viewer

PAGE_SIZE = 50
# An export larger than this is refused with a hint to narrow the filter (a spreadsheet of a
# million rows helps nobody and would hold a web worker for minutes).
EXPORT_MAX = 100_000


@dataclass(frozen=True)
class Ctx:
    services: Services
    viewer: Viewer
    now: datetime

    def when(self, at: datetime | None) -> str:
        if at is None:
            return ""
        return at.astimezone(self.services.tz).strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class Cell:
    text: str
    css: str = ""  # overdue / warn / ok: how the page colours it
    due: datetime | None = None  # the page counts down to it, every second
    href: str = ""


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class Filter:
    name: str
    label: str
    value: str
    choices: tuple[Choice, ...] | None = None  # None: typed text (or a date)
    kind: str = "text"


@dataclass
class Listing:
    key: str  # the list's name in URLs: /dash/<key>, /dash/<key>.xlsx
    title: str
    columns: tuple[str, ...]
    rows: Sequence[tuple[Cell, ...]]
    total: int
    page: int  # 1-based; 0 when every row is in ``rows`` (an export)
    filters: list[Filter] = field(default_factory=list)
    note: str = ""

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


@dataclass(frozen=True)
class Paging:
    """Which rows to read: one page for the screen, everything for an export."""

    page: int  # 0 = all (export)

    @property
    def offset(self) -> int:
        return 0 if self.page == 0 else (self.page - 1) * PAGE_SIZE

    @property
    def limit(self) -> int:
        return EXPORT_MAX + 1 if self.page == 0 else PAGE_SIZE


def paging(query: Mapping[str, str], export: bool) -> Paging:
    if export:
        return Paging(0)
    try:
        page = int(query.get("page", "1"))
    except ValueError:
        page = 1
    return Paging(max(1, min(page, 100_000)))


def choice_value(query: Mapping[str, str], name: str, choices: tuple[Choice, ...]) -> str:
    """The chosen value if it is one of the choices, else "" (a forged value reads nothing)."""
    value = query.get(name, "")
    return value if any(c.value == value for c in choices) else ""


def int_value(query: Mapping[str, str], name: str) -> int | None:
    try:
        return int(query.get(name, ""))
    except ValueError:
        return None


def unit_filter(
    ctx: Ctx, query: Mapping[str, str], units: list[tuple[int, str]], label: str = "单位"
) -> tuple[Filter, int | None]:
    """The unit select (only units the viewer sees); a unit outside their scope is a 403."""
    chosen = int_value(query, "unit")
    if chosen is not None and not ctx.viewer.sees_unit(chosen):
        raise Forbidden("您只能查看本单位的数据。查看其他单位请联系主管单位。")
    shown = [(i, n) for i, n in units if ctx.viewer.sees_unit(i)]
    choices = (Choice("", "全部"), *(Choice(str(i), n) for i, n in shown))
    return Filter("unit", label, str(chosen or ""), choices), chosen


def duration(seconds: float) -> str:
    """3天4小时 / 5小时20分 / 12分: how long something has waited, to the minute."""
    minutes = max(0, int(seconds // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}天{hours}小时"
    if hours:
        return f"{hours}小时{mins}分"
    return f"{mins}分"


def countdown(ctx: Ctx, due: datetime) -> Cell:
    """剩余 2天3小时 / 已逾期 5小时 (red), ticking on the page."""
    left = (due - ctx.now).total_seconds()
    if left <= 0:  # due now is late already: the deadline engine fires its overdue step then
        return Cell(f"已逾期 {duration(-left)}", css="overdue", due=due)
    css = "warn" if left < timedelta(days=1).total_seconds() else ""
    return Cell(f"剩余 {duration(left)}", css=css, due=due)


def too_many(total: int) -> None:
    if total > EXPORT_MAX:
        raise Forbidden(f"符合条件的记录有 {total} 条，超过导出上限 {EXPORT_MAX} 条，请先筛选。")


def to_xlsx(listing: Listing, *, filters_text: str, exported_at: str) -> bytes:
    """The listing as a workbook: a title row saying the filter, the header, the rows.

    Overdue cells are red and warnings amber, as on the page."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(listing.title[:31])
    sheet.append(
        [f"{listing.title}（{filters_text}；导出于 {exported_at}；共 {listing.total} 条）"]
    )
    header = []
    for name in listing.columns:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    red = Font(color="C0392B", bold=True)
    amber = PatternFill("solid", fgColor="FDEBD0")
    for row in listing.rows:
        values: list[WriteOnlyCell] = []
        for item in row:
            cell = WriteOnlyCell(sheet, value=_excel_safe(item.text))
            if item.css == "overdue":
                cell.font = red
            elif item.css == "warn":
                cell.fill = amber
            values.append(cell)
        sheet.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _excel_safe(text: str) -> str:
    """Text that a spreadsheet will not run as a formula (=, +, -, @ at the start)."""
    if text[:1] in ("=", "+", "-", "@"):
        return "'" + text
    return text
