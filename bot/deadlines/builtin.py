"""The ``notify`` step handler: plain reminders to people and chats, no flow code needed.

Start a deadline with ``handler="notify"`` and ``data=notify_data(...)``; each step sends
its text (per step name, or a default built from the step's label) and records an audit
entry, in the firing transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from bot.cards.model import Mention
from bot.core.outgoing import Message
from bot.deadlines.registry import StepContext, step_handler
from bot.timekeeping.schedule import StepSpec

NOTIFY = "notify"


def notify_data(
    title: str,
    *,
    persons: Iterable[int] = (),
    chats: Iterable[int] = (),
    mentions: Iterable[Mention] = (),
    texts: Mapping[str, str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """``data`` for a ``notify`` deadline.

    ``texts`` maps step names to message templates; ``{title}``, ``{due_line}``,
    ``{remaining}`` and ``{explanation}`` are filled in when the step fires.
    """
    return {
        **extra,
        "notify": {
            "title": title,
            "persons": list(persons),
            "chats": list(chats),
            "mentions": [m.model_dump() for m in mentions],
            "texts": dict(texts or {}),
        },
    }


def _label(ctx: StepContext) -> str:
    for raw in ctx.deadline.schedule or []:
        spec = StepSpec.model_validate(raw)
        if spec.name == ctx.name:
            return spec.label or "提醒"
    return "提醒"


def render(ctx: StepContext) -> str:
    spec: dict[str, Any] = ctx.data.get("notify", {})
    title = str(spec.get("title") or ctx.deadline.kind)
    shown = ctx.text()
    values = {
        "title": title,
        "due_line": shown.due_line,
        "remaining": shown.remaining,
        "explanation": shown.explanation,
    }
    template = (spec.get("texts") or {}).get(ctx.name)
    if template:
        try:
            return str(template).format_map(values)
        except (KeyError, ValueError, IndexError):
            return str(template)
    return f"【{_label(ctx)}】{title}：{shown.due_line}，{shown.remaining}。"


@step_handler(NOTIFY)
async def notify(ctx: StepContext) -> None:
    spec: dict[str, Any] = ctx.data.get("notify", {})
    text = render(ctx)
    mentions = tuple(Mention.model_validate(m) for m in spec.get("mentions", []))
    for person_id in spec.get("persons", []):
        await ctx.emit.to_person(int(person_id), Message(text=text))
    for chat_id in spec.get("chats", []):
        await ctx.emit.to_chat(int(chat_id), Message(text=text, mentions=mentions))
    await ctx.audit_step(
        "deadline.reminded",
        {"repeat": ctx.repeat, "text": text, "outbox": list(ctx.emit.outbox_ids)},
    )
