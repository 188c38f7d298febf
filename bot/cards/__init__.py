"""Neutral cards and their per-platform renderings."""

from bot.cards.model import (
    Button,
    ButtonStyle,
    Card,
    CardField,
    FormInput,
    InputKind,
    Mention,
    Option,
    Tone,
)

__all__ = [
    "Button",
    "ButtonStyle",
    "Card",
    "CardField",
    "FormInput",
    "InputKind",
    "Mention",
    "Option",
    "Tone",
]
