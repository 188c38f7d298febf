"""Forms filled in the chat: one question at a time, or one form card where the platform has them.

A flow declares a ``FormSpec`` (questions with prompts, kinds, choices, conditions, validators
and registry pre-fills) and a completion callback. The engine keeps the answers in the person's
conversation row, so a half-filled form survives restarts; it understands ``上一步`` (go back),
``同上`` (keep the pre-filled value), ``取消`` (handled by the dispatcher), choice buttons,
numbered choices and typed labels, validates every answer with a Chinese reason, and ends with a
summary card: 提交 / 修改 / 取消.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

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
from bot.core.capabilities import capabilities
from bot.core.context import HandlerContext
from bot.core.events import CardActionEvent, FileEvent
from bot.core.media import MediaError
from bot.core.outgoing import FileRef
from bot.core.routing import Flow
from bot.core.text import BACK_WORDS
from storage.models.machinery import Conversation

KEEP_WORDS = frozenset({"同上", "不变", "保持不变", "不修改"})
SKIP_WORDS = frozenset({"无", "没有", "跳过", "略"})
# Ends an attachments step: "发完回复「好了」".
DONE_WORDS = frozenset({"好了", "好", "好的", "完成", "发完了", "发完", "没有了", "就这些"})
CLEAR_WORDS = frozenset({"清空", "重发", "重新发送"})
MAX_ATTACHMENTS = 10

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
    summary_note: Callable[[HandlerContext, Answers, dict[str, Any]], Awaitable[str]] | None = None
    extra_fields: Callable[[Answers], list[tuple[str, str]]] | None = field(default=None)

    def question(self, key: str) -> Question:
        for q in self.questions:
            if q.key == key:
                return q
        raise KeyError(key)


_SPECS: dict[str, FormSpec] = {}


def register(spec: FormSpec) -> FormSpec:
    """Make a form known to the engine; its conversations are found by ``flow_for``."""
    if spec.name in _SPECS and _SPECS[spec.name] is not spec:
        raise ValueError(f"form {spec.name!r} registered twice")
    _SPECS[spec.name] = spec
    return spec


def flow_for(name: str) -> Flow | None:
    """The conversation flow of the form called ``name`` (a router flow finder)."""
    spec = _SPECS.get(name)
    if spec is None:
        return None

    async def continue_form(ctx: HandlerContext, conv: Conversation, text: str) -> None:
        await answer_text(ctx, spec, conv, text)

    async def take_file(ctx: HandlerContext, conv: Conversation) -> None:
        await answer_file(ctx, spec, conv)

    def wants_file(conv: Conversation) -> bool:
        return asks_for_attachments(spec, conv)

    return Flow(
        name=spec.name,
        label=spec.label,
        handler=continue_form,
        on_file=take_file,
        wants_file=wants_file,
    )


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


# ---- state ------------------------------------------------------------------------------------


def _state(conv: Conversation) -> dict[str, Any]:
    data = dict(conv.data)
    data.setdefault("answers", {})
    data.setdefault("asked", [])
    data.setdefault("prefill", {})
    data.setdefault("extra", {})
    return data


def _next_question(spec: FormSpec, answers: Answers, after: str | None) -> Question | None:
    """The first applicable question after ``after`` (or from the start) still to ask."""
    keys = [q.key for q in spec.questions]
    start = keys.index(after) + 1 if after in keys else 0
    for q in spec.questions[start:]:
        if q.applies(answers):
            return q
    return None


def _visible_answers(spec: FormSpec, answers: Answers) -> Answers:
    """Answers to questions that still apply (a changed earlier answer can hide later ones)."""
    return {
        q.key: answers[q.key] for q in spec.questions if q.key in answers and q.applies(answers)
    }


# ---- starting and asking ----------------------------------------------------------------------


async def start(
    ctx: HandlerContext,
    spec: FormSpec,
    *,
    answers: Answers | None = None,
    prefill: Answers | None = None,
    extra: dict[str, Any] | None = None,
    intro: str = "",
) -> None:
    """Begin the form. ``answers`` are settled already; ``prefill`` values are offered as 同上."""
    data = {
        "answers": dict(answers or {}),
        "asked": [],
        "prefill": dict(prefill or {}),
        "extra": dict(extra or {}),
        "current": None,
        # Settled before the form started (e.g. the filing type picked from a menu): never asked.
        "fixed": sorted((answers or {}).keys()),
    }
    conv = await ctx.start_conversation(spec.name, "asking", data)
    if intro:
        await ctx.reply(intro)
    if capabilities(ctx.event.platform).single_form_card:
        await _send_form_card(ctx, spec, conv, data, errors={})
        return
    await _advance(ctx, spec, conv, data, after=None)


async def _advance(
    ctx: HandlerContext,
    spec: FormSpec,
    conv: Conversation,
    data: dict[str, Any],
    after: str | None,
) -> None:
    answers: Answers = data["answers"]
    fixed = set(data.get("fixed", []))
    question = _next_question(spec, answers, after)
    while question is not None and (
        question.key in fixed
        # After a form card only the attachments are still asked in the chat.
        or (data.get("card_mode") and question.kind != QuestionKind.ATTACHMENTS)
    ):
        question = _next_question(spec, answers, question.key)
    if question is None:
        data["current"] = None
        await ctx.save_conversation(conv, "confirming", data)
        await _send_summary(ctx, spec, data)
        return
    data["current"] = question.key
    await ctx.save_conversation(conv, "asking", data)
    await _ask(ctx, spec, question, data)


def _progress(spec: FormSpec, data: dict[str, Any], question: Question) -> str:
    fixed = set(data.get("fixed", []))
    applicable = [q for q in spec.questions if q.applies(data["answers"]) and q.key not in fixed]
    position = next((i for i, q in enumerate(applicable) if q.key == question.key), 0) + 1
    return f"{spec.label}（{position}/{len(applicable)}）"


async def _ask(
    ctx: HandlerContext, spec: FormSpec, question: Question, data: dict[str, Any]
) -> None:
    prefill = data["prefill"].get(question.key)
    lines = [f"{_progress(spec, data, question)}{question.prompt}"]
    if question.hint:
        lines.append(question.hint)
    if prefill:
        lines.append(f"当前登记为：{_display(question, prefill)}。不变请回复“同上”。")
    if not question.required and question.kind != QuestionKind.ATTACHMENTS:
        lines.append("没有可回复“无”。")
    tips = "回复“上一步”可修改上一题，“取消”放弃。"
    choices = await _choices(ctx, question, data["answers"])
    caps = capabilities(ctx.event.platform)
    if question.kind in (QuestionKind.CHOICE, QuestionKind.YES_NO) and choices:
        if caps.buttons and len(choices) <= caps.max_buttons:
            buttons = tuple(
                Button(
                    label=c.label,
                    action="form.answer",
                    payload={"form": spec.name, "key": question.key, "value": c.value},
                    style=ButtonStyle.PRIMARY if c.value == prefill else ButtonStyle.DEFAULT,
                )
                for c in choices
            )
            card = Card(title=spec.label, body="\n".join(lines), buttons=buttons, status=tips)
            await _reply_card(ctx, spec, card, "form.question")
            return
        lines.extend(f"{i}. {c.label}" for i, c in enumerate(choices, start=1))
        lines.append("请回复序号或名称。")
    elif question.kind == QuestionKind.MULTI_CHOICE and choices:
        lines.extend(f"{i}. {c.label}" for i, c in enumerate(choices, start=1))
        lines.append("请回复序号，多个用顿号或逗号分隔，如“1、3”。")
    lines.append(tips)
    await ctx.reply("\n".join(lines))


async def _choices(ctx: HandlerContext, question: Question, answers: Answers) -> list[Choice]:
    if question.kind == QuestionKind.YES_NO and not question.choices:
        return [Choice("是", "是"), Choice("否", "否")]
    if callable(question.choices):
        return list(await question.choices(ctx, answers))
    return list(question.choices)


def _display(question: Question, value: str) -> str:
    if question.kind == QuestionKind.ATTACHMENTS:
        return "、".join(f.name for f in attachments(value)) or "无"
    # Static choices are shown by their labels (people never see the stored values).
    labels = {} if callable(question.choices) else {c.value: c.label for c in question.choices}
    if question.kind == QuestionKind.MULTI_CHOICE:
        return "、".join(labels.get(v, v) for v in value.split("\n")) if value else "无"
    return labels.get(value, value) or "无"


async def _reply_card(ctx: HandlerContext, spec: FormSpec, card: Card, kind: str) -> None:
    """Send a form card only the person filling the form can tap."""
    stored = await ctx.emit.new_card(
        card,
        kind=kind,
        allowed_person_ids=[ctx.actor.id],
        subject_type="form",
        subject_id=spec.name,
    )
    await ctx.reply(card=stored)


# ---- answering --------------------------------------------------------------------------------


async def answer_text(ctx: HandlerContext, spec: FormSpec, conv: Conversation, text: str) -> None:
    data = _state(conv)
    if conv.step == "confirming":
        await ctx.reply(f"请点击摘要卡片上的“{spec.submit_label}”或“修改”，回复“取消”放弃。")
        return
    if conv.step == "card":
        await ctx.reply("请在表单卡片中填写后提交，回复“取消”放弃。")
        return
    key = data.get("current")
    if key is None:
        await _advance(ctx, spec, conv, data, after=None)
        return
    if text in BACK_WORDS:
        await _go_back(ctx, spec, conv, data)
        return
    question = spec.question(key)
    if question.kind == QuestionKind.ATTACHMENTS and text in CLEAR_WORDS:
        data.setdefault("files", {})[key] = []
        await ctx.save_conversation(conv, "asking", data)
        await ctx.reply("已清空收到的附件，请重新发送；没有请回复“无”。")
        return
    await _accept_answer(ctx, spec, conv, data, question, text)


def asks_for_attachments(spec: FormSpec, conv: Conversation) -> bool:
    """Whether the form's current question is the attachments step."""
    key = _state(conv).get("current")
    return (
        conv.step == "asking"
        and key is not None
        and spec.question(key).kind == QuestionKind.ATTACHMENTS
    )


