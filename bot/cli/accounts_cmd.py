"""dutybot accounts import / export: the account registry (台账) as a spreadsheet."""

from __future__ import annotations

import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from bot.cli.base import fail, main, run_db, settings_of
from bot.clock import SystemClock
from bot.registry_io.exporter import registry_records, write_registry
from bot.registry_io.importer import ImportReport, import_registry
from bot.registry_io.table import TableError

# Exit codes (docs/accounts-import.md): 0 all rows imported, 2 nothing imported,
# 3 good rows imported and bad rows skipped (--skip-bad).
EXIT_REFUSED = 2
EXIT_PARTIAL = 3


@main.group("accounts")
def accounts_group() -> None:
    """政务新媒体账号台账：从表格导入、导出为表格。"""


def _progress(phase: str, done: int, total: int) -> None:
    click.echo(f"{phase}：{done}/{total} 行", err=True)


@accounts_group.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--skip-bad", is_flag=True, help="跳过有问题的行，导入其余的行（默认：有问题就整份不导入）。"
)
@click.option("--dry-run", is_flag=True, help="只检查并显示将要做的改动，不写入。")
@click.option("-v", "--verbose", is_flag=True, help="逐条列出改动。")
@click.pass_context
def import_(ctx: click.Context, path: Path, skip_bad: bool, dry_run: bool, verbose: bool) -> None:
    """从 .xlsx 或 .csv 台账导入账号（表头与备案表一致，见 docs/accounts-import.md）。

    按“责任主体 + 所属平台”对应已有账号并更新，没有的新增；重复导入同一文件没有变化。
    """
    settings = settings_of(ctx)

    async def work() -> ImportReport | TableError:
        now = SystemClock(ZoneInfo(settings.timezone)).now()
        try:
            return await import_registry(
                path, now, skip_bad=skip_bad, dry_run=dry_run, progress=_progress
            )
        except TableError as exc:
            return exc

    report = run_db(settings, work)
    if isinstance(report, TableError):
        fail(f"无法导入 {path.name}：{report}\n整份文件未导入，没有写入任何数据。", EXIT_REFUSED)
    if report.ignored_headers:
        click.echo("以下列不认识，已忽略：" + "、".join(report.ignored_headers), err=True)
    if report.problems:
        click.echo(f"{len(report.bad_rows)} 行有问题：", err=True)
        for problem in report.problems:
            click.echo(f"  · {problem}", err=True)
    if verbose:
        for line in report.lines:
            click.echo("  " + line)
    click.echo(report.outcome())
    if report.refused:
        sys.exit(EXIT_REFUSED)
    if report.problems:
        sys.exit(EXIT_PARTIAL)


@accounts_group.command("export")
@click.argument("path", type=click.Path(path_type=Path))
@click.pass_context
def export(ctx: click.Context, path: Path) -> None:
    """把账号台账导出为 .xlsx 或 .csv（表头与导入相同，可修改后再导入）。"""
    records = run_db(settings_of(ctx), registry_records)
    try:
        write_registry(path, records)
    except TableError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"无法写入 {path}：{exc}")
    click.echo(f"已导出 {len(records)} 个账号到 {path}", err=True)
