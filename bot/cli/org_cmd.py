"""dutybot org load / export."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn
from zoneinfo import ZoneInfo

import click

from bot.cli.base import main, run_db, settings_of
from bot.clock import SystemClock
from bot.flows.duty.planner import plan_all
from bot.org.apply import ChangeSummary, apply_org
from bot.org.export import export_org, to_yaml
from bot.org.schema import OrgError, OrgFile, load_path
from bot.policy.runtime import TimeConfigError, TimeKeeping


@main.group("org")
def org_group() -> None:
    """组织名单：单位、人员、身份、群聊、账号。"""


def _refuse(exc: OrgError) -> NoReturn:
    click.echo(
        f"组织名单有 {len(exc.problems)} 处问题，整份文件未导入（没有写入任何数据）：", err=True
    )
    for problem in exc.problems:
        click.echo(f"  · {problem}", err=True)
    sys.exit(2)


@org_group.command("load")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="只显示将要做的改动，不写入。")
@click.option("-v", "--verbose", is_flag=True, help="逐条列出改动。")
@click.pass_context
def load(ctx: click.Context, path: Path, dry_run: bool, verbose: bool) -> None:
    """导入组织名单（YAML 或 TOML）。重复导入无变化；修改后导入只应用差异。

    文件中没有的单位、人员、群聊会被停用（不会删除）；文件中没有的账号保持不变。
    格式见 docs/org-file.md。
    """
    settings = settings_of(ctx)
    try:
        org = load_path(path)
    except OrgError as exc:
        _refuse(exc)

    async def work(org: OrgFile = org) -> ChangeSummary | OrgError:
        now = SystemClock(ZoneInfo(settings.timezone)).now()
        try:
            summary = await apply_org(org, now, dry_run=dry_run)
        except OrgError as exc:
            return exc
        if not dry_run:
            # The duty teams' shifts, planned ahead from the rotations just loaded.
            try:
                calendar = TimeKeeping.from_settings(settings).calendar()
            except TimeConfigError as exc:
                click.echo(f"注意：排班未更新（{exc}）；改正后 worker 会按新名单排班。", err=True)
            else:
                await plan_all(calendar, now)
        return summary

    summary = run_db(settings, work)
    if isinstance(summary, OrgError):
        _refuse(summary)
    prefix = "（试运行，未写入）" if dry_run else ""
    click.echo(prefix + summary.describe())
    if summary.departures:
        click.echo(
            f"{prefix}离岗或调岗 {len(summary.departures)} 人：{'、'.join(summary.departures)}。"
            "值班机器人（dutybot worker）将为其原单位开出离岗交接清单，并提醒单位负责人。"
        )
    if summary.returns:
        click.echo(
            f"{prefix}重新列入 {len(summary.returns)} 人：{'、'.join(summary.returns)}。"
            "其未办完的离岗交接清单将由值班机器人撤销，并告知单位负责人。"
        )
    if verbose:
        for line in summary.lines:
            click.echo("  " + line)


@org_group.command("export")
@click.argument("path", type=click.Path(path_type=Path), required=False)
@click.option("--include-inactive", is_flag=True, help="连同已停用的单位、人员、群聊一起导出。")
@click.pass_context
def export(ctx: click.Context, path: Path | None, include_inactive: bool) -> None:
    """导出当前组织名单（YAML），可编辑后再用 dutybot org load 导入。"""

    async def work() -> str:
        return to_yaml(await export_org(include_inactive=include_inactive))

    text = run_db(settings_of(ctx), work)
    if path is None:
        click.echo(text, nl=False)
    else:
        path.write_text(text, encoding="utf-8")
        click.echo(f"已导出到 {path}", err=True)