async def answer_file(ctx: HandlerContext, spec: FormSpec, conv: Conversation) -> None:
    """Keep an image or file sent while the form asks for attachments."""
    data = _state(conv)
    key = data.get("current")
    event = ctx.event
    assert isinstance(event, FileEvent)
    if key is None or not asks_for_attachments(spec, conv):
        await ctx.reply(
            f"您正在填写「{spec.label}」，这一步不需要文件，请按上面的提示回复文字；"
            "需要附件时会请您发送。"
        )
        return
    received: list[dict[str, Any]] = data.setdefault("files", {}).setdefault(key, [])
    if len(received) >= MAX_ATTACHMENTS:
        await ctx.reply(f"最多可以附 {MAX_ATTACHMENTS} 个文件，这个没有收下。发完请回复“好了”。")
        return
    try:
        ref = await ctx.keep_file(event, subject_type="form", subject_id=str(conv.id))
    except MediaError as exc:
        await ctx.reply(f"{exc}")
        return
    received.append(ref.model_dump(mode="json"))
    await ctx.save_conversation(conv, "asking", data)
    await ctx.audit(
        "form.file_received",
        "conversation",
        conv.id,
        {"form": spec.name, "file_id": ref.file_id, "name": ref.name, "size": ref.size},
    )
    await ctx.reply(
        f"已收到「{ref.name}」（共 {len(received)} 个）。还有请继续发送，发完回复“好了”。"
    )


