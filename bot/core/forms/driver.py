"""Driving a form in the chat: ask one question at a time (or send one form card where the
platform's cards take input), read the answers, go back, keep files, summarise and submit.

The form's state is a ``FormState`` in the person's conversation row, saved after every step,
so a restart resumes at the same question.
"""

from __future__ import annotations

from typing import Any

from bot.cards.model import Card, CardField, InputKind
from bot.core.capabilities import capabilities
from bot.core.context import HandlerContext
from bot.core.events import CardActionEvent, FileEvent
from bot.core.forms import cards, parsing
from bot.core.forms.spec import (
    Answers,
    Choice,
    FormError,
    FormSpec,
    Question,
    QuestionKind,
    spec_named,
)
from bot.core.forms.state import FormState
from bot.core.media import MediaError
from bot.core.routing import Flow
from bot.core.text import BACK_WORDS
from storage.enums import CardStatus
from storage.models.machinery import CardRecord, Conversation


def flow_for(name: str) -> Flow | None:
    """The conversation flow of the form called ``name`` (a router flow finder)."""
    spec = spec_named(name)
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
    state = FormState(
        answers=dict(answers or {}),
        prefill=dict(prefill or {}),
        extra=dict(extra or {}),
        fixed=sorted((answers or {}).keys()),
    )
    conv = await ctx.start_conversation(spec.name, "asking", state.dump())
    if intro:
        await ctx.reply(intro)
    if capabilities(ctx.event.platform).single_form_card:
        await _send_form_card(ctx, spec, conv, state, errors={})
        return
    await _advance(ctx, spec, conv, state, after=None)


async def _advance(
    ctx: HandlerContext,
    spec: FormSpec,
    conv: Conversation,
    state: FormState,
    after: str | None,
) -> None:
    fixed = set(state.fixed)
    question = parsing.next_question(spec, state.answers, after)
    while question is not None and (
        question.key in fixed
        # After a form card only the attachments are still asked in the chat.
        or (state.card_mode and question.kind != QuestionKind.ATTACHMENTS)
    ):
        question = parsing.next_question(spec, state.answers, question.key)
    if question is None:
        state.current = None
        await ctx.save_conversation(conv, "confirming", state.dump())
        await _send_summary(ctx, spec, state)
        return
    state.current = question.key
    await ctx.save_conversation(conv, "asking", state.dump())
    await _ask(ctx, spec, question, state)


async def _ask(ctx: HandlerContext, spec: FormSpec, question: Question, state: FormState) -> None:
    prefill = state.prefill.get(question.key)
    lines = [f"{parsing.progress(spec, state, question)}{question.prompt}"]
    if question.hint:
        lines.append(question.hint)
    if prefill:
        shown = parsing.display(question, prefill)
        # A pre-filled sentence brings its own full stop ("…参加。"): no second one after it.
        stop = "" if shown.endswith(("。", "！", "？", ".", "!", "?")) else "。"
        lines.append(f"当前登记为：{shown}{stop}不变请回复“同上”。")
    if not question.required and question.kind != QuestionKind.ATTACHMENTS:
        lines.append("没有可回复“无”。")
    choices = await _choices(ctx, question, state.answers)
    caps = capabilities(ctx.event.platform)
    if question.kind in (QuestionKind.CHOICE, QuestionKind.YES_NO) and choices:
        if caps.buttons and len(choices) <= caps.max_buttons:
            card = cards.question_card(spec, question, "\n".join(lines), choices, prefill)
            await _reply_card(ctx, spec, card, "form.question")
            return
        lines.extend(f"{i}. {c.label}" for i, c in enumerate(choices, start=1))
        lines.append("请回复序号或名称。")
    elif question.kind == QuestionKind.MULTI_CHOICE and choices:
        lines.extend(f"{i}. {c.label}" for i, c in enumerate(choices, start=1))
        lines.append("请回复序号，多个用顿号或逗号分隔，如“1、3”。")
    lines.append(cards.TIPS)
    await ctx.reply("\n".join(lines))


async def _choices(ctx: HandlerContext, question: Question, answers: Answers) -> list[Choice]:
    if question.kind == QuestionKind.YES_NO and not question.choices:
        return [Choice("是", "是"), Choice("否", "否")]
    if callable(question.choices):
        return list(await question.choices(ctx, answers))
    return list(question.choices)


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
    state = FormState.of(conv)
    if conv.step == "confirming":
        await ctx.reply(f"请点击摘要卡片上的“{spec.submit_label}”或“修改”，回复“取消”放弃。")
        return
    if conv.step == "card":
        await ctx.reply("请在表单卡片中填写后提交，回复“取消”放弃。")
        return
    key = state.current
    if key is None:
        await _advance(ctx, spec, conv, state, after=None)
        return
    if text in BACK_WORDS:
        await _go_back(ctx, spec, conv, state)
        return
    question = spec.question(key)
    if question.kind == QuestionKind.ATTACHMENTS and text in parsing.CLEAR_WORDS:
        state.files[key] = []
        await ctx.save_conversation(conv, "asking", state.dump())
        await ctx.reply("已清空收到的附件，请重新发送；没有请回复“无”。")
        return
    await _accept_answer(ctx, spec, conv, state, question, text)


