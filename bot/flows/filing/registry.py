"""What an approved (or reported) filing does to the account registry (6), with history."""

from __future__ import annotations

from typing import Any

from bot.core.context import HandlerContext
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


async def apply(ctx: HandlerContext, filing: Filing) -> Account | None:
    values: dict[str, str] = dict(filing.answers or {})
    kind = FilingKind(filing.kind)
    if kind == FilingKind.OPEN:
        account = await Account.create(
            using_db=ctx.conn,
            key=f"filing-{filing.id}",
            owner_unit_id=filing.unit_id,
            status=AccountStatus.PREPARING,
            note=f"开设备案 #{filing.id}",
            **_fields(values),
        )
        filing.account_id = account.id
        await filing.save(using_db=ctx.conn, update_fields=["account_id"])
        await record(ctx, account, filing, None, {}, "开设备案同意，筹备上线")
        return account
    found = (
        await Account.filter(id=filing.account_id).using_db(ctx.conn).select_for_update().first()
    )
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
    await account.save(using_db=ctx.conn)
    await record(ctx, account, filing, before, changes, f"{kind.label}备案 #{filing.id}")
    return account


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, MediaPlatform) else value


async def record(
    ctx: HandlerContext,
    account: Account,
    filing: Filing | None,
    before: AccountStatus | None,
    changes: dict[str, list[Any]],
    note: str,
) -> None:
    await AccountHistory.create(
        using_db=ctx.conn,
        account_id=account.id,
        filing_id=filing.id if filing else None,
        status_before=before.value if before else None,
        status_after=AccountStatus(account.status).value,
        changes=changes,
        note=note,
        at=ctx.now,
    )
    await ctx.audit(
        "account.updated",
        "account",
        account.id,
        {
            "filing": filing.id if filing else None,
            "status": [before.value if before else None, AccountStatus(account.status).value],
            "changes": changes,
        },
    )