async def _go_back(
    ctx: HandlerContext, spec: FormSpec, conv: Conversation, data: dict[str, Any]
) -> None:
    asked: list[str] = data["asked"]
    if not asked:
        await ctx.reply("已经是第一题了。")
        current = data.get("current")
        if current:
            await _ask(ctx, spec, spec.question(current), data)
        return
    previous = asked.pop()
    data["answers"].pop(previous, None)
    data["current"] = previous
    await ctx.save_conversation(conv, "asking", data)
    await _ask(ctx, spec, spec.question(previous), data)


async def _accept_answer(
    ctx: HandlerContext,
    spec: FormSpec,
    conv: Conversation,
    data: dict[str, Any],
    question: Question,
    text: str,
) -> None:
    try:
        value = await parse_answer(ctx, question, text, data)
    except FormError as exc:
        await ctx.reply(f"{exc}\n请重新回复{question.label}。")
        return
    data["answers"][question.key] = value
    if question.key not in data["asked"]:
        data["asked"].append(question.key)
    # A changed answer can make later answers meaningless: drop the ones that no longer apply.
    data["answers"] = {
        k: v
        for k, v in data["answers"].items()
        if k not in {q.key for q in spec.questions} or spec.question(k).applies(data["answers"])
    }
    await _advance(ctx, spec, conv, data, after=question.key)