def asks_for_attachments(spec: FormSpec, conv: Conversation) -> bool:
    """Whether the form's current question is the attachments step."""
    key = FormState.of(conv).current
    return (
        conv.step == "asking"
        and key is not None
        and spec.question(key).kind == QuestionKind.ATTACHMENTS
    )


async def answer_file(ctx: HandlerContext, spec: FormSpec, conv: Conversation) -> None:
    """Keep an image or file sent while the form asks for attachments."""
    state = FormState.of(conv)
    key = state.current
    event = ctx.event
    assert isinstance(event, FileEvent)
    if key is None or not asks_for_attachments(spec, conv):
        await ctx.reply(
            f"您正在填写「{spec.label}」，这一步不需要文件，请按上面的提示回复文字；"
            "需要附件时会请您发送。"
        )
        return
    received = state.files.setdefault(key, [])
    if len(received) >= parsing.MAX_ATTACHMENTS:
        await ctx.reply(
            f"最多可以附 {parsing.MAX_ATTACHMENTS} 个文件，这个没有收下。发完请回复“好了”。"
        )
        return
    try:
        ref = await ctx.keep_file(event, subject_type="form", subject_id=str(conv.id))
    except MediaError as exc:
        await ctx.reply(f"{exc}")
        return
    received.append(ref.model_dump(mode="json"))
    await ctx.save_conversation(conv, "asking", state.dump())
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
    ctx: HandlerContext, spec: FormSpec, conv: Conversation, state: FormState
) -> None:
    if not state.asked:
        await ctx.reply("已经是第一题了。")
        if state.current:
            await _ask(ctx, spec, spec.question(state.current), state)
        return
    previous = state.asked.pop()
    state.answers.pop(previous, None)
    state.current = previous
    await ctx.save_conversation(conv, "asking", state.dump())
    await _ask(ctx, spec, spec.question(previous), state)


async def _accept_answer(
    ctx: HandlerContext,
    spec: FormSpec,
    conv: Conversation,
    state: FormState,
    question: Question,
    text: str,
) -> None:
    try:
        value = await parse_answer(ctx, question, text, state)
    except FormError as exc:
        await ctx.reply(f"{exc}\n请重新回复{question.label}。")
        return
    state.answers[question.key] = value
    if question.key not in state.asked:
        state.asked.append(question.key)
    await close_question_cards(ctx, spec.name, conv, f"已选择：{parsing.display(question, value)}")
    # A changed answer can make later answers meaningless: drop the ones that no longer apply.
    state.answers = parsing.still_applicable(spec, state.answers)
    await _advance(ctx, spec, conv, state, after=question.key)


async def close_question_cards(
    ctx: HandlerContext, form: str, conv: Conversation, status: str
) -> None:
    """The person's open question cards of this form: answered by typing (or moved past), they
    show ``status`` and no buttons, as a tapped one does. A tapped card is closed already.

    A courtesy close: a form is a burst of questions, each answer already costs a reply, and on
    WeCom each close would be one more call against the person's 30/min budget. There the stale
    copy closes on its next tap ("此事项已处理：已选择：…"), which changes nothing."""
    records = await CardRecord.filter(
        kind="form.question",
        subject_type="form",
        subject_id=form,
        status=CardStatus.OPEN,
        created_at__gte=conv.started_at,
    ).using_db(ctx.conn)
    for record in records:
        if [int(p) for p in record.allowed_person_ids] == [ctx.actor.id]:
            await ctx.emit.close_card(record.id, status, courtesy=True)


