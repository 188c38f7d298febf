"""The cards of a form, built from plain values: a question with answer buttons, the summary
(提交 / 修改), and the single form card with every field (platforms whose cards take input)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.cards.model import (
    Button,
    ButtonStyle,
    Card,
    CardField,
    FormInput,
    InputKind,
    Option,
    Tone,
)
from bot.core.forms.spec import Choice, FormSpec, Question, QuestionKind

TIPS = "回复“上一步”可修改上一题，“取消”放弃。"

# How a question is asked on a form card.
_INPUT_KINDS = {
    QuestionKind.LONG_TEXT: InputKind.TEXTAREA,
    QuestionKind.CHOICE: InputKind.SELECT,
    QuestionKind.YES_NO: InputKind.SELECT,
    QuestionKind.DATE: InputKind.DATE,
}


def question_card(
    spec: FormSpec, question: Question, text: str, choices: Sequence[Choice], prefill: str | None
) -> Card:
    """A choice question: one button per choice, the registered value highlighted."""
    buttons = tuple(
        Button(
            label=c.label,
            action="form.answer",
            payload={"form": spec.name, "key": question.key, "value": c.value},
            style=ButtonStyle.PRIMARY if c.value == prefill else ButtonStyle.DEFAULT,
        )
        for c in choices
    )
    return Card(title=spec.label, body=text, buttons=buttons, status=TIPS)


def summary_card(spec: FormSpec, fields: Sequence[CardField], note: str) -> Card:
    """Every answer for a last look, with 提交 and 修改."""
    payload = {"form": spec.name}
    return Card(
        title=spec.summary_title or f"请核对{spec.label}",
        tone=Tone.BLUE,
        body=note,
        fields=tuple(fields),
        buttons=(
            Button(
                label=spec.submit_label,
                action="form.submit",
                payload=payload,
                style=ButtonStyle.PRIMARY,
            ),
            Button(label="修改", action="form.edit", payload=payload),
        ),
        status="核对无误请点“" + spec.submit_label + "”；回复“取消”放弃。",
    )


def input_kind(question: Question) -> InputKind:
    return _INPUT_KINDS.get(question.kind, InputKind.TEXT)


def form_input(
    question: Question, choices: Sequence[Choice], value: str, error: str | None
) -> FormInput:
    """One field of the form card, with the reason beside it when the last try was refused."""
    kind = input_kind(question)
    options = tuple(Option(value=c.value, label=c.label) for c in choices)
    label = question.label + ("" if question.when is None else "（如适用）")
    if error:
        label += f"——{error}"
    return FormInput(
        name=question.key,
        label=label,
        kind=kind,
        required=question.required and question.when is None,
        placeholder=question.prompt[:60],
        options=options if kind == InputKind.SELECT else (),
        default=value,
    )


def form_card(spec: FormSpec, inputs: Sequence[FormInput], has_errors: bool) -> Card:
    """The whole form on one card; "下一步" leads to the summary."""
    body = "请填写后点“下一步”核对。" if not has_errors else "有几项需要修改，见标注。"
    return Card(
        title=spec.label,
        tone=Tone.ORANGE if has_errors else Tone.BLUE,
        body=body,
        inputs=tuple(inputs),
        buttons=(
            Button(
                label="下一步",
                action="form.card_submit",
                payload={"form": spec.name},
                style=ButtonStyle.PRIMARY,
            ),
        ),
    )
