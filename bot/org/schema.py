"""The organisation file (YAML or TOML), validated as a whole before anything is written.

docs/org-file.md documents the format. Errors name the entry and the field, e.g.
``people[3]（王小红，第 45 行）.phone：手机号格式不正确``.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from storage.enums import AccountStatus, ChatPurpose, MediaPlatform, Platform, Role, UnitKind
from storage.models.duty import ShiftMode

KEY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")
SECTIONS = ("units", "people", "chats", "accounts", "duty_teams")

ROLE_BY_LABEL: dict[str, Role] = {r.label: r for r in Role} | {
    "主要负责人": Role.PRINCIPAL,
    "编辑人员": Role.EDITOR,
    "台账管理员": Role.CLERK,
}
UNIT_KIND_BY_LABEL: dict[str, UnitKind] = {k.label: k for k in UnitKind}
PURPOSE_BY_LABEL: dict[str, ChatPurpose] = {p.label: p for p in ChatPurpose}
PLATFORM_BY_LABEL: dict[str, Platform] = {
    "控制台": Platform.CONSOLE,
    "企业微信": Platform.WECOM,
    "飞书": Platform.FEISHU,
}
# Statuses in which an account no longer counts against "one account per platform per unit".
ENDED_STATUSES = frozenset({AccountStatus.CLOSED, AccountStatus.CANCELLED})


def normalise_phone(value: str) -> str:
    return re.sub(r"[\s()（）]", "", value)


def valid_phone(value: str) -> bool:
    """Mainland mobile (11 digits) or landline with area code (e.g. 023-49888888)."""
    phone = normalise_phone(value)
    return bool(MOBILE.match(phone) or LANDLINE.match(phone))


class OrgError(Exception):
    """The file was refused as a whole; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _choices(enum: type[StrEnum]) -> str:
    labels = {m: getattr(m, "label", "") for m in enum}
    return "、".join(f"{m.value}（{labels[m]}）" if labels[m] else m.value for m in enum)


