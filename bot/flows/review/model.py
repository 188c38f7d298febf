"""The subject of review: a post, its versions and its levels; the flow's error, locks, names."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.backends.base.client import BaseDBAsyncClient

from bot.core import untrusted
from bot.core.outgoing import FileRef
from bot.core.work import FlowError, ToastKind
from storage.enums import Decision, Platform
from storage.models.review import Post, PostStatus, PostVersion, ReviewStep, StepStatus

# The card actions' prefix (``review.approve`` …) and the deadline engine's handler name.
ACTION = "review"
STEP_HANDLER = "review"
# What audit entries and stored cards name as their subject; a level's deadline names its step.
SUBJECT = "post"
STEP_SUBJECT = "review_step"

# The form 送审 fills (also the name of its conversation rows).
FORM = "review.submit"

# Stored card kinds.
STEP_CARD = "review.step"
CHECK_CARD = "review.check"
DELEGATE_CARD = "review.delegate"
APPROVED_CARD = "review.approved"
RETURNED_CARD = "review.returned"
# The author's card follows the review between levels where re-rendering is free (console,
# Feishu); on WeCom an update beyond the copy's one code is a new message, and the author
# already gets one message per decision, so there it catches up when review ends.
AUTHOR_CARD = "review.author"

# The level deadline: reminders, then escalation (rule and schedule from the preset).
DEADLINE_KIND = "review"
DEADLINE_RULE = "review.escalate"
DEADLINE_SCHEDULE = "review"
REMIND_STEP = "remind"

# A published or preview link: a full http(s) URL.
LINK = re.compile(r"^https?://\S+$")
LINK_IN_TEXT = re.compile(r"https?://\S+")

# Where a post may still be withdrawn by its author (审核未结束).
WITHDRAWABLE = (PostStatus.DRAFT, PostStatus.IN_REVIEW, PostStatus.RETURNED)

# What a decision makes of the level, and the audit verb it writes.
STEP_STATUS = {
    Decision.APPROVE: StepStatus.APPROVED,
    Decision.RETURN: StepStatus.RETURNED,
    Decision.REJECT: StepStatus.REJECTED,
}
DECISION_VERBS = {
    Decision.APPROVE: "review.approved",
    Decision.RETURN: "review.returned",
    Decision.REJECT: "review.rejected",
}
# What a reviewer must write before sending a post back or refusing it.
REASON_NAMES = {Decision.RETURN: "退回意见", Decision.REJECT: "不予发布的理由"}


class ReviewError(FlowError):
    """A review transition that cannot happen; the message says why and what to do."""


class AlreadyDecided(ReviewError):
    """A duplicate or late tap: nothing to record, the card shows what happened."""

    kind: ToastKind = "info"


@dataclass(frozen=True)
class Draft:
    """What the author submits for review (one version), as the 送审 form collected it."""

    title: str
    text: str
    link: str
    attachments: tuple[FileRef, ...]
    account_ids: list[int]
    repost: bool
    source: str
    major_policy: bool


async def lock_post(conn: BaseDBAsyncClient, post_id: int) -> Post | None:
    return await Post.filter(id=post_id).using_db(conn).select_for_update().first()


async def lock_step(conn: BaseDBAsyncClient, step_id: int) -> ReviewStep | None:
    return await ReviewStep.filter(id=step_id).using_db(conn).select_for_update().first()


async def current_version(conn: BaseDBAsyncClient, post: Post) -> PostVersion:
    return await PostVersion.filter(post_id=post.id, number=post.version).using_db(conn).get()


async def previous_version(conn: BaseDBAsyncClient, post: Post) -> PostVersion | None:
    if post.version <= 1:
        return None
    return await PostVersion.filter(post_id=post.id, number=post.version - 1).using_db(conn).first()


async def find_post(
    conn: BaseDBAsyncClient, author_id: int, typed: str, statuses: Sequence[PostStatus]
) -> Post | None:
    """The post numbered in what was typed, else the author's newest post in ``statuses``."""
    number = re.search(r"\d+", typed)
    if number:
        post_id = untrusted.row_id(number.group())
        if post_id is None:  # "²" or beyond any id: no such post
            return None
        return await Post.filter(id=post_id).using_db(conn).first()
    return (
        await Post.filter(author_id=author_id, status__in=list(statuses))
        .using_db(conn)
        .order_by("-updated_at", "-id")
        .first()
    )


def author_platform(post: Post) -> Platform | None:
    """The platform the author submitted on (their notifications go back there)."""
    try:
        return Platform(post.author_platform) if post.author_platform else None
    except ValueError:
        return None


def level_chain(post: Post) -> str:
    """初审 → 复审 → 终审, as the post's levels were snapshotted at submission."""
    return " → ".join(lv["name"] for lv in post.levels)