async def parse_answer(ctx: HandlerContext, question: Question, text: str, state: FormState) -> str:
    """Check one answer by its kind, then by the question's validator; the normalised value."""
    needs_choices = question.kind in (
        QuestionKind.CHOICE,
        QuestionKind.YES_NO,
        QuestionKind.MULTI_CHOICE,
    )
    choices = await _choices(ctx, question, state.answers) if needs_choices else []
    value, validate = parsing.read_answer(question, text, state, choices, ctx.now)
    if validate and question.validate is not None:
        value = await question.validate(ctx, value, state.answers)
    return value


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
    state = FormState.of(conv)
    kind = event.action.split(".", 1)[1]
    if kind == "answer":
        key = event.payload.get("key", "")
        if conv.step != "asking" or state.current != key:
            ctx.notify_toast("这个问题已经回答过了。", "info")
            await ctx.close_tapped("已回答")
            return
        question = spec.question(key)
        try:
            await parse_answer(ctx, question, event.payload.get("value", ""), state)
        except FormError as exc:
            # Refused (a platform the unit already has): the card keeps its buttons, so another
            # choice can be tapped, instead of closing on a choice that did not count.
            ctx.notify_toast(str(exc), "warning")
            await ctx.reply(f"{exc}\n请重新选择{question.label}。")
            return
        label = next(
            (
                c.label
                for c in await _choices(ctx, question, state.answers)
                if c.value == event.payload.get("value")
            ),
            event.payload.get("value", ""),
        )
        await ctx.close_tapped(f"已选择：{label}")
        await _accept_answer(ctx, spec, conv, state, question, event.payload.get("value", ""))
        return
    if kind == "card_submit":
        await _submit_form_card(ctx, spec, conv, state)
        return
    if conv.step != "confirming":
        ctx.notify_toast("请先回答完所有问题。", "info")
        return
    if kind == "edit":
        await ctx.close_tapped("修改中")
        fixed = set(state.fixed)
        state.prefill = {**state.prefill, **state.answers}
        state.answers = {k: v for k, v in state.answers.items() if k not in spec.keys or k in fixed}
        state.asked = []
        state.files = {}
        await ctx.reply("好的，从头核对一遍：不改的项回复“同上”即可。")
        if capabilities(ctx.event.platform).single_form_card:
            await _send_form_card(ctx, spec, conv, state, errors={})
            return
        await _advance(ctx, spec, conv, state, after=None)
        return
    if kind == "submit":
        answers = parsing.visible_answers(spec, state.answers)
        answers.update({k: v for k, v in state.answers.items() if k not in spec.keys})
        await ctx.close_tapped("已提交")
        await ctx.end_conversation(conv)
        ctx.notify_toast("已提交", "success")
        await spec.on_complete(ctx, answers, state.extra)
        return
    ctx.notify_toast("暂不支持这个操作。", "warning")


async def _send_summary(ctx: HandlerContext, spec: FormSpec, state: FormState) -> None:
    answers = parsing.visible_answers(spec, state.answers)
    fields = [
        CardField(label=q.label, value=parsing.display(q, answers[q.key]))
        for q in spec.questions
        if q.key in answers
    ]
    if spec.extra_fields is not None:
        fields += [CardField(label=k, value=v) for k, v in spec.extra_fields(answers)]
    note = await spec.summary_note(ctx, answers, state.extra) if spec.summary_note else ""
    await _reply_card(ctx, spec, cards.summary_card(spec, fields, note), "form.summary")


# ---- the single form card (Feishu) ------------------------------------------------------------


async def _send_form_card(
    ctx: HandlerContext,
    spec: FormSpec,
    conv: Conversation,
    state: FormState,
    errors: dict[str, str],
) -> None:
    values = {**state.prefill, **state.answers}
    fixed = set(state.fixed)
    inputs = []
    for q in spec.questions:
        if q.key in fixed or q.kind == QuestionKind.ATTACHMENTS:
            continue  # settled before the form (e.g. the filing type); files come in the chat
        selectable = cards.input_kind(q) == InputKind.SELECT
        choices = await _choices(ctx, q, state.answers) if selectable else []
        inputs.append(cards.form_input(q, choices, values.get(q.key, ""), errors.get(q.key)))
    await ctx.save_conversation(conv, "card", state.dump())
    await _reply_card(ctx, spec, cards.form_card(spec, inputs, bool(errors)), "form.card")


async def _submit_form_card(
    ctx: HandlerContext, spec: FormSpec, conv: Conversation, state: FormState
) -> None:
    if conv.step != "card":
        ctx.notify_toast("这张表单已经提交过了。", "info")
        return
    submitted = ctx.card_action.form
    answers: Answers = dict(state.answers)
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
            seen = state.model_copy(update={"answers": answers})
            answers[q.key] = await parse_answer(ctx, q, raw or "", seen)
        except FormError as exc:
            errors[q.key] = str(exc)
    state.answers = answers
    await ctx.close_tapped("已填写" if not errors else "需修改")
    if errors:
        ctx.notify_toast("有几项需要修改", "warning")
        await _send_form_card(ctx, spec, conv, state, errors)
        return
    if any(q.kind == QuestionKind.ATTACHMENTS and q.applies(answers) for q in spec.questions):
        # Cards cannot take files: the attachments are asked for in the chat, then the summary.
        state.card_mode = True
        state.files = {}
        await _advance(ctx, spec, conv, state, after=None)
        return
    state.current = None
    await ctx.save_conversation(conv, "confirming", state.dump())
    await _send_summary(ctx, spec, state)
