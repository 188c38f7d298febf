"""Forms filled in the chat: one question at a time, or one form card where the platform has them.

A flow declares a ``FormSpec`` (questions with prompts, kinds, choices, conditions, validators
and registry pre-fills) and a completion callback. The driver keeps the answers in the person's
conversation row (``FormState``), so a half-filled form survives restarts; it understands
``上一步`` (go back), ``同上`` (keep the pre-filled value), ``取消`` (handled by the dispatcher),
choice buttons, numbered choices and typed labels, validates every answer with a Chinese reason,
and ends with a summary card: 提交 / 修改 / 取消.

- ``spec``: declaring a form and registering it.
- ``state``: the typed progress kept in the conversation.
- ``parsing``: pure — the next question, reading an answer of each kind, showing it.
- ``cards``: the question, summary and form cards, from plain values.
- ``driver``: the chat itself (asking, answering, files, going back, submitting).
"""

from __future__ import annotations

from bot.core.forms.driver import flow_for, handle_action, start
from bot.core.forms.parsing import normalise_phone_answer, parse_date
from bot.core.forms.spec import (
    Answers,
    Choice,
    CompleteFn,
    FormError,
    FormSpec,
    Question,
    QuestionKind,
    attachments,
    register,
    spec_named,
)
from bot.core.forms.state import FormState

__all__ = [
    "Answers",
    "Choice",
    "CompleteFn",
    "FormError",
    "FormSpec",
    "FormState",
    "Question",
    "QuestionKind",
    "attachments",
    "flow_for",
    "handle_action",
    "normalise_phone_answer",
    "parse_date",
    "register",
    "spec_named",
    "start",
]
