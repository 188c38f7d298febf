"""The 送审 form: its questions, validators and account choices, and reading its answers.

What submitting does is ``start.submit_form``; ``start`` registers the form with it
(``submit_spec``), so this module does not import ``start``.
"""

from __future__ import annotations

import json

from bot.core import forms
from bot.core.context import HandlerContext
from bot.core.directory import owning_unit
from bot.core.forms import Answers, Choice, FormError, FormSpec, Question, QuestionKind
from bot.core.forms.spec import CompleteFn
from bot.flows.review.model import FORM, LINK, Draft
from bot.flows.review.people import needs_consent
from bot.policy.model import Policy
from storage.enums import AccountStatus
from storage.models.org import Account
from storage.models.review import Post, PostVersion

ORIGINAL = "原创"
REPOST = "转载"
# A settled answer (never asked): the preset wants 区委、区政府 consent for major policy posts.
CONSENT_KEY = "_consent"


# ---- choices and validators ---------------------------------------------------------------------


async def account_choices(ctx: HandlerContext, answers: Answers) -> list[Choice]:
    """The unit's accounts that may still publish (not closed or cancelled)."""
    unit = await owning_unit(ctx.actor.unit.id, ctx.conn)
    rows = (
        await Account.filter(owner_unit_id=unit.id)
        .exclude(status__in=[AccountStatus.CLOSED, AccountStatus.CANCELLED])
        .using_db(ctx.conn)
        .order_by("id")
    )
    # The label is the value too: the summary card shows values, and people read names.
    labels = [a.label for a in rows]
    return [
        Choice(label if labels.count(label) == 1 else f"{label}#{a.id}", label)
        for a, label in zip(rows, labels, strict=True)
    ]


async def account_ids_of(ctx: HandlerContext, value: str) -> list[int]:
    """The accounts an answer picked (one choice value a line)."""
    unit = await owning_unit(ctx.actor.unit.id, ctx.conn)
    rows = await Account.filter(owner_unit_id=unit.id).using_db(ctx.conn).order_by("id")
    picked = [v for v in value.split("\n") if v]
    return [a.id for a in rows if a.label in picked or f"{a.label}#{a.id}" in picked]


async def check_link(ctx: HandlerContext, text: str, answers: Answers) -> str:
    if not LINK.match(text):
        raise FormError("链接格式不正确，请发送以 http:// 或 https:// 开头的完整链接。")
    return text


async def check_text(ctx: HandlerContext, text: str, answers: Answers) -> str:
    if len(text) < 5:
        raise FormError("正文太短了，请粘贴完整的稿件正文。")
    return text


def _asks_major_policy(answers: Answers) -> bool:
    return answers.get(CONSENT_KEY) == "1"


# ---- the form -----------------------------------------------------------------------------------

QUESTIONS = (
    Question("title", "标题", "请输入稿件标题。"),
    Question(
        "text",
        "正文",
        "请粘贴稿件正文（图片、附件在后面一步直接发送）。",
        kind=QuestionKind.LONG_TEXT,
        validate=check_text,
    ),
    Question(
        "link",
        "预览链接",
        "如有预览链接或原文链接，请发来。",
        required=False,
        validate=check_link,
    ),
    Question(
        "attachments",
        "图片和附件",
        "请发送图片或附件，发完回复「好了」，没有请回复「无」。",
        kind=QuestionKind.ATTACHMENTS,
        required=False,
    ),
    Question(
        "accounts",
        "发布账号",
        "请选择发布到哪些账号。",
        kind=QuestionKind.MULTI_CHOICE,
        choices=account_choices,
    ),
    Question(
        "kind",
        "稿件类型",
        "这是原创还是转载？",
        kind=QuestionKind.CHOICE,
        choices=(Choice(ORIGINAL, ORIGINAL), Choice(REPOST, REPOST)),
    ),
    Question(
        "source",
        "转载来源",
        "转载须注明来源：请写明稿源单位或原文出处（如“重庆市人民政府网”）。",
        when=lambda a: a.get("kind") == REPOST,
    ),
    Question(
        "major",
        "重大政策信息",
        "是否属于区级重大公共政策信息？（是：终审后还须报区委、区政府同意）",
        kind=QuestionKind.YES_NO,
        when=_asks_major_policy,
    ),
)


def submit_spec(on_complete: CompleteFn) -> FormSpec:
    """The 送审 form, submitted by ``on_complete``."""
    return FormSpec(
        name=FORM,
        label="送审",
        summary_title="请核对送审稿件",
        submit_label="送审",
        on_complete=on_complete,
        questions=QUESTIONS,
    )


def settled(policy: Policy) -> Answers:
    """Answers the form never asks: whether the preset wants consent for major policy posts."""
    return {CONSENT_KEY: "1"} if needs_consent(policy) else {}


# ---- reading the answers ------------------------------------------------------------------------


async def draft_of(ctx: HandlerContext, answers: Answers) -> Draft:
    """What the answers submit; a source only for a repost."""
    repost = answers.get("kind") == REPOST
    return Draft(
        title=answers["title"],
        text=answers["text"],
        link=answers.get("link", ""),
        attachments=tuple(forms.attachments(answers.get("attachments", ""))),
        account_ids=await account_ids_of(ctx, answers.get("accounts", "")),
        repost=repost,
        source=answers.get("source", "") if repost else "",
        major_policy=answers.get("major") == "是",
    )


async def prefill_of(ctx: HandlerContext, post: Post, version: PostVersion) -> Answers:
    """A post's current version as the form's pre-filled answers (修改: 同上 keeps each)."""
    rows = await Account.filter(id__in=post.account_ids).using_db(ctx.conn)
    chosen = {a.label for a in rows} | {f"{a.label}#{a.id}" for a in rows}
    choices = await account_choices(ctx, {})
    prefill = {
        "title": version.title,
        "text": version.text,
        "link": version.link,
        "attachments": json.dumps(version.attachments, ensure_ascii=False)
        if version.attachments
        else "",
        "accounts": "\n".join(c.value for c in choices if c.value in chosen),
        "kind": REPOST if post.repost else ORIGINAL,
        "source": post.source,
        "major": "是" if post.major_policy else "否",
    }
    # The optional link and attachments are pre-filled even when empty, so 同上 keeps "none".
    return {k: v for k, v in prefill.items() if v or k in ("link", "attachments")}
