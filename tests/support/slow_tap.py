"""A bot with one slow card action, for the taps that outlast a platform's answer deadline.

``导出`` replies with a card 导出台账 whose button 开始导出 runs work that waits for the test's
``release`` event (a fixed sleep raced the test on a busy machine), then closes the card with
已导出 12 个账号."""

from __future__ import annotations

import asyncio

from bot.cards.model import Button, Card
from bot.core.context import HandlerContext
from bot.core.emit import card_from_record
from bot.core.routing import Router
from bot.handlers import load_all

DONE = "已导出 12 个账号"


def slow_export_router(release: asyncio.Event) -> Router:
    router = load_all().copy()

    @router.command("导出", "测试：慢操作")
    async def export(ctx: HandlerContext, rest: str) -> None:
        card = await ctx.emit.new_card(
            Card(title="导出台账", buttons=(Button(label="开始导出", action="slow.export"),)),
            kind="test.slow",
            allowed_person_ids=[ctx.actor.id],
        )
        await ctx.reply(card=card)

    @router.action("slow")
    async def run(ctx: HandlerContext) -> None:
        await asyncio.wait_for(release.wait(), 30)  # longer than any answer deadline
        record = ctx.card_record
        assert record is not None
        done = card_from_record(record).closed(DONE)
        await ctx.emit.update_card(record.id, done, close=True)
        ctx.notify_toast("导出完成", "success")

    return router
