"""Apply a registry spreadsheet: every row checked first, then one audited transaction.

Default: any bad row refuses the whole file and nothing is written. ``skip_bad``: the good
rows are written and the bad ones reported. Either way the report says which happened.
Rows match existing accounts by 责任主体 + 所属平台 (+ platform name for 其他), see
``bot.org.accounts``; importing the same file twice changes nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from tortoise.transactions import in_transaction

from bot.org.accounts import AccountIndex, Ambiguous, NaturalKey
from bot.org.apply import Applier
from bot.org.schema import ENDED_STATUSES, natural_account_key
from bot.registry_io.columns import BY_COL, Col
from bot.registry_io.rows import Problem, RegistryRow, UnitDirectory, check_row
from bot.registry_io.table import Table, read_table
from storage import audit
from storage.models.org import Account, Unit

ACTOR = audit.Actor.system("台账导入")
PROGRESS_EVERY = 200

# (phase, rows done, rows in total) — phases are 检查 and 写入.
Progress = Callable[[str, int, int], None]


@dataclass
class ImportReport:
    source: str
    total: int
    skip_bad: bool
    dry_run: bool
    problems: list[Problem] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    written_rows: int = 0  # good rows applied (changed or not)
    ignored_headers: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    @property
    def bad_rows(self) -> list[int]:
        return sorted({p.row for p in self.problems})

    @property
    def refused(self) -> bool:
        return bool(self.problems) and not self.skip_bad

    @property
    def unchanged(self) -> int:
        return self.written_rows - self.created - self.updated

    def outcome(self) -> str:
        """The last line a person reads: what happened to their file."""
        prefix = "（试运行，未写入）" if self.dry_run else ""
        bad = len(self.bad_rows)
        counts = f"新增 {self.created} 个账号，更新 {self.updated} 个，{self.unchanged} 个无变化"
        if self.refused:
            return (
                f"整份文件未导入：共 {self.total} 行，其中 {bad} 行有问题（见上）。"
                "没有写入任何数据。请改正后重新导入，或加 --skip-bad 只导入没有问题的行。"
            )
        if bad:
            return (
                f"{prefix}已导入没有问题的 {self.written_rows} 行（{counts}）；"
                f"跳过了有问题的 {bad} 行（见上），这些行没有写入，改正后可再次导入。"
            )
        return f"{prefix}导入完成：共 {self.total} 行，{counts}。"


class _Rollback(Exception):
    pass


@dataclass
class _Plan:
    row: RegistryRow
    existing: Account | None
    key: str


async def import_registry(
    path: Path,
    now: datetime,
    *,
    skip_bad: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Check and apply ``path``; raises ``TableError`` when the file cannot be read at all."""
    table = await asyncio.to_thread(read_table, path)
    report = ImportReport(
        source=table.source,
        total=len(table.rows),
        skip_bad=skip_bad,
        dry_run=dry_run,
        ignored_headers=table.ignored_headers,
    )
    if report.total < PROGRESS_EVERY:
        progress = None  # a short file is done before progress would mean anything
    units = await Unit.all().order_by("id")
    good = _check_rows(table, UnitDirectory(units), report, progress)
    try:
        async with in_transaction() as conn:
            applier = Applier(conn, now, ACTOR)
            applier.unit_keys = {u.id: u.key for u in units}
            index = AccountIndex(
                await Account.all().using_db(conn).order_by("id"), applier.unit_keys
            )
            plans = _plan(good, index, table, report)
            if report.refused:
                raise _Rollback
            for done, plan in enumerate(plans, 1):
                context = {"source": table.source, "row": plan.row.number}
                if plan.existing is None:
                    created = await applier.create(
                        Account, "account", plan.key, plan.row.values, **context
                    )
                    index.add(created)
                else:
                    await applier.update(
                        plan.existing, "account", plan.key, plan.row.values, **context
                    )
                if progress is not None and (done % PROGRESS_EVERY == 0 or done == len(plans)):
                    progress("写入", done, len(plans))
            report.created = applier.summary.created.get("account", 0)
            report.updated = applier.summary.updated.get("account", 0)
            report.written_rows = len(plans)
            report.lines = applier.summary.lines
            if dry_run:
                raise _Rollback
    except _Rollback:
        pass
    report.problems.sort(key=lambda p: p.row)
    return report