async def parse_answer(
    ctx: HandlerContext, question: Question, text: str, data: dict[str, Any]
) -> str:
    """Check one answer by its kind and validator; returns the normalised value."""
    text = text.strip()
    prefill = data["prefill"].get(question.key)
    if text in KEEP_WORDS:
        if prefill is None:
            raise FormError("这一项没有原登记内容，请直接填写。")
        text = prefill
        if question.kind in (QuestionKind.MULTI_CHOICE, QuestionKind.ATTACHMENTS):
            return text
    if question.kind == QuestionKind.ATTACHMENTS:
        return _attachments_answer(question, text, data)
    if not question.required and (text in SKIP_WORDS or text == ""):
        return ""
    if not text:
        raise FormError(f"{question.label}不能为空。")
    answers: Answers = data["answers"]
    if question.kind in (QuestionKind.CHOICE, QuestionKind.YES_NO):
        text = _match_choice(await _choices(ctx, question, answers), text, question.label)
    elif question.kind == QuestionKind.MULTI_CHOICE:
        text = _match_many(await _choices(ctx, question, answers), text, question.label)
    elif question.kind == QuestionKind.PHONE:
        text = normalise_phone_answer(text)
    elif question.kind == QuestionKind.DATE:
        text = parse_date(text, ctx.now).isoformat()
    elif question.kind == QuestionKind.TEXT and len(text) > 200:
        raise FormError(f"{question.label}太长了（最多 200 字）。")
    elif question.kind == QuestionKind.LONG_TEXT and len(text) > 5000:
        raise FormError(f"{question.label}太长了（最多 5000 字）。")
    if question.validate is not None:
        text = await question.validate(ctx, text, answers)
    return text


def _attachments_answer(question: Question, text: str, data: dict[str, Any]) -> str:
    received = list(data.get("files", {}).get(question.key, []))
    if text in DONE_WORDS:
        if not received:
            raise FormError("还没有收到图片或附件。请直接在对话中发送；没有请回复“无”。")
        return json.dumps(received, ensure_ascii=False)
    if text in SKIP_WORDS or text == "":
        if received:
            raise FormError(
                f"已收到 {len(received)} 个附件。要附上它们请回复“好了”，不要请回复“清空”。"
            )
        if question.required:
            raise FormError(f"{question.label}不能为空，请发送图片或附件。")
        return ""
    raise FormError(
        "这一步请直接在对话中发送图片或附件（链接请写在正文或预览链接里）；"
        "发完回复“好了”，没有请回复“无”。"
    )


def _match_choice(choices: Sequence[Choice], text: str, label: str) -> str:
    if text.isdigit() and 1 <= int(text) <= len(choices):
        return choices[int(text) - 1].value
    for c in choices:
        if text in (c.value, c.label):
            return c.value
    options = "、".join(c.label for c in choices)
    raise FormError(f"“{text}”不是{label}的选项。可选：{options}。")


