"""A form's progress, kept in its conversation row so a half-filled form survives restarts."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from storage.models.machinery import Conversation


class FormState(BaseModel):
    """What the person has answered so far and where the form stands."""

    model_config = ConfigDict(extra="ignore")

    answers: dict[str, str] = Field(default_factory=dict)
    # Keys answered in the chat, in order (上一步 walks back through them).
    asked: list[str] = Field(default_factory=list)
    # Values offered as 同上 (the registry's current data).
    prefill: dict[str, str] = Field(default_factory=dict)
    # The flow's own context, handed to its completion callback (e.g. the account id).
    extra: dict[str, Any] = Field(default_factory=dict)
    # The question being asked; None before the first and at the summary.
    current: str | None = None
    # Settled before the form started (e.g. the filing type picked from a menu): never asked.
    fixed: list[str] = Field(default_factory=list)
    # Files received for attachment questions, by key (FileRef dumps), until "好了".
    files: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)
    # After a single form card only the attachments are still asked in the chat.
    card_mode: bool = False

    @classmethod
    def of(cls, conv: Conversation) -> FormState:
        return cls.model_validate(conv.data or {})

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json")