def _enum_by_label(value: Any, by_label: dict[str, Any], enum: type[StrEnum]) -> Any:
    """Accept the English id or the Chinese label; refuse anything else with the choices."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text in by_label:
        return by_label[text]
    if text in {m.value for m in enum}:
        return enum(text)
    raise ValueError(f"不认识“{text}”，可选：{_choices(enum)}")


class _Entry(BaseModel):
    # Numbers typed without quotes (phone: 13900000001, account_id: 5612345678) are text.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, coerce_numbers_to_str=True)


def _phone(value: Any) -> str | None:
    if value is None or value == "":
        return None
    text = normalise_phone(str(value))
    if not valid_phone(text):
        raise ValueError(
            f"电话号码“{value}”格式不正确（手机号为 11 位数字，座机须带区号，如 0912-1234567）"
        )
    return text


def _role(value: Any) -> Any:
    return _enum_by_label(value, ROLE_BY_LABEL, Role)


class UnitEntry(_Entry):
    key: str
    name: str = Field(min_length=1, max_length=200)
    kind: UnitKind = UnitKind.GOVERNMENT
    parent: str | None = None
    supervisor: str | None = None
    internal_office: bool = False
    active: bool = True
    # Other names of the unit for the pre-review 纠错: short forms people write (accepted) and
    # names it had before a renaming (pointed to ``name``). A list, or one string with 、.
    aliases: list[str] = []
    former_names: list[str] = []

    @field_validator("kind", mode="before")
    @classmethod
    def _kind_label(cls, value: Any) -> Any:
        return _enum_by_label(value, UNIT_KIND_BY_LABEL, UnitKind)

    @field_validator("aliases", "former_names", mode="before")
    @classmethod
    def _names(cls, value: Any) -> Any:
        if value is None:
            return []
        if isinstance(value, str):
            value = re.split(r"[、，,；;]", value)
        if not isinstance(value, list):
            raise ValueError("请写成名称列表，如 [区文旅委, 临江文旅委]，或用顿号分隔")
        names = [str(v).strip() for v in value if str(v).strip()]
        for name in names:
            if len(name) > 200:
                raise ValueError(f"“{name[:20]}…”太长（最多 200 字）")
        return list(dict.fromkeys(names))


class ContactEntry(_Entry):
    name: str = Field(min_length=1, max_length=100)
    phone: str | None = None

    @field_validator("phone", mode="before")
    @classmethod
    def _check_phone(cls, value: Any) -> Any:
        return _phone(value)


class PersonEntry(_Entry):
    key: str
    name: str = Field(min_length=1, max_length=100)
    unit: str
    phone: str | None = None
    title: str | None = None
    roles: list[Annotated[Role, BeforeValidator(_role)]] = Field(default_factory=list)
    wecom: str | None = None
    feishu_open_id: str | None = None
    feishu_user_id: str | None = None
    preferred_platform: Platform | None = None
    active: bool = True

    @field_validator("phone", mode="before")
    @classmethod
    def _check_phone(cls, value: Any) -> Any:
        return _phone(value)

    @field_validator("roles", mode="before")
    @classmethod
    def _role_labels(cls, value: Any) -> Any:
        if isinstance(value, str):  # "编辑、备案经办人" as people write it
            return [v for v in re.split(r"[,，、\s]+", value) if v]
        return value

    @field_validator("preferred_platform", mode="before")
    @classmethod
    def _platform_label(cls, value: Any) -> Any:
        return _enum_by_label(value, PLATFORM_BY_LABEL, Platform)


class ChatEntry(_Entry):
    key: str
    name: str = Field(min_length=1, max_length=200)
    purpose: ChatPurpose = ChatPurpose.GENERAL
    unit: str | None = None
    members: list[str] = Field(default_factory=list)
    wecom_webhook_key: str | None = None
    feishu_chat_id: str | None = None
    # The group's chatid for WeCom's intelligent robot (the bot tells it when @-mentioned).
    wecom_chat_id: str | None = None
    active: bool = True

    @field_validator("purpose", mode="before")
    @classmethod
    def _purpose_label(cls, value: Any) -> Any:
        return _enum_by_label(value, PURPOSE_BY_LABEL, ChatPurpose)


class AccountEntry(_Entry):
    key: str | None = None
    name: str = Field(min_length=1, max_length=200)
    platform: MediaPlatform
    platform_name: str | None = None
    account_id: str | None = None
    owner_unit: str
    operator_unit: str | None = None
    status: AccountStatus = AccountStatus.RUNNING
    manager: ContactEntry | None = None
    operators: list[ContactEntry] = Field(default_factory=list)
    url: str | None = None
    opened_on: date | None = None
    note: str = ""

    @field_validator("platform", mode="before")
    @classmethod
    def _platform_label(cls, value: Any) -> Any:
        if isinstance(value, str):
            parsed = MediaPlatform.from_label(value)
            if parsed is None:
                raise ValueError(f"不认识“{value}”，可选：{_choices(MediaPlatform)}")
            return parsed
        return value

    @field_validator("status", mode="before")
    @classmethod
    def _status_label(cls, value: Any) -> Any:
        if isinstance(value, str):
            parsed = AccountStatus.from_label(value)
            if parsed is None:
                raise ValueError(f"不认识“{value}”，可选：{_choices(AccountStatus)}")
            return parsed
        return value

    @property
    def live(self) -> bool:
        return self.status not in ENDED_STATUSES

    @property
    def natural_key(self) -> tuple[str, MediaPlatform, str]:
        return natural_account_key(self.owner_unit, self.platform, self.platform_name)


SHIFT_MODE_BY_LABEL: dict[str, ShiftMode] = {
    "24小时": ShiftMode.FULL,
    "24小时班": ShiftMode.FULL,
    "全天": ShiftMode.FULL,
    "全天班": ShiftMode.FULL,
    "白班夜班": ShiftMode.DAY_NIGHT,
    "白班/夜班": ShiftMode.DAY_NIGHT,
    "白夜班": ShiftMode.DAY_NIGHT,
    "两班": ShiftMode.DAY_NIGHT,
}


def _clock_time(value: Any) -> Any:
    """A change time as "HH:MM". YAML 1.1 reads an unquoted 08:30 as the number 510
    (sexagesimal), so a whole number is taken as minutes after midnight."""
    if isinstance(value, bool):
        raise ValueError('应为时刻，如 "08:30"')
    if isinstance(value, int):
        hours, minutes = divmod(value, 60)
    else:
        match = re.fullmatch(r"(\d{1,2})[:：](\d{2})", str(value).strip())
        if match is None:
            raise ValueError(f'时刻“{value}”格式不正确，应为 时:分，如 "08:30"')
        hours, minutes = int(match.group(1)), int(match.group(2))
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise ValueError(f"时刻“{value}”不存在，应在 00:00 到 23:59 之间")
    return f"{hours:02d}:{minutes:02d}"


class DutyTeamEntry(_Entry):
    """A duty team (值班组): who watches which units, in which shifts, in which order."""

    key: str
    name: str = Field(min_length=1, max_length=200)
    unit: str
    scope: list[str] = Field(default_factory=list)
    lead: str | None = None
    chat: str | None = None
    shifts: ShiftMode = ShiftMode.DAY_NIGHT
    day_start: Annotated[str, BeforeValidator(_clock_time)] = "08:30"
    night_start: Annotated[str, BeforeValidator(_clock_time)] = "20:30"
    rotation: list[str] = Field(min_length=1)
    holiday_rotation: list[str] = Field(default_factory=list)
    swap_approval: bool = True
    effective_from: date | None = None
    active: bool = True

    @field_validator("shifts", mode="before")
    @classmethod
    def _mode_label(cls, value: Any) -> Any:
        return _enum_by_label(value, SHIFT_MODE_BY_LABEL, ShiftMode)

    @field_validator("scope", "rotation", "holiday_rotation", mode="before")
    @classmethod
    def _key_list(cls, value: Any) -> Any:
        if isinstance(value, str):  # "xiaochen、laoliu" as people write it
            return [v for v in re.split(r"[,，、\s]+", value) if v]
        return value

    @property
    def scope_units(self) -> list[str]:
        """The units watched: the listed ones, else the team's own unit."""
        return self.scope or [self.unit]


