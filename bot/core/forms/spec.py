"""Declaring a form: its questions (kinds, choices, conditions, validators) and what submit does.

A flow registers its ``FormSpec`` once (``register``); the driver finds it again by name, which is
also the name of the conversation the form runs in.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.core.context import HandlerContext
from bot.core.outgoing import FileRef

Answers = dict[str, str]


class FormError(ValueError):
    """An answer that cannot be accepted; the message (Chinese) says why and what to do."""


class QuestionKind(StrEnum):
    TEXT = "text"
    LONG_TEXT = "long_text"
    CHOICE = "choice"
    MULTI_CHOICE = "multi_choice"
    PHONE = "phone"
    DATE = "date"
    YES_NO = "yes_no"
    # Images and files the person sends in the chat; the answer is a JSON list of FileRefs.
    ATTACHMENTS = "attachments"


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


ChoicesFn = Callable[[HandlerContext, Answers], Awaitable[Sequence[Choice]]]
ValidateFn = Callable[[HandlerContext, str, Answers], Awaitable[str]]
WhenFn = Callable[[Answers], bool]


@dataclass(frozen=True)
class Question:
    key: str
    label: str  # short, for summaries: "新媒体名称"
    prompt: str  # the question: "请输入新媒体名称（与平台上显示的一致）"
    kind: QuestionKind = QuestionKind.TEXT
    required: bool = True
    choices: Sequence[Choice] | ChoicesFn = ()
    when: WhenFn | None = None
    # Normalises and checks the answer; raise FormError. Runs after the kind's own check.
    validate: ValidateFn | None = None
    hint: str = ""

    def applies(self, answers: Answers) -> bool:
        return self.when is None or self.when(answers)


CompleteFn = Callable[[HandlerContext, Answers, dict[str, Any]], Awaitable[None]]
NoteFn = Callable[[HandlerContext, Answers, dict[str, Any]], Awaitable[str]]


@dataclass(frozen=True)
class FormSpec:
    """A form: its conversation flow name, what people call it, its questions, what submit does."""

    name: str
    label: str
    questions: tuple[Question, ...]
    on_complete: CompleteFn
    summary_title: str = ""
    submit_label: str = "提交"
    # Shown above the summary (e.g. the deadline this filing will have).
    summary_note: NoteFn | None = None
    extra_fields: Callable[[Answers], list[tuple[str, str]]] | None = field(default=None)

    def question(self, key: str) -> Question:
        for q in self.questions:
            if q.key == key:
                return q
        raise KeyError(key)

    @property
    def keys(self) -> set[str]:
        return {q.key for q in self.questions}


_SPECS: dict[str, FormSpec] = {}


def register(spec: FormSpec) -> FormSpec:
    """Make a form known to the driver; its conversations are found by ``driver.flow_for``."""
    if spec.name in _SPECS and _SPECS[spec.name] is not spec:
        raise ValueError(f"form {spec.name!r} registered twice")
    _SPECS[spec.name] = spec
    return spec


def spec_named(name: str) -> FormSpec | None:
    return _SPECS.get(name)


def attachments(value: str) -> list[FileRef]:
    """The files of an ATTACHMENTS answer (empty for "无")."""
    if not value:
        return []
    try:
        items = json.loads(value)
    except ValueError:
        return []
    return [FileRef.model_validate(item) for item in items] if isinstance(items, list) else []
