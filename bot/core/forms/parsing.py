"""Pure answer handling: which question comes next, how an answer of each kind is read, and how
an answer is shown. No database, no chat: plain values in, plain values out (or ``FormError``)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import date, datetime

from bot.core.forms.spec import (
    Answers,
    Choice,
    FormError,
    FormSpec,
    Question,
    QuestionKind,
    attachments,
)
from bot.core.forms.state import FormState

KEEP_WORDS = frozenset({"同上", "不变", "保持不变", "不修改"})
SKIP_WORDS = frozenset({"无", "没有", "跳过", "略"})
# Ends an attachments step: "发完回复「好了」".
DONE_WORDS = frozenset({"好了", "好", "好的", "完成", "发完了", "发完", "没有了", "就这些"})
CLEAR_WORDS = frozenset({"清空", "重发", "重新发送"})
MAX_ATTACHMENTS = 10
TEXT_LIMIT = 200
LONG_TEXT_LIMIT = 5000


def next_question(spec: FormSpec, answers: Answers, after: str | None) -> Question | None:
    """The first applicable question after ``after`` (or from the start) still to ask."""
    keys = [q.key for q in spec.questions]
    start = keys.index(after) + 1 if after in keys else 0
    for q in spec.questions[start:]:
        if q.applies(answers):
            return q
    return None


def visible_answers(spec: FormSpec, answers: Answers) -> Answers:
    """Answers to questions that still apply (a changed earlier answer can hide later ones)."""
    return {
        q.key: answers[q.key] for q in spec.questions if q.key in answers and q.applies(answers)
    }


def still_applicable(spec: FormSpec, answers: Answers) -> Answers:
    """After an answer changed: drop answers to questions that no longer apply (answers the
    flow settled outside the questions stay)."""
    return {
        k: v for k, v in answers.items() if k not in spec.keys or spec.question(k).applies(answers)
    }


def progress(spec: FormSpec, state: FormState, question: Question) -> str:
    """「开设备案（2/5）」: the question's place among those that apply and are asked.

    While an answer still to give can change how many questions there are (变更's 变更事项, a
    platform of 其他), the total is left out — 「变更备案（第1题）」 — rather than promised as
    (1/3) and then shown as (2/5)."""
    fixed = set(state.fixed)

    def asked(answers: Answers) -> list[Question]:
        return [q for q in spec.questions if q.applies(answers) and q.key not in fixed]

    applicable = asked(state.answers)
    index = next((i for i, q in enumerate(applicable) if q.key == question.key), 0)
    for q in applicable[index:]:
        if (q.key in state.answers and q.key != question.key) or callable(q.choices):
            continue
        values = [c.value for c in q.choices]
        if q.kind == QuestionKind.MULTI_CHOICE and values:
            values.append("\n".join(values))
        for value in values:
            if len(asked({**state.answers, q.key: value})) != len(applicable):
                return f"{spec.label}（第{index + 1}题）"
    return f"{spec.label}（{index + 1}/{len(applicable)}）"


def display(question: Question, value: str) -> str:
    """An answer as people read it in a summary."""
    if question.kind == QuestionKind.ATTACHMENTS:
        return "、".join(f.name for f in attachments(value)) or "无"
    # Static choices are shown by their labels (people never see the stored values).
    labels = {} if callable(question.choices) else {c.value: c.label for c in question.choices}
    if question.kind == QuestionKind.MULTI_CHOICE:
        return "、".join(labels.get(v, v) for v in value.split("\n")) if value else "无"
    return labels.get(value, value) or "无"


def read_answer(
    question: Question, text: str, state: FormState, choices: Sequence[Choice], now: datetime
) -> tuple[str, bool]:
    """Check one answer by its kind: the normalised value, and whether the question's own
    validator should still see it (not for a skipped answer, kept files or kept choices).
    Raises ``FormError`` with the reason."""
    text = text.strip()
    prefill = state.prefill.get(question.key)
    if text in KEEP_WORDS:
        if prefill is None:
            raise FormError("这一项没有原登记内容，请直接填写。")
        text = prefill
        if question.kind in (QuestionKind.MULTI_CHOICE, QuestionKind.ATTACHMENTS):
            return text, False
    if question.kind == QuestionKind.ATTACHMENTS:
        return attachments_answer(question, text, state), False
    if not question.required and (text in SKIP_WORDS or text == ""):
        return "", False
    if not text:
        raise FormError(f"{question.label}不能为空。")
    if question.kind in (QuestionKind.CHOICE, QuestionKind.YES_NO):
        text = match_choice(choices, text, question.label)
    elif question.kind == QuestionKind.MULTI_CHOICE:
        text = match_many(choices, text, question.label)
    elif question.kind == QuestionKind.PHONE:
        text = normalise_phone_answer(text)
    elif question.kind == QuestionKind.DATE:
        text = parse_date(text, now).isoformat()
    elif question.kind == QuestionKind.TEXT and len(text) > TEXT_LIMIT:
        raise FormError(f"{question.label}太长了（最多 {TEXT_LIMIT} 字）。")
    elif question.kind == QuestionKind.LONG_TEXT and len(text) > LONG_TEXT_LIMIT:
        raise FormError(f"{question.label}太长了（最多 {LONG_TEXT_LIMIT} 字）。")
    return text, True


def attachments_answer(question: Question, text: str, state: FormState) -> str:
    received = list(state.files.get(question.key, []))
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


def match_choice(choices: Sequence[Choice], text: str, label: str) -> str:
    # isascii: "²" and other Unicode digits pass isdigit() but int() refuses them.
    if text.isascii() and text.isdigit() and 1 <= int(text) <= len(choices):
        return choices[int(text) - 1].value
    for c in choices:
        if text in (c.value, c.label):
            return c.value
    options = "、".join(c.label for c in choices)
    raise FormError(f"“{text}”不是{label}的选项。可选：{options}。")


def match_many(choices: Sequence[Choice], text: str, label: str) -> str:
    picked: list[str] = []
    for part in re.split(r"[,，、\s]+", text):
        if part:
            value = match_choice(choices, part, label)
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