class OrgFile(_Entry):
    units: list[UnitEntry] = Field(default_factory=list)
    people: list[PersonEntry] = Field(default_factory=list)
    chats: list[ChatEntry] = Field(default_factory=list)
    accounts: list[AccountEntry] = Field(default_factory=list)
    duty_teams: list[DutyTeamEntry] = Field(default_factory=list)


def natural_account_key(
    owner: str, platform: MediaPlatform, platform_name: str | None
) -> tuple[str, MediaPlatform, str]:
    """(责任主体, 所属平台, 平台名): one live account per platform per unit (rules.md)."""
    name = (platform_name or "").strip().lower() if platform == MediaPlatform.OTHER else ""
    return (owner, platform, name)


def derived_account_key(
    owner_key: str, platform: MediaPlatform, platform_name: str | None = None
) -> str:
    """The key given to an account that has none: ``<unit key>-<platform>[-<name>]``."""
    suffix = platform.value
    if platform == MediaPlatform.OTHER and platform_name:
        ascii_name = re.sub(r"[^A-Za-z0-9]+", "", platform_name).lower()
        # Chinese platform names (小红书, 快手) become a short stable digest.
        suffix += "-" + (ascii_name or hashlib.sha1(platform_name.strip().encode()).hexdigest()[:8])
    return f"{owner_key}-{suffix}"[:64]


def account_key(entry: AccountEntry) -> str:
    """Accounts without a key are keyed by owner unit and platform (one per platform per unit)."""
    return entry.key or derived_account_key(entry.owner_unit, entry.platform, entry.platform_name)


class SourceText:
    """Parsed file content plus the line where each entry starts, for error messages."""

    def __init__(self, data: dict[str, Any], lines: dict[tuple[str, int], int]) -> None:
        self.data = data
        self.lines = lines

    def label(self, section: str, index: int, name: str | None = None) -> str:
        """``people[3]（王小红，第 45 行）``: the entry as a person finds it in the file."""
        if name is None:
            try:
                item = self.data[section][index]
                name = item.get("name") or item.get("key")
            except (KeyError, IndexError, TypeError, AttributeError):
                name = None
        parts = [str(name)] if name else []
        line = self.lines.get((section, index))
        if line is not None:
            parts.append(f"第 {line} 行")
        return f"{section}[{index + 1}]" + (f"（{'，'.join(parts)}）" if parts else "")


