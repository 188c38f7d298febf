"""Check one registry row and turn it into the values of an account, or say what is wrong."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from bot.org.schema import normalise_phone, valid_phone
from bot.registry_io.columns import BY_COL, Col
from bot.registry_io.table import Row
from storage.enums import ACCOUNT_STATUS_LABELS, AccountStatus, MediaPlatform
from storage.models.org import Unit

# Separators between several people (or phones) in one cell: "张三、李四".
_LIST_SPLIT = re.compile(r"[、,，;；/\n]")
_PHONE_IN_TEXT = re.compile(
    r"[（(]?\s*((?:\+?86[-\s]?)?(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8}))\s*[)）]?"
)
_OTHER_PLATFORM = re.compile(
    r"^(?:其他|其它|其他平台|其他第三方平台)\s*[:：（(\-—]\s*(.+?)\s*[)）]?$"
)
_EXCEL_EPOCH = date(1899, 12, 30)
MAX_LENGTHS = {
    Col.NAME: 200,
    Col.ACCOUNT_ID: 200,
    Col.PLATFORM_NAME: 100,
    Col.MANAGER_NAME: 100,
    Col.URL: 500,
}


@dataclass(frozen=True)
class Problem:
    row: int
    column: str  # the header as written in the file ("" for the whole row)
    message: str

    def __str__(self) -> str:
        where = f"第 {self.row} 行"
        if self.column:
            where += f"「{self.column}」"
        return f"{where}：{self.message}"


@dataclass
class RegistryRow:
    """A good row: the account it describes, as model values for the columns the file has."""

    number: int
    owner: Unit
    platform: MediaPlatform
    platform_name: str | None
    name: str
    status: AccountStatus | None  # None: the file does not say (keep / default to 运行)
    platform_account_id: str | None
    values: dict[str, object] = field(default_factory=dict)


class UnitDirectory:
    """Units by name and by key, for 责任主体 and 承办单位 cells."""

    def __init__(self, units: list[Unit]) -> None:
        self.units = units
        self.by_key = {u.key: u for u in units}
        self.by_id = {u.id: u for u in units}
        self.by_name: dict[str, list[Unit]] = {}
        for unit in units:
            self.by_name.setdefault(_squash(unit.name), []).append(unit)

    def find(self, text: str) -> Unit | str:
        """The unit a cell names (active ones first), or a message saying why there is none.

        A deactivated unit is found too: its accounts stay in the registry and a re-import of
        an export must match them (the importer refuses new accounts for such a unit).
        """
        named = self.by_name.get(_squash(text), [])
        if not named and text in self.by_key:
            named = [self.by_key[text]]
        found = [u for u in named if u.active] or named
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            keys = "、".join(u.key for u in found)
            return f"有多个单位叫“{text}”（{keys}），请改填单位编号（key）"
        names = [u.name for u in self.units if u.active]
        close = difflib.get_close_matches(text, names, n=1, cutoff=0.6)
        hint = (
            f"，您是不是要填“{close[0]}”？" if close else "，请先在组织名单中添加该单位，或核对名称"
        )
        return f"找不到单位“{text}”{hint}"

    def owning_unit(self, office: Unit) -> Unit | None:
        """The first unit above an internal office that may own accounts."""
        parent = self.by_id.get(office.parent_id) if office.parent_id else None
        while parent is not None and parent.is_internal_office:
            parent = self.by_id.get(parent.parent_id) if parent.parent_id else None
        return parent

    def name_of(self, unit: Unit) -> str:
        """How export writes a unit: its name, or its key when the name is not unique."""
        same = self.by_name.get(_squash(unit.name), [])
        return unit.name if len(same) == 1 else unit.key


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text).replace("（", "(").replace("）", ")")


def parse_platform(text: str, extra_name: str) -> tuple[MediaPlatform, str | None] | str:
    """``微信`` / ``其他:小红书`` / ``其他（小红书）``; a message when it is not a platform."""
    text = text.strip()
    named = _OTHER_PLATFORM.match(text)
    if named:
        return MediaPlatform.OTHER, named.group(1).strip()
    platform = MediaPlatform.from_label(text)
    if platform is None:
        return (
            f"不认识的平台“{text}”：应为 微信、微博、抖音、客户端、网站，"
            f"其他平台请写成“其他:平台名”，如“其他:{text}”"
        )
    if platform == MediaPlatform.OTHER:
        if not extra_name:
            return "所属平台为“其他”时须写明平台名称，如“其他:小红书”"
        return platform, extra_name
    return platform, None


def parse_date(value: object) -> date | str:
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if (
        text.isascii() and text.isdigit() and len(text) == 5
    ):  # an Excel date serial in a text or number cell
        return _EXCEL_EPOCH + timedelta(days=int(text))
    found = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*(?:[-/.月]\s*(\d{1,2})\s*日?|月)?", text)
    if found is None and re.fullmatch(r"\d{8}", text):
        found = re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text)
    if found is None:
        return f"日期“{text}”看不懂，请写成 2020-09-01 的形式"
    year, month, day = int(found.group(1)), int(found.group(2)), int(found.group(3) or 1)
    try:
        return date(year, month, day)
    except ValueError:
        return f"日期“{text}”不存在"


def _split(cell: str) -> list[str]:
    return [p.strip() for p in _LIST_SPLIT.split(cell)]


def _phones(cell: str) -> list[str]:
    """Phones in a cell in order, keeping empty places ("、13900000002": first has none)."""
    pieces: list[str] = []
    for piece in _split(cell):
        parts = piece.split()
        if len(parts) > 1 and not valid_phone(piece) and all(valid_phone(p) for p in parts):
            pieces.extend(parts)  # "13900000001 13900000002"
        else:
            pieces.append(piece)
    return pieces


def _strip_86(phone: str) -> str:
    phone = normalise_phone(phone)
    return re.sub(r"^\+?86-?", "", phone) if len(phone) > 11 else phone


def _person(piece: str) -> tuple[str, str | None]:
    """ "张三（13900000001）" -> ("张三", "13900000001")."""
    found = _PHONE_IN_TEXT.search(piece)
    if found is None:
        return piece.strip(), None
    name = (piece[: found.start()] + piece[found.end() :]).strip(" :：-")
    return name, _strip_86(found.group(1))


@dataclass(frozen=True)
class PeopleError:
    message: str
    in_phones: bool  # the phone column is at fault, not the names column


def parse_people(names_cell: str, phones_cell: str) -> list[dict[str, str | None]] | PeopleError:
    """Several people in one cell, with their phones in the next cell in the same order."""
    names = [p for p in _split(names_cell) if p] if names_cell else []
    people = [_person(p) for p in names]
    phones = _phones(phones_cell) if phones_cell else []
    if phones and not people:
        return PeopleError("填写了联系方式，但没有填写姓名", in_phones=False)
    if phones and len(phones) != len(people):
        return PeopleError(
            f"有 {len(people)} 个姓名、{len(phones)} 个联系方式，请按顺序一一对应，"
            "用“、”分隔（没有电话的人留空，如“、13900000002”）",
            in_phones=True,
        )
    result: list[dict[str, str | None]] = []
    for i, (name, embedded) in enumerate(people):
        phone = _strip_86(phones[i]) if phones and phones[i] else embedded
        if embedded and phone != embedded:
            return PeopleError(
                f"{name} 的电话写了两个不同的号码（{embedded} 和 {phone}）", in_phones=True
            )
        if not name:
            return PeopleError(f"第 {i + 1} 个人没有姓名", in_phones=False)
        if phone is not None and not valid_phone(phone):
            return PeopleError(
                f"{name} 的电话“{phone}”格式不正确（手机号为 11 位数字，座机须带区号）",
                in_phones=True,
            )
        result.append({"name": name, "phone": normalise_phone(phone) if phone else None})
    return result


def parse_status(text: str) -> AccountStatus | str:
    status = AccountStatus.from_label(text)
    if status is None:
        choices = "、".join(ACCOUNT_STATUS_LABELS.values())
        return f"不认识的状态“{text}”，可选：{choices}"
    return status


def check_row(
    row: Row, columns: dict[Col, str], units: UnitDirectory
) -> RegistryRow | list[Problem]:
    """One row → the account values it sets (only for the columns the file has)."""
    problems: list[Problem] = []

    def bad(col: Col, message: str) -> None:
        problems.append(Problem(row.number, columns.get(col, BY_COL[col].header), message))

    for col, limit in MAX_LENGTHS.items():
        if col in columns and len(row.text(col)) > limit:
            bad(col, f"太长了（最多 {limit} 个字）")
    owner_text = row.text(Col.OWNER)
    owner: Unit | None = None
    if not owner_text:
        bad(Col.OWNER, "不能为空")
    else:
        found = units.find(owner_text)
        if isinstance(found, str):
            bad(Col.OWNER, found)
        elif found.is_internal_office:
            parent = units.owning_unit(found)
            suggestion = f"“{parent.name}”" if parent else "其所属单位"
            bad(
                Col.OWNER,
                f"“{found.name}”是内设科室，不能作为政务新媒体的责任主体，请填写{suggestion}"
                "（科室可填在“承办单位”）",
            )
        else:
            owner = found
    name = row.text(Col.NAME)
    if not name:
        bad(Col.NAME, "不能为空")
    platform_text = row.text(Col.PLATFORM)
    platform: tuple[MediaPlatform, str | None] | None = None
    if not platform_text:
        bad(Col.PLATFORM, "不能为空")
    else:
        parsed = parse_platform(platform_text, row.text(Col.PLATFORM_NAME))
        if isinstance(parsed, str):
            bad(Col.PLATFORM, parsed)
        else:
            platform = parsed
    values: dict[str, object] = {"name": name}
    status: AccountStatus | None = None
    if row.text(Col.STATUS):
        parsed_status = parse_status(row.text(Col.STATUS))
        if isinstance(parsed_status, AccountStatus):  # (a StrEnum: test it first)
            status = parsed_status
            values["status"] = status
        else:
            bad(Col.STATUS, parsed_status)
    account_id = row.text(Col.ACCOUNT_ID) or None
    if Col.ACCOUNT_ID in columns:
        values["platform_account_id"] = account_id
    if Col.MANAGER_NAME in columns or Col.MANAGER_PHONE in columns:
        manager = parse_people(row.text(Col.MANAGER_NAME), row.text(Col.MANAGER_PHONE))
        if isinstance(manager, PeopleError):
            bad(Col.MANAGER_PHONE if manager.in_phones else Col.MANAGER_NAME, manager.message)
        elif len(manager) > 1:
            bad(Col.MANAGER_NAME, "运营主管负责人只能填一人")
        else:
            if Col.MANAGER_NAME in columns:
                values["manager_name"] = manager[0]["name"] if manager else None
            if Col.MANAGER_PHONE in columns:
                values["manager_phone"] = manager[0]["phone"] if manager else None
    if Col.OPERATOR_NAMES in columns:
        operators = parse_people(row.text(Col.OPERATOR_NAMES), row.text(Col.OPERATOR_PHONES))
        if isinstance(operators, PeopleError):
            in_phones = operators.in_phones and Col.OPERATOR_PHONES in columns
            bad(Col.OPERATOR_PHONES if in_phones else Col.OPERATOR_NAMES, operators.message)
        else:
            values["operators"] = operators
    if Col.OPERATOR_UNIT in columns:
        text = row.text(Col.OPERATOR_UNIT)
        if not text:
            values["operator_unit_id"] = None
        else:
            operator_unit = units.find(text)
            if isinstance(operator_unit, str):
                bad(Col.OPERATOR_UNIT, operator_unit)
            else:
                values["operator_unit_id"] = operator_unit.id
    if Col.OPENED_ON in columns:
        cell = row.cells.get(Col.OPENED_ON)
        if cell is None:
            values["opened_on"] = None
        else:
            opened = parse_date(cell)
            if isinstance(opened, str):
                bad(Col.OPENED_ON, opened)
            else:
                values["opened_on"] = opened
    if Col.URL in columns:
        values["url"] = row.text(Col.URL) or None
    if Col.NOTE in columns:
        values["note"] = row.text(Col.NOTE)
    if problems or owner is None or platform is None:
        return problems
    values["platform"] = platform[0]
    values["platform_name"] = platform[1]
    values["owner_unit_id"] = owner.id
    return RegistryRow(
        number=row.number,
        owner=owner,
        platform=platform[0],
        platform_name=platform[1],
        name=name,
        status=status,
        platform_account_id=account_id,
        values=values,
    )
