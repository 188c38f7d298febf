"""dutybot outbox list / retry: what is waiting to be sent, what was given up, send it again."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import click

from bot import outbox
from bot.cli.base import fail, main, run_db, settings_of
from storage.enums import OutboxStatus
from storage.models.machinery import OutboxMessage

STATUS_LABELS = {
    OutboxStatus.PENDING: "待发送",
    OutboxStatus.SENDING: "发送中",
    OutboxStatus.SENT: "已发送",
    OutboxStatus.FAILED: "已放弃",
}


def _when(value: datetime | None, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S") if value is not None else "-"


@main.group("outbox")
def outbox_group() -> None:
    """查看待发送和发送失败（已放弃重试）的消息，并重新发送。"""


@outbox_group.command("list")
@click.option("--failed", "only_failed", is_flag=True, help="只看已放弃重试的消息。")
@click.option("--all", "show_all", is_flag=True, help="也列出已发送的消息。")
@click.option("--limit", type=int, default=50, show_default=True, help="最多列出多少条。")
@click.pass_context
def list_rows(ctx: click.Context, only_failed: bool, show_all: bool, limit: int) -> None:
    """列出未送达的消息（待发送、发送中、已放弃），最早的在前。"""
    settings = settings_of(ctx)
    tz = ZoneInfo(settings.timezone)

    async def work() -> None:
        if only_failed:
            statuses = [OutboxStatus.FAILED]
        elif show_all:
            statuses = list(OutboxStatus)
        else:
            statuses = [OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.FAILED]
        query = OutboxMessage.filter(status__in=statuses)
        total = await query.count()
        rows = await query.order_by("id").limit(max(1, limit))
        if not rows:
            click.echo("没有已放弃的消息。" if only_failed else "没有未送达的消息。")
            return
        for row in rows:
            status = STATUS_LABELS.get(OutboxStatus(row.status), str(row.status))
            click.echo(
                f"#{row.id} [{status}] 发给 {await outbox.target_label(row)}：{outbox.preview(row)}"
            )
            given_up = row.status == OutboxStatus.FAILED
            nxt = f"放弃于 {_when(row.given_up_at, tz)}" if given_up else ""
            nxt = nxt or f"下次尝试 {_when(row.next_attempt_at, tz)}"
            click.echo(f"    写入 {_when(row.created_at, tz)}，已尝试 {row.attempts} 次，{nxt}")
            if row.last_error:
                click.echo(f"    原因：{row.last_error[:200]}")
        if total > len(rows):
            click.echo(f"（共 {total} 条，只列出前 {len(rows)} 条；用 --limit 调整）")

    run_db(settings, work)


@outbox_group.command("retry")
@click.argument("row_ids", nargs=-1, type=int)
@click.option("--all-failed", is_flag=True, help="重发所有已放弃的消息。")
@click.pass_context
def retry_rows(ctx: click.Context, row_ids: tuple[int, ...], all_failed: bool) -> None:
    """把已放弃的消息放回发送队列（重新计算 24 小时的重试期限），由 worker 尽快发送。"""
    settings = settings_of(ctx)
    if not row_ids and not all_failed:
        fail("请给出要重发的消息编号（见 dutybot outbox list --failed），或用 --all-failed。")
    if row_ids and all_failed:
        fail("编号和 --all-failed 只能选一个。")

    async def work() -> None:
        ids = list(row_ids) if row_ids else None
        if ids is not None:
            known = {
                int(str(i))
                for i in await OutboxMessage.filter(id__in=ids).values_list("id", flat=True)
            }
            failed = {
                int(str(i))
                for i in await OutboxMessage.filter(
                    id__in=ids, status=OutboxStatus.FAILED
                ).values_list("id", flat=True)
            }
            for i in ids:
                if i not in known:
                    click.echo(f"#{i}：没有这条消息。")
                elif i not in failed:
                    click.echo(f"#{i}：不是已放弃的消息，无需重发。")
        count = await outbox.retry(ids)
        if count:
            click.echo(f"已把 {count} 条消息放回发送队列；worker 会在几秒内重新发送。")
        else:
            fail("没有可重发的消息。")

    run_db(settings, work)
