"""dutybot audit verify."""

from __future__ import annotations

import sys

import click

from bot.cli.base import main, run_db, settings_of
from storage.audit import ChainReport, verify_chain


@main.group("audit")
def audit_group() -> None:
    """审计日志。"""


@audit_group.command("verify")
@click.pass_context
def verify(ctx: click.Context) -> None:
    """校验审计日志的哈希链，发现被改动、删除的记录。"""
    report: ChainReport = run_db(settings_of(ctx), verify_chain)
    if report.ok:
        click.echo(f"审计日志完整：共 {report.checked} 条，链尾哈希 {report.head_hash}")
        click.echo("（可把链尾哈希另行记录，日后比对可发现尾部被截断。）")
        return
    click.echo(f"审计日志被篡改！共检查 {report.checked} 条，发现 {len(report.problems)} 处问题：")
    for problem in report.problems:
        click.echo(f"  第 {problem.seq} 条（id={problem.entry_id}）：{problem.reason}")
    sys.exit(2)