def _match_many(choices: Sequence[Choice], text: str, label: str) -> str:
    picked: list[str] = []
    for part in re.split(r"[,，、\s]+", text):
        if part:
            value = _match_choice(choices, part, label)
            if value not in picked:
                picked.append(value)
    if not picked:
        raise FormError(f"请至少选择一个{label}。")
    return "\n".join(picked)


MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")


def normalise_phone_answer(text: str) -> str:
    phone = re.sub(r"[\s()（）]", "", text).replace("－", "-").replace("—", "-")
    if MOBILE.match(phone) or LANDLINE.match(phone):
        return phone
    raise FormError(
        "联系方式格式不正确：手机号为11位数字（如 13812345678），座机请带区号（如 023-49888888）。"
    )


_DATE_PATTERNS = (
    re.compile(r"^(?P<y>\d{4})[-/.年](?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?$"),
    re.compile(r"^(?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?$"),
)


def parse_date(text: str, now: datetime) -> date:
    """2026-10-09, 2026年10月9日, 10月9日 (this year), 今天, 明天."""
    text = text.strip().replace(" ", "")
    today = now.date()
    relative = {"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2}
    if text in relative:
        return date.fromordinal(today.toordinal() + relative[text])
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            year = int(match.groupdict().get("y") or today.year)
            try:
                return date(year, int(match["m"]), int(match["d"]))
            except ValueError:
                break
    raise FormError("日期格式不正确，请写成 2026-10-09 或 10月9日。")


# ---- card actions (answer buttons, summary, single form card) --------------------------------


async def handle_action(ctx: HandlerContext) -> None:
    """form.answer / form.submit / form.edit / form.card_submit."""
    event: CardActionEvent = ctx.card_action
    spec = spec_named(event.payload.get("form", ""))
    conv = await ctx.conversation()
    if spec is None or conv is None or conv.flow != spec.name:
        ctx.notify_toast("这张表单已经结束了。", "warning")
        await ctx.close_tapped("已结束")
        return
    data = _state(conv)
    kind = event.action.split(".", 1)[1]
    if kind == "answer":
        key = event.payload.get("key", "")
        if conv.step != "asking" or data.get("current") != key:
            ctx.notify_toast("这个问题已经回答过了。", "info")
            await ctx.close_tapped("已回答")
            return
        question = spec.question(key)
        label = next(
            (
                c.label
                for c in await _choices(ctx, question, data["answers"])
                if c.value == event.payload.get("value")
            ),
            event.payload.get("value", ""),
        )
        await ctx.close_tapped(f"已选择：{label}")
        await _accept_answer(ctx, spec, conv, data, question, event.payload.get("value", ""))
        return
    if kind == "card_submit":
        await _submit_form_card(ctx, spec, conv, data)
        return
    if conv.step != "confirming":
        ctx.notify_toast("请先回答完所有问题。", "info")
        return
    if kind == "edit":
        await ctx.close_tapped("修改中")
        fixed = set(data.get("fixed", []))
        data["prefill"] = {**data["prefill"], **data["answers"]}
        data["answers"] = {
            k: v for k, v in data["answers"].items() if k not in _keys(spec) or k in fixed
        }
        data["asked"] = []
        data["files"] = {}
        await ctx.reply("好的，从头核对一遍：不改的项回复“同上”即可。")
        if capabilities(ctx.event.platform).single_form_card:
            await _send_form_card(ctx, spec, conv, data, errors={})
            return
        await _advance(ctx, spec, conv, data, after=None)
        return
    if kind == "submit":
        answers = _visible_answers(spec, data["answers"])
        answers.update({k: v for k, v in data["answers"].items() if k not in _keys(spec)})
        await ctx.close_tapped("已提交")
        await ctx.end_conversation(conv)
        ctx.notify_toast("已提交", "success")
        await spec.on_complete(ctx, answers, data["extra"])
        return
    ctx.notify_toast("暂不支持这个操作。", "warning")


def _keys(spec: FormSpec) -> set[str]:
    return {q.key for q in spec.questions}


async def _send_summary(ctx: HandlerContext, spec: FormSpec, data: dict[str, Any]) -> None:
    answers = _visible_answers(spec, data["answers"])
    fields = [
        CardField(label=q.label, value=_display(q, answers[q.key]))
        for q in spec.questions
        if q.key in answers
    ]
    if spec.extra_fields is not None:
        fields += [CardField(label=k, value=v) for k, v in spec.extra_fields(answers)]
    note = await spec.summary_note(ctx, answers, data["extra"]) if spec.summary_note else ""
    payload = {"form": spec.name}
    card = Card(
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
    await _reply_card(ctx, spec, card, "form.summary")


# ---- the single form card (Feishu) ------------------------------------------------------------


async def _send_form_card(
    ctx: HandlerContext,
    spec: FormSpec,
    conv: Conversation,
    data: dict[str, Any],
    errors: dict[str, str],
) -> None:
    values = {**data["prefill"], **data["answers"]}
    inputs: list[FormInput] = []
    fixed = set(data.get("fixed", []))
    for q in spec.questions:
        if q.key in fixed or q.kind == QuestionKind.ATTACHMENTS:
            continue  # settled before the form (e.g. the filing type); files come in the chat
        kind = {
            QuestionKind.LONG_TEXT: InputKind.TEXTAREA,
            QuestionKind.CHOICE: InputKind.SELECT,
            QuestionKind.YES_NO: InputKind.SELECT,
            QuestionKind.DATE: InputKind.DATE,
        }.get(q.kind, InputKind.TEXT)
        options = (
            tuple(
                Option(value=c.value, label=c.label)
                for c in await _choices(ctx, q, data["answers"])
            )
            if kind == InputKind.SELECT
            else ()
        )
        label = q.label + ("" if q.when is None else "（如适用）")
        if q.key in errors:
            label += f"——{errors[q.key]}"
        inputs.append(
            FormInput(
                name=q.key,
                label=label,
                kind=kind,
                required=q.required and q.when is None,
                placeholder=q.prompt[:60],
                options=options,
                default=values.get(q.key, ""),
            )
        )
    await ctx.save_conversation(conv, "card", data)
    body = "请填写后点“下一步”核对。" if not errors else "有几项需要修改，见标注。"
    card = Card(
        title=spec.label,
        tone=Tone.ORANGE if errors else Tone.BLUE,
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
    await _reply_card(ctx, spec, card, "form.card")


async def _submit_form_card(
    ctx: HandlerContext, spec: FormSpec, conv: Conversation, data: dict[str, Any]
) -> None:
    if conv.step != "card":
        ctx.notify_toast("这张表单已经提交过了。", "info")
        return
    submitted = ctx.card_action.form
    answers: Answers = dict(data["answers"])
    errors: dict[str, str] = {}
    for q in spec.questions:
        if q.kind == QuestionKind.ATTACHMENTS:
            answers.pop(q.key, None)  # asked in the chat after the card
            continue
        raw = submitted.get(q.key)
        if raw is None and q.key in answers:
            continue
        if not q.applies(answers):
            answers.pop(q.key, None)
            continue
        try:
            answers[q.key] = await parse_answer(ctx, q, raw or "", {**data, "answers": answers})
        except FormError as exc:
            errors[q.key] = str(exc)
    data["answers"] = answers
    await ctx.close_tapped("已填写" if not errors else "需修改")
    if errors:
        ctx.notify_toast("有几项需要修改", "warning")
        await _send_form_card(ctx, spec, conv, data, errors)
        return
    if any(q.kind == QuestionKind.ATTACHMENTS and q.applies(answers) for q in spec.questions):
        # Cards cannot take files: the attachments are asked for in the chat, then the summary.
        data["card_mode"] = True
        data["files"] = {}
        await _advance(ctx, spec, conv, data, after=None)
        return
    data["current"] = None
    await ctx.save_conversation(conv, "confirming", data)
    await _send_summary(ctx, spec, data)
