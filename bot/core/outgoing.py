"""Neutral outgoing intents: what to say, to whom. Adapters render and deliver them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from bot.cards.model import Card, Mention


class FileRef(BaseModel):
    """A stored document attached to a message (see bot/files.py)."""

    model_config = ConfigDict(frozen=True)

    file_id: str
    name: str
    size: int
    mime: str = "application/octet-stream"
    # A picture meant to be looked at in the chat (the duty roster's PNG): platforms that show
    # images send it as an image message. Documents and attachments stay files (the original
    # bytes, downloadable), whatever their type.
    inline: bool = False


class Message(BaseModel):
    """A message as a flow means it: text, or a card, with people to @-mention."""

    model_config = ConfigDict(frozen=True)

    text: str = ""
    card: Card | None = None
    mentions: tuple[Mention, ...] = ()
    # Ask the platform to push it insistently (Feishu urgent_app) — duty alerts only.
    urgent: bool = False
    files: tuple[FileRef, ...] = ()

    def to_text(self) -> str:
        parts: list[str] = []
        if self.mentions:
            parts.append(" ".join(f"@{m.name}" for m in self.mentions))
        if self.text:
            parts.append(self.text)
        if self.card is not None:
            parts.append(self.card.to_text())
        parts.extend(f"[文件] {f.name}" for f in self.files)
        return "\n".join(parts)


class Toast(BaseModel):
    """A short notice shown to the person who tapped a card."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["info", "success", "warning", "error"] = "info"
    text: str


class OutboxPayload(BaseModel):
    """What an outbox row carries: a new message or a new rendering of an existing card."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["message", "card_update"]
    message: Message | None = None
    card_id: str | None = None
    card: Card | None = None
    # For target_kind == "identity": an unknown sender we can only answer directly.
    identity: dict[str, str] | None = None
