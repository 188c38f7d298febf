"""Running a flow's transition for a card tap: the table from action to transition, and the
translation of the flow's error into a toast."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from bot.core.context import HandlerContext
from bot.core.work import FlowError, Outcome

# Reads what the tap carries (payload, form inputs) and calls one transition.
Tap = Callable[[HandlerContext], Awaitable[Outcome]]


async def run_tap(ctx: HandlerContext, taps: Mapping[str, Tap]) -> None:
    """Call the transition the tapped button names (``filing.approve`` → ``taps["approve"]``);
    a refusal (the flow's error) becomes the toast, and the card stays as it is."""
    _, _, name = ctx.card_action.action.partition(".")
    tap = taps.get(name)
    if tap is None:
        ctx.notify_toast("暂不支持这个操作。", "warning")
        return
    try:
        outcome = await tap(ctx)
    except FlowError as exc:
        ctx.notify_toast(str(exc), exc.kind)
        return
    ctx.show(outcome)


def form_value(ctx: HandlerContext, name: str) -> str:
    """A tapped card's input (a reason, a note), stripped; empty when not given."""
    return (ctx.card_action.form.get(name) or "").strip()


def payload_id(ctx: HandlerContext, name: str = "id") -> int:
    """A number the tapped button carries (the subject's id); 0 when missing or malformed."""
    value = ctx.card_action.payload.get(name, "")
    return int(value) if value.isascii() and value.isdigit() else 0
