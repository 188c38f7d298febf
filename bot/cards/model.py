"""The neutral card: written once by flows, rendered per platform by the adapters.

A card holds no platform syntax. ``to_text()`` is the fallback for logs, tests and
platforms without cards.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Tone(StrEnum):
    """Header colour, mapped per platform (Feishu templates, WeCom source colour)."""

    BLUE = "blue"
    GREEN = "green"
    ORANGE = "orange"
    RED = "red"
    GREY = "grey"


class ButtonStyle(StrEnum):
    PRIMARY = "primary"
    DEFAULT = "default"
    DANGER = "danger"


class InputKind(StrEnum):
    TEXT = "text"
    TEXTAREA = "textarea"
    SELECT = "select"
    DATE = "date"
    DATETIME = "datetime"


class Mention(BaseModel):
    """A person to @-mention; the adapter maps the person to their platform id."""

    model_config = ConfigDict(frozen=True)

    person_id: int
    name: str


class CardField(BaseModel):
    model_config = ConfigDict(frozen=True)

    label: str
    value: str


class Option(BaseModel):
    model_config = ConfigDict(frozen=True)

    value: str
    label: str


class FormInput(BaseModel):
    """A value the card asks for (e.g. a return reason).

    Platforms without card forms (WeCom template cards) ask for it in the chat instead.
    """

    model_config = ConfigDict(frozen=True)

    name: str
    label: str
    kind: InputKind = InputKind.TEXT
    required: bool = False
    placeholder: str = ""
    options: tuple[Option, ...] = ()
    default: str = ""


class Button(BaseModel):
    model_config = ConfigDict(frozen=True)

    label: str
    action: str  # handler key, e.g. "help.topic"
    payload: dict[str, str] = Field(default_factory=dict)
    style: ButtonStyle = ButtonStyle.DEFAULT
    # Names of inputs (from Card.inputs) this button needs before it can act.
    needs: tuple[str, ...] = ()


class Card(BaseModel):
    model_config = ConfigDict(frozen=True)

    title: str
    subtitle: str = ""
    tone: Tone = Tone.BLUE
    body: str = ""
    fields: tuple[CardField, ...] = ()
    mentions: tuple[Mention, ...] = ()
    inputs: tuple[FormInput, ...] = ()
    buttons: tuple[Button, ...] = ()
    status: str = ""
    # Set when the card is stored; actions refer to it.
    card_id: str | None = None

    def input(self, name: str) -> FormInput | None:
        return next((i for i in self.inputs if i.name == name), None)

    def closed(self, status: str, tone: Tone | None = None) -> Card:
        """The same card with its buttons and inputs removed and a final status line."""
        return self.model_copy(
            update={
                "buttons": (),
                "inputs": (),
                "status": status,
                "tone": tone or self.tone,
            }
        )

    def to_text(self) -> str:
        """Plain text rendering: every field, mention, button and status on its own line."""
        lines = [f"【{self.title}】"]
        if self.subtitle:
            lines.append(self.subtitle)
        if self.mentions:
            lines.append(" ".join(f"@{m.name}" for m in self.mentions))
        if self.body:
            lines.append(self.body)
        lines.extend(f"{f.label}：{f.value}" for f in self.fields)
        for item in self.inputs:
            mark = "（必填）" if item.required else ""
            choices = ""
            if item.options:
                choices = "：" + " / ".join(o.label for o in item.options)
            lines.append(f"［填写］{item.label}{mark}{choices}")
        if self.buttons:
            lines.append(" ".join(f"[{b.label}]" for b in self.buttons))
        if self.status:
            lines.append(f"状态：{self.status}")
        return "\n".join(lines)
