"""Neutral inbound events. Adapters build these; nothing past the adapter sees wire formats."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from storage.enums import IdentityKind, Platform


class PlatformUser(BaseModel):
    """A sender as the platform names them; the directory maps this to a person."""

    model_config = ConfigDict(frozen=True)

    platform: Platform
    kind: IdentityKind
    value: str
    display_name: str = ""


class Place(BaseModel):
    """Where a message was said: the person's 1:1 chat with the bot, or a group chat."""

    model_config = ConfigDict(frozen=True)

    platform: Platform
    kind: Literal["dm", "group"]
    # Platform group id (Feishu chat_id, console chat key); None for 1:1 chats.
    chat_ref: str | None = None

    @property
    def key(self) -> str:
        """Stable key of the place, used to scope conversations."""
        if self.kind == "dm":
            return f"{self.platform.value}:dm"
        return f"{self.platform.value}:group:{self.chat_ref}"


class _EventBase(BaseModel):
    model_config = ConfigDict(frozen=True)

    # Dedupe key, unique per platform delivery (message id, event id, ...).
    key: str
    sender: PlatformUser
    place: Place
    received_at: datetime

    @property
    def platform(self) -> Platform:
        return self.place.platform


class TextEvent(_EventBase):
    type: Literal["text"] = "text"
    text: str


class CardActionEvent(_EventBase):
    type: Literal["card_action"] = "card_action"
    card_id: str
    action: str
    payload: dict[str, str] = Field(default_factory=dict)
    form: dict[str, str] = Field(default_factory=dict)
    # Adapter data needed to update the tapped card (WeCom ResponseCode, Feishu token).
    update_token: str | None = None


class MenuEvent(_EventBase):
    type: Literal["menu"] = "menu"
    menu_key: str


class FileEvent(_EventBase):
    """A person sent an image or a file.

    ``media`` is the platform's reference to fetch the content with (WeCom MediaId, Feishu
    ``message_id/file_key``); the console stores uploads at once and sets ``file_id`` instead.
    Content is fetched only when a conversation wants it (see bot/core/media.py).
    """

    type: Literal["file"] = "file"
    kind: Literal["image", "file"] = "file"
    name: str = ""
    media: str = ""
    file_id: str | None = None


class OpenedEvent(_EventBase):
    """The person opened the bot (WeCom enter_agent, Feishu p2p chat entered)."""

    type: Literal["opened"] = "opened"


Event = Annotated[
    TextEvent | CardActionEvent | MenuEvent | OpenedEvent | FileEvent, Field(discriminator="type")
]
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


def event_to_json(event: Event) -> dict[str, object]:
    return event.model_dump(mode="json")


def event_from_json(data: object) -> Event:
    return EVENT_ADAPTER.validate_python(data)
