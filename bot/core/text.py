"""Shared user-facing wording, so the same situation is always said the same way."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.cards.model import Card
    from bot.core.routing import Command

CANCEL_WORDS = frozenset({"取消", "退出", "算了", "不办了"})
BACK_WORDS = frozenset({"上一步", "返回上一步", "上一题"})


def stranger_text() -> str:
    return (
        "您好，我是政务新媒体值班助手。系统里还没有您的信息，暂时无法为您办理。"
        "请联系本单位管理员把您加入组织名单后再试。"
    )


def unknown_text(text: str) -> str:
    shown = text if len(text) <= 20 else text[:20] + "…"
    return f"没有看懂“{shown}”。回复“帮助”查看您可以办理的事项。"


def not_allowed_text(cmd: Command) -> str:
    roles = "、".join(sorted(r.label for r in cmd.roles or ()))
    return f"「{cmd.word}」需要由{roles}办理，您的账号没有这个角色。如有疑问请联系管理员。"


def flow_cancelled_text(label: str) -> str:
    return f"已取消「{label}」，填写的内容没有提交。需要时可重新开始。"


def card_closed_text(card: Card) -> str:
    return f"此事项已处理：{card.status}" if card.status else "此事项已处理。"


def denied_text(who: str) -> str:
    """A tap by someone a card is not for: who may act instead (``who`` is names or a role)."""
    if not who:
        return "这张卡片需要由指定的人处理，您的操作未生效。"
    return f"这张卡片由{who}处理，您的操作未生效。"
