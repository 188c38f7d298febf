"""What a filing does to the account registry (6): the account it opens, the columns it
changes, the status it sets; and the history row with its audit entry for every change."""

from __future__ import annotations

from typing import Any

from bot.core.work import Work
from storage.enums import AccountStatus, MediaPlatform
from storage.models.filing import AccountHistory, Filing, FilingKind
from storage.models.org import Account

STATUS_AFTER = {
    FilingKind.CLOSE: AccountStatus.CLOSING,
    FilingKind.CANCEL: AccountStatus.CANCELLED,
    FilingKind.SUSPEND: AccountStatus.SUSPENDED,
    FilingKind.RESUME: AccountStatus.RUNNING,
    FilingKind.EMERGENCY: AccountStatus.CLOSED,
}


# Which account columns each 变更事项 may touch.
CHANGE_COLUMNS = {
    "name": ("name",),
    "account_id": ("platform_account_id",),
    "platform": ("platform", "platform_name"),
    "manager": ("manager_name", "manager_phone"),
    "operator": ("operators",),
}


def _fields(values: dict[str, str]) -> dict[str, Any]:
    """Account columns from the form's values."""
    platform = values.get("platform") or MediaPlatform.OTHER.value
    operators = []
    if values.get("operator_name"):
        operators = [{"name": values["operator_name"], "phone": values.get("operator_phone", "")}]
    return {
        "name": values.get("name", ""),
        "platform": MediaPlatform(platform),
        "platform_name": values.get("platform_name") or None,
        "platform_account_id": values.get("account_id") or None,
        "manager_name": values.get("manager_name") or None,
        "manager_phone": values.get("manager_phone") or None,
        "operators": operators,
    }


async def apply(w: Work, filing: Filing) -> Account | None:
    """An approved (or reported) filing takes effect: 开设 creates the account (筹备), 变更
    writes the items that change, the others set the status. None if the account is gone."""
    values: dict[str, str] = dict(filing.answers or {})
    kind = FilingKind(filing.kind)
    if kind == FilingKind.OPEN:
        account = await Account.create(
            using_db=w.conn,
            key=f"filing-{filing.id}",
            owner_unit_id=filing.unit_id,
            status=AccountStatus.PREPARING,
            note=f"开设备案 #{filing.id}",
            **_fields(values),
        )
        filing.account_id = account.id
        await filing.save(using_db=w.conn, update_fields=["account_id"])
        await record(w, account, filing, None, {}, "开设备案同意，筹备上线")
        return account
    found = await Account.filter(id=filing.account_id).using_db(w.conn).select_for_update().first()
    if found is None:
        return None
    account = found
    before = AccountStatus(account.status)
    changes: dict[str, list[Any]] = {}
    if kind == FilingKind.CHANGE:
        # Only the items the clerk said change: the others (e.g. a second operator the form
        # does not show) stay as the registry has them.
        items = set(filter(None, values.get("changed", "").split("\n")))
        columns = {c for item in items for c in CHANGE_COLUMNS.get(item, ())}
        for name, value in _fields(values).items():
            if name not in columns:
                continue
            old = getattr(account, name)
            if old != value:
                changes[name] = [_plain(old), _plain(value)]
                setattr(account, name, value)
    else:
        account.status = STATUS_AFTER[kind]
    await account.save(using_db=w.conn)
    await record(w, account, filing, before, changes, f"{kind.label}备案 #{filing.id}")
    return account


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, MediaPlatform) else value


async def record(
    w: Work,
    account: Account,
    filing: Filing | None,
    before: AccountStatus | None,
    changes: dict[str, list[Any]],
    note: str,
) -> None:
    """An ``account_history`` row (status before and after, the field diff) and its audit."""
    await AccountHistory.create(
        using_db=w.conn,
        account_id=account.id,
        filing_id=filing.id if filing else None,
        status_before=before.value if before else None,
        status_after=AccountStatus(account.status).value,
        changes=changes,
        note=note,
        at=w.now,
    )
    await w.audit(
        "account.updated",
        "account",
        account.id,
        {
            "filing": filing.id if filing else None,
            "status": [before.value if before else None, AccountStatus(account.status).value],
            "changes": changes,
        },
    )
