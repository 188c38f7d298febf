"""dutybot config check."""

from __future__ import annotations

import click

from bot.cli.base import main, settings_of
from bot.config import ReviewOptions, describe
from bot.flows.review.proofing.rules import RuleFileError, office_rules, shipped_rules


@main.group("config")
def config_group() -> None:
    """查看配置。"""


@config_group.command("check")
@click.pass_context
def check(ctx: click.Context) -> None:
    """显示生效的配置（密钥已隐藏），并说明各渠道还缺什么。"""
    settings = settings_of(ctx)
    click.echo("生效配置：")
    for name, value in describe(settings):
        click.echo(f"  {name:<36} {value}")
    click.echo("\n渠道：")
    click.echo(
        "  控制台（console）              dutybot demo 中默认开启；其他模式由 DUTYBOT_CONSOLE 决定"
    )
    for status in settings.channel_status():
        if status.enabled:
            click.echo(f"  {status.label:<28} 已开启")
        elif status.partially_configured:
            click.echo(f"  {status.label:<28} 未开启，还缺：{'、'.join(status.missing)}")
        else:
            click.echo(f"  {status.label:<28} 未配置（需要：{'、'.join(status.missing)}）")
    _proofing()
    if not settings.redis_url:
        click.echo(
            "\n提示：未设置 DUTYBOT_REDIS_URL，将使用内嵌 redis-server（仅适合演示和单机）。"
        )


def _proofing() -> None:
    """纠错 rules: the shipped files' versions and the office's own file, checked."""
    shipped = shipped_rules()
    count = sum(len(rules) for _, rules in shipped)
    versions = "、".join(sorted({version for version, _ in shipped}))
    click.echo("\n送审前纠错规则：")
    click.echo(f"  内置规则 {count} 条（版本 {versions}）")
    path = ReviewOptions().wording_file
    name = "DUTYBOT_REVIEW_WORDING_FILE"
    if path is None:
        click.echo(f"  {name:<36} 未设置（只用内置规则）")
        return
    try:
        version, rules = office_rules(path)
    except RuleFileError as exc:
        click.echo(f"  {name:<36} {path}：有误，送审时不会使用：{exc}")
        return
    click.echo(f"  {name:<36} {path}：{len(rules)} 条（版本 {version or '未标明'}）")
