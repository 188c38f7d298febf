"""Registry columns: the headers of the filing form (佳县备案表) and the variants people type."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Col(StrEnum):
    OWNER = "owner"
    NAME = "name"
    ACCOUNT_ID = "account_id"
    PLATFORM = "platform"
    PLATFORM_NAME = "platform_name"
    MANAGER_NAME = "manager_name"
    MANAGER_PHONE = "manager_phone"
    OPERATOR_NAMES = "operator_names"
    OPERATOR_PHONES = "operator_phones"
    STATUS = "status"
    OPERATOR_UNIT = "operator_unit"
    OPENED_ON = "opened_on"
    URL = "url"
    NOTE = "note"
    SERIAL = "serial"  # 序号: recognised and ignored


@dataclass(frozen=True)
class Column:
    col: Col
    header: str  # what export writes
    aliases: tuple[str, ...]
    required: bool = False


COLUMNS: tuple[Column, ...] = (
    Column(Col.SERIAL, "序号", ("序号", "编号", "no")),
    Column(
        Col.OWNER,
        "责任主体",
        ("责任主体", "责任单位", "责任主体单位", "主办单位", "开设主体", "开办单位"),
        required=True,
    ),
    Column(
        Col.NAME,
        "新媒体名称",
        ("新媒体名称", "政务新媒体名称", "账号名称", "名称", "公众号名称"),
        required=True,
    ),
    Column(Col.ACCOUNT_ID, "账号", ("账号", "账号id", "平台账号", "账号号码", "账户")),
    Column(
        Col.PLATFORM,
        "所属平台",
        ("所属平台", "平台", "平台类型", "开设平台", "发布平台"),
        required=True,
    ),
    Column(Col.PLATFORM_NAME, "平台名称", ("平台名称", "其他平台名称", "具体平台名称")),
    Column(
        Col.MANAGER_NAME,
        "运营主管负责人(姓名)",
        (
            "运营主管负责人", "运营主管负责人姓名", "新媒体运营主管负责人",
            "新媒体运营主管负责人姓名", "主管负责人", "主管负责人姓名", "负责人", "负责人姓名",
        ),
    ),
    Column(
        Col.MANAGER_PHONE,
        "运营主管负责人联系方式",
        (
            "运营主管负责人联系方式", "运营主管负责人电话", "运营主管负责人手机",
            "运营主管负责人联系电话", "新媒体运营主管负责人联系方式", "主管负责人联系方式",
            "主管负责人电话", "主管负责人手机", "负责人联系方式", "负责人电话", "负责人手机",
        ),
    ),
    Column(
        Col.OPERATOR_NAMES,
        "运营人员(姓名)",
        ("运营人员", "运营人员姓名", "新媒体运营人员", "新媒体运营人员姓名", "运营者", "运维人员"),
    ),
    Column(
        Col.OPERATOR_PHONES,
        "运营人员联系方式",
        (
            "运营人员联系方式", "运营人员电话", "运营人员手机", "运营人员联系电话",
            "新媒体运营人员联系方式", "运营者联系方式", "运维人员联系方式",
        ),
    ),
    Column(Col.STATUS, "状态", ("状态", "账号状态", "运行状态", "运营状态")),
    Column(Col.OPERATOR_UNIT, "承办单位", ("承办单位", "运营单位", "承办部门")),
    Column(
        Col.OPENED_ON,
        "开设日期",
        ("开设日期", "开设时间", "开通日期", "开通时间", "注册日期", "注册时间"),
    ),
    Column(
        Col.URL,
        "网址/链接",
        ("网址", "链接", "网址链接", "网址或链接", "主页链接", "主页网址", "链接地址", "url"),
    ),
    Column(Col.NOTE, "备注", ("备注", "说明")),
)  # fmt: skip

BY_COL = {c.col: c for c in COLUMNS}
REQUIRED = tuple(c for c in COLUMNS if c.required)
# The order ``dutybot accounts export`` writes.
EXPORT_ORDER = (
    Col.SERIAL, Col.OWNER, Col.NAME, Col.ACCOUNT_ID, Col.PLATFORM, Col.MANAGER_NAME,
    Col.MANAGER_PHONE, Col.OPERATOR_NAMES, Col.OPERATOR_PHONES, Col.STATUS, Col.OPERATOR_UNIT,
    Col.OPENED_ON, Col.URL, Col.NOTE,
)  # fmt: skip
# Second header rows under a merged "运营主管负责人" / "运营人员" cell (the form's layout).
SUB_HEADERS = frozenset({"姓名", "联系方式", "电话", "手机", "手机号", "联系电话"})


def normalise_header(text: str) -> str:
    """Ignore spaces, brackets, colons, slashes and required-marks: people vary all of them."""
    return re.sub(r"[\s\u3000()（）:：*/、_\-]", "", text).lower()


_BY_ALIAS = {normalise_header(a): c.col for c in COLUMNS for a in c.aliases}


def column_for(header: str) -> Col | None:
    return _BY_ALIAS.get(normalise_header(header))
