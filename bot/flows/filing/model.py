"""The filing itself: its error, locking it, what it is called, and the flow's constants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient

from bot.core.outgoing import FileRef
from bot.core.work import FlowError, Outcome
from storage.enums import AccountStatus, Decision, MediaPlatform
from storage.models.filing import Filing, FilingKind, FilingStatus
from storage.models.org import Account, Unit

# The subject type of a filing in the audit log, on stored cards and on deadlines.
SUBJECT = "filing"
# Card actions are "filing.<name>" (``bot/handlers/filing.py`` maps each name to a transition);
# stored cards carry them, so the names never change.
ACTION = "filing"
# The deadline engine's name for ``steps.on_step``; stored deadline rows carry it.
STEP_HANDLER = "filing"
# The conversation that asks the kind and the account before the form.
PICK_FLOW = "filing.pick"
WITHDRAW_WORD = "撤回备案"

# Kinds of stored cards.
PICK_CARD = "filing.pick"
APPROVAL_CARD = "filing.approval"
RETURNED_CARD = "filing.returned"
RESULT_CARD = "filing.result"
INFO_CARD = "filing.info"

# Kinds of the filing's deadlines (``countdowns``), and what people call them.
REPORT = "filing.report"
NOTICE_CLOSE = "filing.notice_close"
GOLIVE = "filing.golive"
SUSPEND = "filing.suspend"
NOTICE_OPEN = "filing.notice_open"
# An approved filing whose effective date is still to come: the registry changes when it fires.
TAKES_EFFECT = "filing.takes_effect"
PURPOSE_TITLES = {
    REPORT: "备案报送主管单位",
    NOTICE_CLOSE: "关停公告期",
    GOLIVE: "上线时限",
    SUSPEND: "临时下线恢复上线",
}

# The two levels of the chain, as the printed 备案表 names their opinions.
HEAD_LEVEL = "主办单位意见"
SUPERVISOR_LEVEL = "备案主管单位意见"

# Statuses before the final decision: the only ones a filing can be withdrawn or superseded in,
# and in which it holds its account (or, for an opening, its platform).
OPEN_STATES = (FilingStatus.PENDING, FilingStatus.RETURNED)

# Kinds that act on an existing account of the unit, and the statuses it may be in.
ACCOUNT_STATES: dict[FilingKind, tuple[AccountStatus, ...]] = {
    FilingKind.CHANGE: (AccountStatus.PREPARING, AccountStatus.RUNNING, AccountStatus.SUSPENDED),
    FilingKind.CLOSE: (AccountStatus.PREPARING, AccountStatus.RUNNING, AccountStatus.SUSPENDED),
    FilingKind.CANCEL: (AccountStatus.CLOSING, AccountStatus.CLOSED),
    FilingKind.SUSPEND: (AccountStatus.RUNNING,),
    FilingKind.RESUME: (AccountStatus.SUSPENDED, AccountStatus.CLOSED),
    FilingKind.EMERGENCY: (AccountStatus.RUNNING, AccountStatus.SUSPENDED),
}

# Kinds whose change of the registry waits for the date the filing names (the effective date,
# or the offline's start); approved on or after it they apply at once. 开设 has no date (the
# account is 筹备 until 已上线) and 紧急关停 has already happened when it is reported.
DATED_KINDS = (
    FilingKind.CHANGE,
    FilingKind.CLOSE,
    FilingKind.CANCEL,
    FilingKind.SUSPEND,
    FilingKind.RESUME,
)

# The deadline rule for getting the filing to the supervisor after the effective date.
REPORT_RULE: dict[FilingKind, str] = {
    FilingKind.CHANGE: "filing.change",
    FilingKind.CLOSE: "filing.close",
    FilingKind.CANCEL: "filing.cancel",
    FilingKind.EMERGENCY: "filing.close",
}

# What a 变更 may change (the form's choices, the card's 变更事项).
CHANGE_ITEMS = {
    "subject": "责任主体",
    "name": "新媒体名称",
    "account_id": "账号",
    "platform": "所属平台",
    "manager": "运营主管负责人",
    "operator": "运营人员",
}

# Audit verbs of the decisions. Rows written before the verbs took the past participle say
# filing.approve / filing.return / filing.reject; nothing in the bot reads them by verb.
DECIDED = {
    Decision.APPROVE: "filing.approved",
    Decision.RETURN: "filing.returned",
    Decision.REJECT: "filing.rejected",
}

KIND_BY_LABEL = {k.label: k for k in FilingKind} | {k.value: k for k in FilingKind}


class FilingError(FlowError):
    """A filing transition that cannot happen; the message says why (a toast or a reply)."""


@dataclass(frozen=True)
class Stage:
    """The approval card a decision was tapped on: a decision counts only while the filing is
    still waiting at that step of that round (a second tap, or an old round's card, is late)."""

    filing_id: int
    step: int
    round: int


@dataclass(frozen=True)
class Draft:
    """What a submitted form says: the kind, every value, the account and the effective date."""

    kind: FilingKind
    values: dict[str, str]
    account_id: int | None
    effective_on: date | None


@dataclass(frozen=True)
class Filed(Outcome):
    """A submission's outcome: what to tell the clerk in the chat, and the 备案表 to send them
    after it (a 紧急关停 has one at once)."""

    document: FileRef | None = None


async def lock(conn: BaseDBAsyncClient, filing_id: int) -> Filing | None:
    """The filing, locked for this transaction: of two taps at once, one waits and sees the
    other's decision."""
    return await Filing.filter(id=filing_id).using_db(conn).select_for_update().first()


def parse_kind(text: str) -> FilingKind | None:
    text = text.strip()
    for alias, kind in (("变更备案", FilingKind.CHANGE), ("开设备案", FilingKind.OPEN)):
        if text == alias:
            return kind
    return KIND_BY_LABEL.get(text)


def title_of(filing: Filing) -> str:
    values = filing.answers or {}
    return f"{FilingKind(filing.kind).label}备案 #{filing.id}「{values.get('name', '')}」"


def account_line(account: Account) -> str:
    """An account with its status, as lists show it: 临江文旅（抖音） · 运行."""
    return f"{account.label} · {AccountStatus(account.status).label}"


def registry_values(account: Account, unit: Unit) -> dict[str, str]:
    """The registry's values of the account, as the form's answers (pre-filled, 同上)."""
    operators: list[dict[str, str]] = list(account.operators or [])
    first = operators[0] if operators else {}
    return {
        "subject": unit.name,
        "name": account.name,
        "account_id": account.platform_account_id or "",
        "platform": str(account.platform),
        "platform_name": account.platform_name or "",
        "manager_name": account.manager_name or "",
        "manager_phone": account.manager_phone or "",
        "operator_name": str(first.get("name", "")),
        "operator_phone": str(first.get("phone", "")),
    }


def display_values(filing: Filing) -> dict[str, str]:
    """The filing's answers as people read them, plus the platform and 变更事项 in words."""
    return display_answers(filing.answers or {})


def display_answers(answers: dict[str, Any]) -> dict[str, str]:
    """Answers (or registry values) as people read them: the platform and 变更事项 in words."""
    values: dict[str, str] = {str(k): str(v) for k, v in answers.items()}
    platform = values.get("platform")
    if platform:
        text = MediaPlatform(platform).label
        if platform == MediaPlatform.OTHER.value and values.get("platform_name"):
            text += f"（{values['platform_name']}）"
        values["platform_text"] = text
    if values.get("changed"):
        items = values["changed"].split("\n")
        values["changed_text"] = "、".join(CHANGE_ITEMS.get(v, v) for v in items)
    return values


def day_text(day: date, today: date) -> str:
    """12月5日, or 2027年1月10日 when the year is not this one."""
    prefix = f"{day.year}年" if day.year != today.year else ""
    return f"{prefix}{day.month}月{day.day}日"


def what_takes_effect(filing: Filing) -> str:
    """What the filing does to the registry, as "将于12月5日起…" ends: 临时下线, 变更运营人员…"""
    kind = FilingKind(filing.kind)
    if kind == FilingKind.CHANGE:
        changed = display_values(filing).get("changed_text", "")
        return f"变更{changed}" if changed else "变更"
    return {
        FilingKind.CLOSE: "进入关停公告期",
        FilingKind.CANCEL: "注销",
        FilingKind.SUSPEND: "临时下线",
        FilingKind.RESUME: "恢复上线",
    }.get(kind, kind.label)


def start_of_day(day: date, tz: ZoneInfo) -> datetime:
    """An effective date as the moment its day begins, in the deployment's timezone."""
    return datetime.combine(day, time(0, 0), tzinfo=tz)


def cite(basis: str) -> str:
    """ "依据《…》第七条" -> "（依据《…》第七条）"."""
    return f"（{basis}）" if basis else ""
