"""Neutral cards and messages → Feishu wire content (card JSON 2.0, text with ``<at>``).

Pure functions: person ids are mapped to Feishu ids by the caller (``people.py``).
Card JSON 2.0 rejects unknown properties, so only documented ones are emitted; user text goes
into ``plain_text`` so nothing a person typed is read as markdown or as an ``<at>`` tag.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bot.cards.model import Button, ButtonStyle, Card, FormInput, InputKind, Mention, Tone
from bot.core.outgoing import Message

# Feishu refuses cards over 30 KB (send, reply, PATCH and callback responses alike).
MAX_CARD_BYTES = 30 * 1024
TRUNCATED = "…（内容过长，已截断，完整内容请在系统中查看）"
FORM_NAME = "dutybot_form"

TEMPLATES = {
    Tone.BLUE: "blue",
    Tone.GREEN: "green",
    Tone.ORANGE: "orange",
    Tone.RED: "red",
    Tone.GREY: "grey",
}
BUTTON_TYPES = {
    ButtonStyle.PRIMARY: "primary",
    ButtonStyle.DEFAULT: "default",
    ButtonStyle.DANGER: "danger",
}


def _plain(text: str) -> dict[str, str]:
    return {"tag": "plain_text", "content": text}


def _div(text: str) -> dict[str, Any]:
    return {"tag": "div", "text": _plain(text)}


def _card_mention(mention: Mention, at_ids: Mapping[int, str]) -> str:
    feishu_id = at_ids.get(mention.person_id)
    if feishu_id:
        return f"<at id={feishu_id}></at>"
    # Not on Feishu: name them without a (failing) notification.
    return "@" + mention.name.replace("<", "＜").replace(">", "＞")


def button_value(card: Card, button: Button) -> dict[str, Any]:
    """What a tap sends back: enough to rebuild the neutral ``CardActionEvent`` exactly."""
    return {"card_id": card.card_id or "", "action": button.action, "payload": dict(button.payload)}


def _button(card: Card, button: Button, submit_name: str | None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "tag": "button",
        "text": _plain(button.label),
        "type": BUTTON_TYPES[button.style],
        "behaviors": [{"type": "callback", "value": button_value(card, button)}],
    }
    if submit_name is not None:
        element["name"] = submit_name
        element["form_action_type"] = "submit"
    return element


def _button_row(elements: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "tag": "column_set",
        "flex_mode": "flow",
        "columns": [
            {"tag": "column", "width": "auto", "elements": [element]} for element in elements
        ],
    }


def _input(item: FormInput, required: bool) -> dict[str, Any]:
    verb = "请填写" if item.kind in (InputKind.TEXT, InputKind.TEXTAREA) else "请选择"
    placeholder = _plain(item.placeholder or f"{verb}{item.label}")
    label = _plain(item.label)
    base: dict[str, Any] = {"name": item.name, "required": required}
    if item.kind == InputKind.SELECT:
        element = {
            "tag": "select_static",
            **base,
            "placeholder": placeholder,
            "options": [{"text": _plain(o.label), "value": o.value} for o in item.options],
        }
        if item.default:
            element["initial_option"] = item.default
        # Selects and pickers have no label of their own: say what they are just above.
        return {"tag": "column_set", "columns": [_label_column(item), _column(element)]}
    if item.kind == InputKind.DATE:
        element = {"tag": "date_picker", **base, "placeholder": placeholder}
        if item.default:
            element["initial_date"] = item.default
        return {"tag": "column_set", "columns": [_label_column(item), _column(element)]}
    if item.kind == InputKind.DATETIME:
        element = {"tag": "picker_datetime", **base, "placeholder": placeholder}
        if item.default:
            element["initial_datetime"] = item.default
        return {"tag": "column_set", "columns": [_label_column(item), _column(element)]}
    element = {"tag": "input", **base, "placeholder": placeholder, "label": label}
    if item.kind == InputKind.TEXTAREA:
        element["input_type"] = "multiline_text"
        element["rows"] = 3
    if item.default:
        element["default_value"] = item.default
    return element


def _column(element: dict[str, Any]) -> dict[str, Any]:
    return {"tag": "column", "width": "weighted", "weight": 3, "elements": [element]}


def _label_column(item: FormInput) -> dict[str, Any]:
    mark = "（必填）" if item.required else ""
    return {
        "tag": "column",
        "width": "weighted",
        "weight": 1,
        "vertical_align": "center",
        "elements": [_div(item.label + mark)],
    }


def _form(card: Card) -> tuple[dict[str, Any] | None, list[Button]]:
    """The form holding the inputs and the buttons that submit them; other buttons."""
    if not card.inputs:
        return None, list(card.buttons)
    submitting = [b for b in card.buttons if b.needs]
    named = bool(submitting)
    if not named:
        # No button names its inputs: every button submits all of them.
        submitting = list(card.buttons)
    if not submitting:
        return None, []
    others = [b for b in card.buttons if b not in submitting]
    elements: list[dict[str, Any]] = []
    for item in card.inputs:
        # The client blocks a submit with an empty required field: only mark it required
        # when every submitting button needs it (the dispatcher checks per button anyway).
        required = item.required and (not named or all(item.name in b.needs for b in submitting))
        elements.append(_input(item, required))
    index = {id(b): i for i, b in enumerate(card.buttons)}
    elements.append(_button_row([_button(card, b, f"submit_{index[id(b)]}") for b in submitting]))
    return {"tag": "form", "name": FORM_NAME, "elements": elements}, others


def render_card(card: Card, at_ids: Mapping[int, str]) -> dict[str, Any]:
    """Card JSON 2.0 for a neutral card (not yet size-checked; see ``card_content``)."""
    header: dict[str, Any] = {"title": _plain(card.title), "template": TEMPLATES[card.tone]}
    if card.subtitle:
        header["subtitle"] = _plain(card.subtitle)
    elements: list[dict[str, Any]] = []
    if card.mentions:
        mentions = " ".join(_card_mention(m, at_ids) for m in card.mentions)
        elements.append({"tag": "markdown", "content": mentions})
    if card.body:
        elements.append(_div(card.body))
    if card.fields:
        elements.append(_div("\n".join(f"{f.label}：{f.value}" for f in card.fields)))
    form, others = _form(card)
    if form is not None:
        elements.append(form)
    if others:
        elements.append(_button_row([_button(card, b, None) for b in others]))
    if card.status:
        elements.append({"tag": "hr"})
        elements.append(_div(f"状态：{card.status}"))
    return {
        "schema": "2.0",
        # JSON 2.0 cards are always shared (update_multi true): PATCH and callback updates
        # change the card for everyone who sees it.
        "config": {"update_multi": True},
        "header": header,
        "body": {"elements": elements},
    }


def dumps(data: Mapping[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + TRUNCATED


def fit_card(card: Card, at_ids: Mapping[int, str]) -> dict[str, Any]:
    """The rendering, with the body and field values shortened until it is ≤ 30 KB."""
    rendered = render_card(card, at_ids)
    if len(dumps(rendered).encode("utf-8")) <= MAX_CARD_BYTES:
        return rendered
    for limit in (4000, 2000, 1000, 400, 100, 0):
        shorter = card.model_copy(
            update={
                "body": _cut(card.body, limit),
                "fields": tuple(
                    f.model_copy(update={"value": _cut(f.value, max(20, limit // 4))})
                    for f in card.fields
                ),
            }
        )
        rendered = render_card(shorter, at_ids)
        if len(dumps(rendered).encode("utf-8")) <= MAX_CARD_BYTES:
            return rendered
    # Still too big (hundreds of fields or buttons): keep title, status and buttons only.
    bare = card.model_copy(update={"body": TRUNCATED, "fields": (), "mentions": ()})
    return render_card(bare, at_ids)


def card_content(card: Card, at_ids: Mapping[int, str]) -> str:
    """The ``content`` string of an ``interactive`` message or a PATCH."""
    return dumps(fit_card(card, at_ids))


def text_mention(mention: Mention, at_ids: Mapping[int, str]) -> str:
    feishu_id = at_ids.get(mention.person_id)
    name = mention.name.replace("<", "＜").replace(">", "＞")
    if feishu_id:
        return f'<at user_id="{feishu_id}">{name}</at>'
    return f"@{name}"


def text_content(message: Message, at_ids: Mapping[int, str]) -> str:
    """The ``content`` string of a ``text`` message: @-mentions first, then the words."""
    parts: list[str] = []
    if message.mentions:
        parts.append(" ".join(text_mention(m, at_ids) for m in message.mentions))
    if message.text:
        parts.append(message.text)
    return dumps({"text": " ".join(parts)})
