"""Write the registry as .xlsx or .csv with the import's headers, so export → import is a no-op."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

from bot.registry_io.columns import BY_COL, EXPORT_ORDER, Col
from bot.registry_io.rows import UnitDirectory
from bot.registry_io.table import FORMULA_GUARD, TableError
from storage.enums import MediaPlatform
from storage.models.org import Account, Unit

SHEET_TITLE = "政务新媒体台账"
# Columns Excel must keep as text: long digit strings would become 1.39E+10.
TEXT_COLUMNS = frozenset({Col.ACCOUNT_ID, Col.MANAGER_PHONE, Col.OPERATOR_PHONES})
WIDTHS = {Col.SERIAL: 6, Col.OWNER: 28, Col.NAME: 18, Col.OPERATOR_UNIT: 20, Col.URL: 30}

Record = dict[Col, str | date | int | None]


def platform_text(account: Account) -> str:
    if account.platform == MediaPlatform.OTHER:
        return f"其他:{account.platform_name or ''}"
    return account.platform.label


def account_record(serial: int, account: Account, units: UnitDirectory) -> Record:
    operators = account.operators or []
    phones = [o.get("phone") or "" for o in operators]
    operator_unit = units.by_id.get(account.operator_unit_id) if account.operator_unit_id else None
    return {
        Col.SERIAL: serial,
        Col.OWNER: units.name_of(units.by_id[account.owner_unit_id]),
        Col.NAME: account.name,
        Col.ACCOUNT_ID: account.platform_account_id,
        Col.PLATFORM: platform_text(account),
        Col.MANAGER_NAME: account.manager_name,
        Col.MANAGER_PHONE: account.manager_phone,
        Col.OPERATOR_NAMES: "、".join(o.get("name") or "" for o in operators),
        Col.OPERATOR_PHONES: "、".join(phones) if any(phones) else None,
        Col.STATUS: account.status.label,
        Col.OPERATOR_UNIT: units.name_of(operator_unit) if operator_unit else None,
        Col.OPENED_ON: account.opened_on,
        Col.URL: account.url,
        Col.NOTE: account.note or None,
    }


async def registry_records() -> list[Record]:
    units = UnitDirectory(await Unit.all().order_by("id"))
    platforms = list(MediaPlatform)
    accounts = sorted(
        await Account.all(),
        key=lambda a: (a.owner_unit_id, platforms.index(a.platform), a.id),
    )
    return [account_record(i, a, units) for i, a in enumerate(accounts, 1)]


def write_registry(path: Path, records: list[Record]) -> None:
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        _write_xlsx(path, records)
    elif suffix == ".csv":
        _write_csv(path, records)
    else:
        raise TableError(f"只能导出为 .xlsx 或 .csv 文件，收到的是：{path.name}")


# A cell starting with one of these is run as a formula by Excel / WPS / LibreOffice when the
# CSV is opened (CSV injection): "=HYPERLINK(…)", "@SUM(…)", "+cmd|…". The importer removes
# the guard again (``table.FORMULA_GUARD``), so export → import stays a no-op.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> object:
    """``value``, with a leading apostrophe when a spreadsheet would take it for a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return FORMULA_GUARD + value
    return value


def _write_csv(path: Path, records: list[Record]) -> None:
    """UTF-8 with a byte-order mark: what Excel needs to show Chinese correctly."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow([BY_COL[c].header for c in EXPORT_ORDER])
    for record in records:
        writer.writerow(
            [
                v.isoformat() if isinstance(v, date) else ("" if v is None else csv_safe(v))
                for v in (record[c] for c in EXPORT_ORDER)
            ]
        )
    path.write_bytes(buffer.getvalue().encode("utf-8-sig"))


def _write_xlsx(path: Path, records: list[Record]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = SHEET_TITLE
    sheet.append([BY_COL[c].header for c in EXPORT_ORDER])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for r, record in enumerate(records, 2):
        for c, col in enumerate(EXPORT_ORDER, 1):
            value = record[col]
            cell = sheet.cell(row=r, column=c, value=value)
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # text that looks like a formula stays text
            if col in TEXT_COLUMNS:
                cell.number_format = "@"
            elif col == Col.OPENED_ON and value is not None:
                cell.number_format = "yyyy-mm-dd"
    for c, col in enumerate(EXPORT_ORDER, 1):
        sheet.column_dimensions[get_column_letter(c)].width = WIDTHS.get(col, 16)
    sheet.freeze_panes = "A2"
    book.save(path)
