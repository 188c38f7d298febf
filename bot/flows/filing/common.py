"""What the filing modules share: kinds, which accounts each kind applies to, the policy."""

from __future__ import annotations

from datetime import date, datetime, time

from bot.core.services import Services
from bot.policy.model import Policy
from storage.enums import AccountStatus, MediaPlatform
from storage.models.filing import FilingKind
from storage.models.org import Account

# Kinds that act on an existing account of the unit, and the statuses it may be in.
ACCOUNT_STATES: dict[FilingKind, tuple[AccountStatus, ...]] = {
    FilingKind.CHANGE: (AccountStatus.PREPARING, AccountStatus.RUNNING, AccountStatus.SUSPENDED),
    FilingKind.CLOSE: (AccountStatus.PREPARING, AccountStatus.RUNNING, AccountStatus.SUSPENDED),
    FilingKind.CANCEL: (AccountStatus.CLOSING, AccountStatus.CLOSED),
    FilingKind.SUSPEND: (AccountStatus.RUNNING,),
    FilingKind.RESUME: (AccountStatus.SUSPENDED, AccountStatus.CLOSED),
    FilingKind.EMERGENCY: (AccountStatus.RUNNING, AccountStatus.SUSPENDED),
}

# The deadline rule for getting the filing to the supervisor after the effective date.
REPORT_RULE: dict[FilingKind, str] = {
    FilingKind.CHANGE: "filing.change",
    FilingKind.CLOSE: "filing.close",
    FilingKind.CANCEL: "filing.cancel",
    FilingKind.EMERGENCY: "filing.close",
}

KIND_BY_LABEL = {k.label: k for k in FilingKind} | {k.value: k for k in FilingKind}


def parse_kind(text: str) -> FilingKind | None:
    text = text.strip()
    for alias, kind in (("变更备案", FilingKind.CHANGE), ("开设备案", FilingKind.OPEN)):
        if text == alias:
            return kind
    return KIND_BY_LABEL.get(text)


def policy_of(services: Services) -> Policy:
    return services.timekeeping.policy


def platform_label(account: Account) -> str:
    label = MediaPlatform(account.platform).label
    if account.platform == MediaPlatform.OTHER and account.platform_name:
        label = f"其他（{account.platform_name}）"
    return label


def account_line(account: Account) -> str:
    status = AccountStatus(account.status).label
    return f"{platform_label(account)}「{account.name}」（{status}）"


def start_of_day(day: date, services: Services) -> datetime:
    """An effective date as the moment its day begins, in the deployment's timezone."""
    return datetime.combine(day, time(0, 0), tzinfo=services.tz)


def cite(basis: str) -> str:
    """ "依据《…》第七条" -> "（依据《…》第七条）"."""
    return f"（{basis}）" if basis else ""
