"""A report as an .xlsx workbook: 说明, 单位, 账号, 审核时效, 值班响应, 标记 sheets."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bot.flows.reports.figures import Report, Spread, UnitFigures
from bot.flows.reports.period import KIND_LABELS

HEADER_FILL = PatternFill("solid", fgColor="1F618D")
HEADER_FONT = Font(bold=True, color="FFFFFF")
BAD_FONT = Font(color="C0392B", bold=True)


def _when(at: datetime | None, tz: ZoneInfo) -> str:
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if at is not None else "—"


def _num(value: float | None) -> float | str:
    return round(value, 1) if value is not None else "—"


def _sheet(book: Workbook, title: str, header: list[str], rows: list[list[object]]) -> Worksheet:
    sheet = book.create_sheet(title)
    sheet.append(header)
    for cell in sheet[1]:
        cell.fill = HEADER_FILL
        cell.font = HEADER_FONT
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for row in rows:
        sheet.append(row)
    sheet.freeze_panes = "B2"
    for index, name in enumerate(header, start=1):
        widest = max([len(str(name))] + [len(str(r[index - 1])) for r in rows[:200]])
        sheet.column_dimensions[get_column_letter(index)].width = min(60, max(8, widest * 2 + 2))
    return sheet


def _unit_line(row: UnitFigures) -> list[object]:
    rate = f"{row.updates / row.required:.0%}" if row.required else "—"
    return [
        row.name,
        row.accounts,
        row.updates,
        row.required,
        rate,
        row.accounts_short,
        row.accounts_silent,
        row.longest_silence,
        row.rect.issued,
        row.rect.on_time,
        row.rect.overdue,
        row.rect.reopened,
        row.rect.open,
        row.alerts,
        _num(row.alert_ack.median),
        _num(row.alert_ack.p90),
        row.alerts_unacknowledged,
        row.handovers,
        _num(row.handover_ack.median),
        _num(row.handover_ack.p90),
        row.handovers_unacknowledged,
        "、".join(row.flags) or "—",
    ]


UNIT_HEADER = [
    "单位",
    "账号数",
    "更新次数",
    "应更新次数",
    "更新达标率",
    "未达每周更新要求的账号",
    "超过停更期限的账号",
    "最长未更新天数",
    "整改下发",
    "按时完成",
    "逾期",
    "驳回重办",
    "未办结",
    "告警数",
    "告警确认中位数（分钟）",
    "告警确认P90（分钟）",
    "告警未确认",
    "交接班次数",
    "接班确认中位数（分钟）",
    "接班确认P90（分钟）",
    "交接未确认",
    "标记",
]


def to_xlsx(report: Report, tz: ZoneInfo | None = None) -> bytes:
    """The workbook's bytes. Times in ``tz`` (the report's own timezone by default)."""
    zone = tz or report.tz
    book = Workbook()
    about = book.active
    assert about is not None
    about.title = "说明"
    lines: list[tuple[str, str]] = [
        ("报表", report.title),
        ("类型", KIND_LABELS[report.period.kind]),
        ("期间", f"{report.period.start.isoformat()} 至 {report.period.last_day.isoformat()}"),
        ("统计截至", _when(report.until, zone)),
        ("生成时间", _when(report.generated_at, zone)),
        ("政策预设", f"{report.policy_id}（{report.jurisdiction}）"),
        ("范围", report.scope),
    ]
    for what, basis in report.basis:
        lines.append((what, basis))
    lines.append(
        (
            "口径",
            "更新次数为本期已发布记录（送审后“已发布”及“更新”登记）；每周要求按本期内开始且已结束的"
            "自然周计算；最长未更新天数含本期开始前最后一次更新以来的天数；整改按本期下发的通知统计，"
            "与“整改记录”的“按单位统计”同一口径；审核时效为各级审核卡片送达至作出决定的小时数；"
            "告警确认为告警发出至确认的分钟数；接班确认为提交交接至确认接班的分钟数。",
        )
    )
    for line in lines:
        about.append(list(line))
    about.column_dimensions["A"].width = 28
    about.column_dimensions["B"].width = 100
    for cell in about["A"]:
        cell.font = Font(bold=True)
    for cell in about["B"]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")

    units = [_unit_line(u) for u in report.units] + [_unit_line(report.total)]
    sheet = _sheet(book, "单位", UNIT_HEADER, units)
    for cells in sheet.iter_rows(min_row=2):
        if cells[10].value:  # overdue notices in red
            cells[10].font = BAD_FONT
        if cells[6].value:
            cells[6].font = BAD_FONT
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)

    accounts: list[list[object]] = [
        [
            a.unit_name,
            a.label,
            a.status,
            a.updates,
            a.required if a.judged else "—",
            a.weeks_short if a.judged else "—",
            _when(a.last_update, zone),
            a.silent_days if a.judged else "—",
            ("是" if a.silence_breach else "否") if a.judged else "—",
            ("合格" if a.qualified else "不合格") if a.judged else "不考核",
            a.rect.issued,
            a.rect.on_time,
            a.rect.overdue,
            a.rect.reopened,
            a.rect.open,
        ]
        for a in report.accounts
    ]
    sheet = _sheet(
        book,
        "账号",
        [
            "单位",
            "账号",
            "状态",
            "更新次数",
            "应更新次数",
            "未达标周数",
            "最近更新",
            "最长未更新天数",
            "超过停更期限",
            "更新情况",
            "整改下发",
            "按时完成",
            "逾期",
            "驳回重办",
            "未办结",
        ],
        accounts,
    )
    for cells in sheet.iter_rows(min_row=2):
        if cells[9].value == "不合格":
            cells[9].font = BAD_FONT

    def spread(s: Spread | None) -> list[object]:
        if s is None or not s.n:
            return [0, "—", "—"]
        return [s.n, _num(s.median), _num(s.p90)]

    header = ["单位"]
    for level in report.levels:
        header += [f"{level}件数", f"{level}中位数（小时）", f"{level}P90（小时）"]
    review_rows: list[list[object]] = []
    for row in [*report.units, report.total]:
        if not row.review and row is not report.total:
            continue
        line_cells: list[object] = [row.name]
        for level in report.levels:
            line_cells += spread(row.review.get(level))
        review_rows.append(line_cells)
    _sheet(book, "审核时效", header, review_rows)

    duty_rows: list[list[object]] = [
        [
            row.name,
            *spread(row.alert_ack),
            row.alerts_unacknowledged,
            *spread(row.handover_ack),
            row.handovers_unacknowledged,
        ]
        for row in [*report.units, report.total]
        if row.alerts or row.handovers or row is report.total
    ]
    _sheet(
        book,
        "值班响应",
        [
            "单位",
            "已确认告警",
            "告警确认中位数（分钟）",
            "告警确认P90（分钟）",
            "告警未确认",
            "已确认交接",
            "接班确认中位数（分钟）",
            "接班确认P90（分钟）",
            "交接未确认",
        ],
        duty_rows,
    )
    flag_rows: list[list[object]] = [
        [f.period, f.label, f.unit_name, f.account_label or "—", f.reason, f.basis]
        for f in report.flags
    ]
    _sheet(
        book,
        "标记",
        ["期间", "标记", "单位", "账号", "原因", "依据"],
        flag_rows or [["—", "本期没有标记", "", "", "", ""]],
    )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def filename(report: Report, suffix: str) -> str:
    """报表文件名：临江区政务新媒体2026年第四季度报表.xlsx (the scope and period in words)."""
    return f"{report.title}{suffix}"
