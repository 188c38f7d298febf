"""The 整改 form: its questions, choices and validators, and reading its answers.

``start`` registers the ``FormSpec`` from these parts, next to the submit it calls, so that
the form does not import the flow it starts.

The form engine's summary shows stored values, so a choice stores a readable value: the
account as ``临江文旅（微信） · 临江区文化和旅游发展委员会`` (unique), mapped back to the
account on submit. Buttons show just ``Account.label``: WeCom cuts long button texts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.core.context import HandlerContext
from bot.core.forms import Answers, Choice, FormError, Question, QuestionKind
from bot.flows.rectification.model import RectificationError, choose_rule
from bot.flows.rectification.times import parse_received_time
from storage.enums import AccountStatus
from storage.models.org import Account, Unit
from storage.models.rectification import RECT_CATEGORY_LABELS, RectCategory, Severity

FORM_NAME = "rectification.issue"
FORM_LABEL = "整改通知"
NO_ACCOUNT = "不涉及具体账号"
SEVERITY_CHOICES = (Choice("一般", "一般"), Choice("严重", "严重"))
NETIZEN = RECT_CATEGORY_LABELS[RectCategory.NETIZEN_REPORT]


async def supervised_units(ctx: HandlerContext) -> list[Unit]:
    """Units whose competent authority is the supervisor's unit (all units if none is)."""
    units = await Unit.filter(supervisor_id=ctx.actor.unit.id, active=True).using_db(ctx.conn)
    if not units:
        units = await Unit.filter(active=True, is_internal_office=False).using_db(ctx.conn)
    return sorted(units, key=lambda u: u.id)


async def account_choices_by_id(ctx: HandlerContext) -> dict[int, Choice]:
    """Accounts of the units this supervisor oversees, by id, as the form offers them."""
    unit_ids = [u.id for u in await supervised_units(ctx)] + [ctx.actor.unit.id]
    accounts = (
        await Account.filter(owner_unit_id__in=unit_ids)
        .exclude(status__in=[AccountStatus.CLOSED, AccountStatus.CANCELLED])
        .using_db(ctx.conn)
        .order_by("owner_unit_id", "id")
    )
    names = {u.id: u.name for u in await Unit.filter(id__in=unit_ids).using_db(ctx.conn)}
    shared = Counter(a.label for a in accounts)
    choices: dict[int, Choice] = {}
    for a in accounts:
        value = f"{a.label} · {names.get(a.owner_unit_id, '')}"
        # Two units' accounts of one name keep the unit on the button to tell them apart.
        choices[a.id] = Choice(value, a.label if shared[a.label] == 1 else value)
    return choices


async def account_choices(ctx: HandlerContext, answers: Answers) -> Sequence[Choice]:
    choices = list((await account_choices_by_id(ctx)).values())
    return [*choices, Choice(NO_ACCOUNT, NO_ACCOUNT)]


async def unit_choices(ctx: HandlerContext, answers: Answers) -> Sequence[Choice]:
    return [Choice(u.name, u.name) for u in await supervised_units(ctx)]


def needs_unit(answers: Answers) -> bool:
    return answers.get("account") == NO_ACCOUNT


def category_of(label: str) -> RectCategory:
    found = {v: k for k, v in RECT_CATEGORY_LABELS.items()}
    return found.get(label, RectCategory.OTHER)


def severity_of(label: str) -> Severity:
    return Severity.SERIOUS if label == "严重" else Severity.ORDINARY


def is_netizen_report(answers: Answers) -> bool:
    return answers.get("category") == NETIZEN


async def check_problem(ctx: HandlerContext, text: str, answers: Answers) -> str:
    if len(text) < 4:
        raise FormError(
            "问题描述太短，请写明哪里有什么问题（如“3月5日推文标题错别字‘临江’写成‘林江’”）。"
        )
    return text


async def check_evidence(ctx: HandlerContext, text: str, answers: Answers) -> str:
    if len(text) > 2000:
        raise FormError("证据太长了（最多 2000 字），请给出链接或截图说明。")
    return text


async def check_received(ctx: HandlerContext, text: str, answers: Answers) -> str:
    try:
        when = parse_received_time(text, ctx.now, ctx.tz)
    except RectificationError as exc:
        raise FormError(str(exc)) from None
    return when.astimezone(ctx.tz).strftime("%Y-%m-%d %H:%M")


def received_at(ctx: HandlerContext, answers: Answers) -> datetime | None:
    """The stored answer ("2026-11-23 09:30", the deployment's time), or None: now."""
    text = answers.get("received_at", "")
    if not text:
        return None
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=ctx.tz)


async def summary_note(ctx: HandlerContext, answers: Answers, extra: dict[str, Any]) -> str:
    """The deadline this notice will get if issued now, with its citation."""
    category = category_of(answers.get("category", ""))
    severity = severity_of(answers.get("severity", ""))
    received = received_at(ctx, answers)
    rule = choose_rule(ctx.policy, category, severity)
    due = ctx.services.timekeeping.due(rule, received or ctx.now)
    if received is not None:
        return f"时限从收到时间起算，{due.explanation}。"
    # The limit counts from the tap on 下发: the card is updated with the real due time then.
    return f"按现在下发计算，{due.explanation}（以点“下发”的时间为准）。"


QUESTIONS = (
    Question(
        "account",
        "账号",
        "请选择需要整改的账号",
        kind=QuestionKind.CHOICE,
        choices=account_choices,
    ),
    Question(
        "unit",
        "责任单位",
        "请选择责任单位",
        kind=QuestionKind.CHOICE,
        choices=unit_choices,
        when=needs_unit,
    ),
    Question(
        "category",
        "问题类别",
        "请选择问题类别",
        kind=QuestionKind.CHOICE,
        choices=tuple(Choice(label, label) for label in RECT_CATEGORY_LABELS.values()),
    ),
    Question(
        "severity",
        "严重程度",
        "问题是一般还是严重？（严重问题时限更短）",
        kind=QuestionKind.CHOICE,
        choices=SEVERITY_CHOICES,
    ),
    Question(
        "received_at",
        "收到时间",
        "网民纠错是什么时候收到的？时限从收到时间起算"
        "（如“11月23日 9:30”“昨天 16:00”；刚收到的不用填）",
        required=False,
        when=is_netizen_report,
        validate=check_received,
    ),
    Question(
        "problem",
        "问题",
        "请描述问题（哪里、什么问题）",
        kind=QuestionKind.LONG_TEXT,
        validate=check_problem,
    ),
    Question(
        "evidence",
        "证据",
        "请给出证据：页面链接或文字说明（截图下一步发送）",
        required=False,
        kind=QuestionKind.LONG_TEXT,
        validate=check_evidence,
    ),
    Question(
        "evidence_files",
        "截图",
        "有截图或文件请直接发送，发完回复「好了」，没有请回复「无」。",
        kind=QuestionKind.ATTACHMENTS,
        required=False,
    ),
)