def _entry_lines(node: yaml.Node | None) -> dict[tuple[str, int], int]:
    lines: dict[tuple[str, int], int] = {}
    if not isinstance(node, yaml.MappingNode):
        return lines
    for key_node, value_node in node.value:
        if isinstance(value_node, yaml.SequenceNode):
            for i, item in enumerate(value_node.value):
                lines[(str(key_node.value), i)] = item.start_mark.line + 1
    return lines


def _duplicate_keys(node: yaml.Node, path: str, out: list[str], source: SourceText) -> None:
    """PyYAML keeps the last of two equal keys silently; we refuse the file instead."""
    if isinstance(node, yaml.MappingNode):
        first: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in first:
                where = f"{path}.{key}" if path else key
                out.append(f"{where}：重复写了两次（第 {first[key]} 行和第 {line} 行），请删去一处")
            else:
                first[key] = line
            if not path and key in SECTIONS and isinstance(value_node, yaml.SequenceNode):
                for i, item in enumerate(value_node.value):
                    _duplicate_keys(item, source.label(key, i), out, source)
            else:
                _duplicate_keys(value_node, f"{path}.{key}" if path else key, out, source)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _duplicate_keys(item, f"{path}[{i + 1}]", out, source)


def parse_text(text: str, fmt: str) -> SourceText:
    """Parse YAML or TOML text; syntax errors and repeated keys become ``OrgError``."""
    try:
        if fmt == "toml":
            data: Any = tomllib.loads(text)
            node = None
        else:
            loader = yaml.SafeLoader(text)
            try:
                node = loader.get_single_node()
                data = loader.construct_document(node) if node is not None else None
            finally:
                loader.dispose()
    except tomllib.TOMLDecodeError as exc:
        raise OrgError([_toml_problem(str(exc))]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"（第 {mark.line + 1} 行）" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise OrgError([f"YAML 格式错误{where}：{problem}"]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise OrgError(["文件顶层应为 units / people / chats / accounts / duty_teams 几个部分"])
    source = SourceText(data, _entry_lines(node))
    if node is not None:
        duplicates: list[str] = []
        _duplicate_keys(node, "", duplicates, source)
        if duplicates:
            raise OrgError(duplicates)
    return source


_TOML_MESSAGES = {
    "Cannot overwrite a value": "同一个字段写了两次",
    "Cannot declare": "同一个表头写了两次",
    "Invalid value": "值的写法不正确（文字要加引号）",
    "Expected '=' after a key in a key/value pair": "字段名后面缺少 =",
    "Unclosed array": "列表 [ ] 没有闭合",
    "Illegal character": "有不允许的字符",
}


def _toml_problem(message: str) -> str:
    """tomllib's English message, located and (for the common cases) said in Chinese."""
    found = re.search(r"\(at line (\d+), column (\d+)\)", message)
    where = f"（第 {found.group(1)} 行第 {found.group(2)} 列）" if found else ""
    text = re.sub(r"\s*\(at line \d+, column \d+\)", "", message)
    for english, chinese in _TOML_MESSAGES.items():
        if text.startswith(english):
            text = chinese
            break
    return f"TOML 格式错误{where}：{text}"


def read_file(path: Path) -> SourceText:
    """Read a YAML or TOML file (by extension)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise OrgError([f"文件不存在：{path}"]) from None
    except IsADirectoryError:
        raise OrgError([f"这是一个目录，不是文件：{path}"]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise OrgError([f"文件不是 UTF-8 编码：{path}（请用 UTF-8 保存后再导入）"]) from None
    return parse_text(text, "toml" if path.suffix.lower() == ".toml" else "yaml")


_ENTRY_MODELS: dict[str, type[_Entry]] = {
    "units": UnitEntry,
    "people": PersonEntry,
    "chats": ChatEntry,
    "accounts": AccountEntry,
    "duty_teams": DutyTeamEntry,
}


@dataclass
class _Checked:
    """Entries that passed field validation, with their index in the file."""

    units: list[tuple[int, UnitEntry]] = field(default_factory=list)
    people: list[tuple[int, PersonEntry]] = field(default_factory=list)
    chats: list[tuple[int, ChatEntry]] = field(default_factory=list)
    accounts: list[tuple[int, AccountEntry]] = field(default_factory=list)
    duty_teams: list[tuple[int, DutyTeamEntry]] = field(default_factory=list)
    # Keys of entries that failed validation: references to them are not reported again.
    broken: dict[str, set[str]] = field(default_factory=lambda: {s: set() for s in SECTIONS})


def parse(data: dict[str, Any] | SourceText) -> OrgFile:
    """Validate every entry and every reference; raise ``OrgError`` listing every problem."""
    source = data if isinstance(data, SourceText) else SourceText(data, {})
    problems: list[str] = []
    checked = _Checked()
    for name in source.data:
        if name not in SECTIONS:
            problems.append(
                f"{name}：不认识的部分（文件只能包含 units、people、chats、accounts、duty_teams）"
            )
    for section, model in _ENTRY_MODELS.items():
        items = source.data.get(section)
        if items is None:
            continue
        if not isinstance(items, list):
            problems.append(f"{section}：{_MESSAGES['list_type']}")
            continue
        for i, item in enumerate(items):
            try:
                entry = model.model_validate(item)
            except ValidationError as exc:
                problems.extend(_describe(source, section, i, err) for err in exc.errors())
                if isinstance(item, dict) and item.get("key") is not None:
                    checked.broken[section].add(str(item["key"]))
                continue
            getattr(checked, section).append((i, entry))
    problems.extend(_check_references(checked, source))
    if problems:
        raise OrgError(problems)
    return OrgFile(
        units=[e for _, e in checked.units],
        people=[e for _, e in checked.people],
        chats=[e for _, e in checked.chats],
        accounts=[e for _, e in checked.accounts],
        duty_teams=[e for _, e in checked.duty_teams],
    )


def _describe(source: SourceText, section: str, index: int, err: Any) -> str:
    where = ""
    for part in err["loc"]:
        where += f"[{part + 1}]" if isinstance(part, int) else f".{part}"
    return f"{source.label(section, index)}{where or '（整条）'}：{_message(err)}"


_MESSAGES = {
    "missing": "缺少此字段",
    "extra_forbidden": "不认识的字段（请检查拼写，可用字段见 docs/org-file.md）",
    "string_type": "应为文字",
    "string_too_short": "不能为空",
    "string_too_long": "太长了",
    "list_type": "应为列表（- 开头的若干行，或 [a, b]）",
    "model_type": "应为若干“字段: 值”组成的一条记录",
    "model_attributes_type": "应为若干“字段: 值”组成的一条记录",
    "dict_type": "应为若干“字段: 值”组成的一条记录",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "date_type": "应为日期，如 2024-06-24",
    "date_parsing": "应为日期，如 2024-06-24",
    "date_from_datetime_parsing": "应为日期，如 2024-06-24",
    "date_from_datetime_inexact": "应为日期（不带时间），如 2024-06-24",
}


def _message(err: Any) -> str:
    kind = err.get("type", "")
    if kind == "value_error":
        return str(err.get("msg", "")).removeprefix("Value error, ")
    if kind == "enum":
        return f"取值不正确，可选：{err.get('ctx', {}).get('expected', '')}"
    return _MESSAGES.get(kind, str(err.get("msg", "")))


def _check_references(checked: _Checked, source: SourceText) -> list[str]:
    """Keys unique and well-formed; every reference points at an entry of the file."""
    problems: list[str] = []
    broken = checked.broken

    def at(section: str, index: int, name: str) -> str:
        return source.label(section, index, name)

    def dupes(section: str, entries: list[tuple[int, str, str, bool]]) -> None:
        seen: dict[str, int] = {}
        for i, key, name, explicit in entries:
            if explicit and not KEY_PATTERN.match(key):
                problems.append(
                    f"{at(section, i, name)}.key：“{key}”只能用字母、数字和 _ . -，"
                    "以字母或数字开头，不超过 64 个字符"
                )
            if key in seen or key in broken[section]:
                other = f" {section}[{seen[key] + 1}] " if key in seen else "另一条有问题的记录"
                if explicit:
                    problems.append(f"{at(section, i, name)}.key：“{key}”与{other}重复")
                else:
                    problems.append(
                        f"{at(section, i, name)}.key：与{other}的责任主体和平台相同，"
                        "请为两者分别写明 key"
                    )
            seen.setdefault(key, i)

    dupes("units", [(i, u.key, u.name, True) for i, u in checked.units])
    dupes("people", [(i, p.key, p.name, True) for i, p in checked.people])
    dupes("chats", [(i, c.key, c.name, True) for i, c in checked.chats])
    dupes(
        "accounts",
        [(i, account_key(a), a.name, a.key is not None) for i, a in checked.accounts],
    )
    units = {u.key: u for _, u in checked.units}

    def unit_missing(key: str) -> bool:
        return key not in units and key not in broken["units"]

    current_names = {u.name for _, u in checked.units if u.active}
    for i, u in checked.units:
        where = at("units", i, u.name)
        if u.parent is not None and unit_missing(u.parent):
            problems.append(f"{where}.parent：找不到单位 {u.parent}")
        if u.supervisor is not None and unit_missing(u.supervisor):
            problems.append(f"{where}.supervisor：找不到单位 {u.supervisor}")
        if u.supervisor == u.key:
            problems.append(f"{where}.supervisor：主管单位不能是自己")
        if u.internal_office and u.parent is None:
            problems.append(f"{where}.parent：内设科室必须写明所属单位")
        for name in set(u.aliases) & set(u.former_names):
            problems.append(f"{where}.former_names：“{name}”同时写在 aliases 中，请只保留一处")
        for name in u.former_names:
            if name == u.name or name in current_names:
                problems.append(f"{where}.former_names：“{name}”是在用单位的名称，不能作为旧名称")
        chain = [u.key]
        cur = u.parent
        while cur is not None and cur in units and cur not in chain:
            chain.append(cur)
            cur = units[cur].parent
        if cur == u.key:  # units on the loop report it; units hanging below it do not
            path = " → ".join([*chain, cur])
            problems.append(f"{where}.parent：上下级关系形成了循环（{path}）")
    people = {p.key for _, p in checked.people} | broken["people"]
    ids: dict[tuple[str, str], str] = {}
    for i, p in checked.people:
        where = at("people", i, p.name)
        if unit_missing(p.unit):
            problems.append(f"{where}.unit：找不到单位 {p.unit}")
        elif p.active and p.unit in units and not units[p.unit].active:
            problems.append(
                f"{where}.unit：单位 {p.unit} 已标记停用（active: false），不能有在岗人员"
            )
        for attr, kind in (
            ("wecom", "wecom"),
            ("feishu_open_id", "open_id"),
            ("feishu_user_id", "user_id"),
        ):
            value = getattr(p, attr)
            if value:
                other = ids.get((kind, value))
                if other is not None:
                    problems.append(f"{where}.{attr}：{value} 已被 {other} 使用")
                ids[(kind, value)] = p.name
    feishu_chats: dict[str, str] = {}
    wecom_chats: dict[str, str] = {}
    for i, c in checked.chats:
        where = at("chats", i, c.name)
        if c.unit is not None and unit_missing(c.unit):
            problems.append(f"{where}.unit：找不到单位 {c.unit}")
        for j, member in enumerate(c.members):
            if member not in people:
                problems.append(f"{where}.members[{j + 1}]：找不到人员 {member}")
            elif member in c.members[:j]:
                problems.append(f"{where}.members[{j + 1}]：{member} 重复列出")
        if c.feishu_chat_id:
            if c.feishu_chat_id in feishu_chats:
                problems.append(f"{where}.feishu_chat_id：与 {feishu_chats[c.feishu_chat_id]} 重复")
            feishu_chats[c.feishu_chat_id] = c.name
        if c.wecom_chat_id:
            if c.wecom_chat_id in wecom_chats:
                problems.append(f"{where}.wecom_chat_id：与 {wecom_chats[c.wecom_chat_id]} 重复")
            wecom_chats[c.wecom_chat_id] = c.name
    live: dict[tuple[str, MediaPlatform, str], int] = {}
    for i, a in checked.accounts:
        where = at("accounts", i, f"{a.name}·{a.platform.label}")
        if unit_missing(a.owner_unit):
            problems.append(f"{where}.owner_unit：找不到单位 {a.owner_unit}")
        elif a.owner_unit in units and units[a.owner_unit].internal_office:
            problems.append(
                f"{where}.owner_unit：内设科室不能作为政务新媒体的责任主体，"
                f"请填写其所属单位（{units[a.owner_unit].parent}）"
            )
        if a.operator_unit is not None and unit_missing(a.operator_unit):
            problems.append(f"{where}.operator_unit：找不到单位 {a.operator_unit}")
        if a.platform == MediaPlatform.OTHER and not a.platform_name:
            problems.append(f"{where}.platform_name：所属平台为“其他”时须写明平台名称")
        if a.live:
            first = live.setdefault(a.natural_key, i)
            if first != i:
                problems.append(
                    f"{where}.platform：与 accounts[{first + 1}] 是同一责任主体在同一平台的账号"
                    "（一个单位在同一平台只能开设一个政务新媒体账号）"
                )
    problems.extend(_check_duty_teams(checked, source, units, people))
    return problems


def _check_duty_teams(
    checked: _Checked, source: SourceText, units: dict[str, UnitEntry], people: set[str]
) -> list[str]:
    """Every duty team's references, its change times and its rotations."""
    problems: list[str] = []
    broken = checked.broken
    active_people = {p.key for _, p in checked.people if p.active}
    chats = {c.key for _, c in checked.chats} | broken["chats"]
    seen: dict[str, int] = {}
    for i, t in checked.duty_teams:
        where = source.label("duty_teams", i, t.name)
        if not KEY_PATTERN.match(t.key):
            problems.append(
                f"{where}.key：“{t.key}”只能用字母、数字和 _ . -，"
                "以字母或数字开头，不超过 64 个字符"
            )
        if t.key in seen or t.key in broken["duty_teams"]:
            problems.append(f"{where}.key：“{t.key}”与另一个值班组重复")
        seen.setdefault(t.key, i)
        if t.unit not in units and t.unit not in broken["units"]:
            problems.append(f"{where}.unit：找不到单位 {t.unit}")
        for j, unit in enumerate(t.scope):
            if unit not in units and unit not in broken["units"]:
                problems.append(f"{where}.scope[{j + 1}]：找不到单位 {unit}")
            elif unit in t.scope[:j]:
                problems.append(f"{where}.scope[{j + 1}]：{unit} 重复列出")
        if t.lead is not None and t.lead not in people:
            problems.append(f"{where}.lead：找不到人员 {t.lead}")
        elif t.lead is not None and t.active and t.lead not in active_people | broken["people"]:
            problems.append(f"{where}.lead：{t.lead} 已停用，不能担任值班长")
        if t.chat is not None and t.chat not in chats:
            problems.append(f"{where}.chat：找不到群聊 {t.chat}")
        for field_name in ("rotation", "holiday_rotation"):
            keys: list[str] = getattr(t, field_name)
            for j, key in enumerate(keys):
                if key not in people:
                    problems.append(
                        f"{where}.{field_name}[{j + 1}]：找不到人员 {key}"
                        "（人员从名单中删去时，请同时从轮值顺序中去掉）"
                    )
                elif key in keys[:j]:
                    problems.append(
                        f"{where}.{field_name}[{j + 1}]：{key} 重复列出（轮值顺序中每人只写一次）"
                    )
                elif t.active and key not in active_people | broken["people"]:
                    problems.append(
                        f"{where}.{field_name}[{j + 1}]：{key} 已停用，不能排班"
                        "（请从轮值顺序中去掉）"
                    )
        if t.shifts == ShiftMode.DAY_NIGHT and t.night_start <= t.day_start:
            problems.append(
                f"{where}.night_start：夜班开始时间（{t.night_start}）应晚于"
                f"白班开始时间（{t.day_start}）"
            )
    return problems


def load_path(path: Path) -> OrgFile:
    return parse(read_file(path))