def _check_rows(
    table: Table, units: UnitDirectory, report: ImportReport, progress: Progress | None
) -> list[RegistryRow]:
    good: list[RegistryRow] = []
    live_first: dict[NaturalKey, int] = {}
    for done, row in enumerate(table.rows, 1):
        checked = check_row(row, table.columns, units)
        if isinstance(checked, list):
            report.problems.extend(checked)
        else:
            natural = natural_account_key(
                checked.owner.key, checked.platform, checked.platform_name
            )
            first = (
                live_first.setdefault(natural, checked.number)
                if checked.status not in ENDED_STATUSES
                else checked.number
            )
            if first != checked.number:
                report.problems.append(
                    Problem(
                        checked.number,
                        _header(table, Col.PLATFORM),
                        f"与第 {first} 行是同一责任主体在同一平台的账号"
                        "（一个单位在同一平台只能开设一个政务新媒体账号）",
                    )
                )
            else:
                good.append(checked)
        if progress is not None and (done % PROGRESS_EVERY == 0 or done == len(table.rows)):
            progress("检查", done, len(table.rows))
    return good


def _plan(
    rows: list[RegistryRow], index: AccountIndex, table: Table, report: ImportReport
) -> list[_Plan]:
    """Match rows to existing accounts; rows that cannot be matched safely become problems."""

    def refuse(row: RegistryRow, col: Col, message: str) -> None:
        report.problems.append(Problem(row.number, _header(table, col), message))

    def match(row: RegistryRow, exclude: frozenset[str]) -> Account | Ambiguous | None:
        return index.match(
            row.owner.key,
            row.platform,
            row.platform_name,
            status=row.status,
            platform_account_id=row.platform_account_id,
            exclude=exclude,
        )

    plans: list[_Plan] = []
    claimed: dict[str, int] = {}
    # Rows naming an existing account by its 账号 claim it first, so that an old account and
    # its successor on the same platform are told apart whatever their order in the file.
    by_id: dict[int, Account] = {}
    for row in rows:
        if row.platform_account_id:
            found = match(row, frozenset(claimed))
            if isinstance(found, Account) and found.platform_account_id == row.platform_account_id:
                by_id[row.number] = found
                claimed[found.key] = row.number
    for row in rows:
        found = by_id.get(row.number) or match(
            row, frozenset(k for k, n in claimed.items() if n != row.number)
        )
        if isinstance(found, Ambiguous):
            names = "、".join(
                f"“{a.name}”（账号 {a.platform_account_id or '未填'}）" for a in found.candidates
            )
            refuse(
                row,
                Col.ACCOUNT_ID,
                f"该单位在此平台有多个已登记的账号：{names}，请填写“账号”栏以区分",
            )
            continue
        if found is None and not row.owner.active:
            refuse(row, Col.OWNER, f"单位“{row.owner.name}”已停用，不能为它新增账号")
            continue
        key = found.key if found else index.new_key(row.owner.key, row.platform, row.platform_name)
        index.reserve(key)
        claimed[key] = row.number
        plans.append(_Plan(row=row, existing=found, key=key))
    good: list[_Plan] = []
    for plan in plans:
        row = plan.row
        status = row.status or (plan.existing.status if plan.existing else None)
        if status not in ENDED_STATUSES:
            natural = natural_account_key(row.owner.key, row.platform, row.platform_name)
            others = [a for a in index.live_conflicts(plan.key, natural) if a.key not in claimed]
            if others:
                refuse(
                    row,
                    Col.PLATFORM,
                    f"该单位在{row.platform.label}已有账号“{others[0].name}”（状态："
                    f"{others[0].status.label}），一个单位在同一平台只能开设一个账号；"
                    "如旧账号已关停或注销，请先在台账中更新它的状态",
                )
                continue
        good.append(plan)
    return good


def _header(table: Table, col: Col) -> str:
    return table.columns.get(col, BY_COL[col].header)
