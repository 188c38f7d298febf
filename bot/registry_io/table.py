"""Read a registry spreadsheet (.xlsx or .csv) into header + rows, numbered as the sheet shows.

CSV encoding (docs/accounts-import.md): a byte-order mark decides (UTF-8, UTF-16); otherwise
the file is UTF-8 if it decodes as UTF-8, else GB18030 — the superset of GBK that Excel on a
Chinese Windows writes for "CSV (逗号分隔)". A strict UTF-8 decode of GBK text fails almost
always, so the order is safe. The delimiter is whichever of comma, tab or semicolon the header
line uses most (Excel's "Unicode text" is tab-separated UTF-16).
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bot.registry_io.columns import REQUIRED, SUB_HEADERS, Col, column_for, normalise_header

HEADER_SEARCH_ROWS = 10
# Put before a CSV cell that would otherwise run as a formula (see exporter.csv_safe).
FORMULA_GUARD = "'"

Cell = str | date | None


class TableError(Exception):
    """The file as a whole cannot be read (not a per-row problem)."""


@dataclass
class Row:
    number: int  # as the spreadsheet shows it (1-based, header rows counted)
    cells: dict[Col, Cell]

    def text(self, col: Col) -> str:
        value = self.cells.get(col)
        if value is None:
            return ""
        if isinstance(value, date):
            return value.isoformat()
        return value.strip()


@dataclass
class Table:
    source: str
    columns: dict[Col, str]  # which columns the file has, with the header as written
    rows: list[Row]
    ignored_headers: list[str] = field(default_factory=list)
    sheet: str | None = None


def read_table(path: Path) -> Table:
    suffix = path.suffix.lower()
    if not path.exists():
        raise TableError(f"文件不存在：{path}")
    if suffix == ".xlsx":
        return _from_grid(path.name, *_xlsx_grid(path))
    if suffix == ".csv":
        return _from_grid(path.name, _csv_grid(path.read_bytes()), None)
    if suffix in (".xls", ".et", ".wps"):
        raise TableError(
            f"不支持 {suffix} 格式：请在 Excel/WPS 中“另存为” .xlsx 工作簿或 CSV UTF-8 文件后再导入"
        )
    raise TableError(f"只能导入 .xlsx 或 .csv 文件，收到的是：{path.name}")


def _cell(value: Any) -> Cell:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone typed as a number: 13900000001.0
    text = str(value).replace("\r\n", "\n")
    if text.startswith(FORMULA_GUARD) and text[1:2] in ("=", "+", "-", "@", "\t", "\r"):
        text = text[1:]  # our CSV export's guard against formula injection
    text = text.strip()
    return text or None


def _xlsx_grid(path: Path) -> tuple[list[list[Cell]], str]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        # Not read-only: merged cells (a unit's name spanning its accounts' rows) need the
        # merge ranges, which read-only mode does not expose.
        book = load_workbook(path, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as exc:
        raise TableError(
            f"无法打开 Excel 文件 {path.name}：{exc}（文件可能已损坏或不是 .xlsx）"
        ) from None
    try:
        best: tuple[list[list[Cell]], str] | None = None
        for sheet in book.worksheets:
            grid = [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
            for merged in sheet.merged_cells.ranges:
                top = grid[merged.min_row - 1][merged.min_col - 1] if grid else None
                for r in range(merged.min_row - 1, min(merged.max_row, len(grid))):
                    for c in range(merged.min_col - 1, merged.max_col):
                        if c < len(grid[r]):
                            grid[r][c] = top
            if _find_header(grid) is not None:
                return grid, sheet.title
            best = best or (grid, sheet.title)
        assert best is not None
        return best
    finally:
        book.close()


def decode_csv(raw: bytes) -> str:
    """Decode as documented at the top of this module."""
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if raw.startswith(bom):
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError:
                break
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        raise TableError(
            "无法识别 CSV 文件的编码（既不是 UTF-8 也不是 GBK）：请在 Excel 中“另存为”"
            "“CSV UTF-8（逗号分隔）”后再导入"
        ) from None


def _csv_grid(raw: bytes) -> list[list[Cell]]:
    text = decode_csv(raw)
    first_line = text.split("\n", 1)[0]
    delimiter = max(",\t;", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return [[_cell(v) for v in record] for record in reader]
    except csv.Error as exc:
        raise TableError(f"CSV 格式错误（第 {reader.line_num} 行）：{exc}") from None


def _find_header(grid: list[list[Cell]]) -> int | None:
    """Index of the first row (among the first few) naming every required column."""
    for i, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        found = {column_for(v) for v in row if isinstance(v, str)}
        if all(c.col in found for c in REQUIRED):
            return i
    return None


def _missing_required(grid: list[list[Cell]]) -> list[str]:
    best: set[Col | None] = set()
    for row in grid[:HEADER_SEARCH_ROWS]:
        found = {column_for(v) for v in row if isinstance(v, str)}
        if len(found - {None}) > len(best - {None}):
            best = found
    return [c.header for c in REQUIRED if c.col not in best]


def _from_grid(source: str, grid: list[list[Cell]], sheet: str | None) -> Table:
    header_at = _find_header(grid)
    if header_at is None:
        missing = "、".join(_missing_required(grid))
        where = f"（工作表“{sheet}”）" if sheet else ""
        raise TableError(
            f"在文件前 {HEADER_SEARCH_ROWS} 行{where}找不到表头：缺少“{missing}”列。"
            "表头应包含 责任主体、新媒体名称、所属平台 等栏目（见 docs/accounts-import.md）"
        )
    headers = [v if isinstance(v, str) else "" for v in grid[header_at]]
    data_from = header_at + 1
    # The filing form puts 姓名 / 联系方式 in a second header row under a merged cell.
    if data_from < len(grid):
        below = [v if isinstance(v, str) else "" for v in grid[data_from]]
        if any(normalise_header(v) in SUB_HEADERS for v in below):
            headers = [
                h + b if b and normalise_header(b) in SUB_HEADERS else h
                for h, b in zip(headers, below + [""] * len(headers), strict=False)
            ]
            data_from += 1
    columns: dict[Col, str] = {}
    positions: dict[Col, int] = {}
    ignored: list[str] = []
    duplicates: list[str] = []
    for i, header in enumerate(headers):
        if not header:
            continue
        col = column_for(header)
        if col is None:
            ignored.append(header)
        elif col in positions:
            duplicates.append(f"“{columns[col]}”和“{header}”")
        else:
            columns[col] = header
            positions[col] = i
    if duplicates:
        raise TableError(
            "表头中有两列表示同一栏目：" + "、".join(duplicates) + "，请删去或改名其中一列"
        )
    rows: list[Row] = []
    for i in range(data_from, len(grid)):
        record = grid[i]
        cells: dict[Col, Cell] = {
            col: record[pos] if pos < len(record) else None
            for col, pos in positions.items()
            if col != Col.SERIAL
        }
        if all(v is None for v in cells.values()):
            continue  # blank lines and 合计/说明 rows with nothing in our columns
        rows.append(Row(number=i + 1, cells=cells))
    return Table(source=source, columns=columns, rows=rows, ignored_headers=ignored, sheet=sheet)
