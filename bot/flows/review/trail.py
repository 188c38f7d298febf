"""审核记录: the whole history of a post, and who may read it."""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient

from bot.cards.model import (
    Card,
    CardField,
    Tone,
)
from bot.core.directory import Member, load_member
from bot.flows.review.base import Work
from bot.flows.review.cards import attachment_names, finding_lines
from storage.enums import Role
from storage.models.review import Post, PostVersion, ReviewStep, StepStatus


async def trail_card(w: Work, post: Post) -> Card:
    """审核记录: every version, its check, every decision (who, when, comment, which 关)."""
    versions = await PostVersion.filter(post_id=post.id).using_db(w.conn).order_by("number")
    steps = await ReviewStep.filter(post_id=post.id).using_db(w.conn).order_by("id")
    author = await load_member(post.author_id, w.conn)
    fields: list[CardField] = [
        CardField(label="送审人", value=author.name if author else ""),
        CardField(label="状态", value=post.status.label),
        CardField(label="审核流程", value=" → ".join(lv["name"] for lv in post.levels)),
    ]
    for version in versions:
        lines = [f"{w.when(version.created_at)} 标题《{version.title}》"]
        lines.append(
            "自检：未发现问题"
            if not version.findings
            else f"自检：发现{len(version.findings)}处问题\n"
            + "\n".join(finding_lines(version.findings))
        )
        if version.override_reason:
            lines.append(f"仍然送审的说明：{version.override_reason}")
        if version.attachments:
            lines.append(f"附件：{attachment_names(version.attachments)}")
        for step in (s for s in steps if s.version == version.number):
            who = await load_member(int(step.decided_by_id or step.approver_id), w.conn)
            name = who.name if who else ""
            if step.status == StepStatus.PENDING:
                lines.append(f"{step.level_name}：待{name}审核")
                continue
            checks = f"，把关：{'、'.join(c + '关' for c in step.checks)}" if step.checks else ""
            comment = f"，意见：{step.comment}" if step.comment else ""
            handed = ""
            if step.delegated_from_id:
                original = await load_member(step.delegated_from_id, w.conn)
                handed = f"（由{original.name if original else ''}转交）"
            lines.append(
                f"{step.level_name}：{name}{handed} {step.status.label} "
                f"{w.when(step.decided_at)}{checks}{comment}"
            )
        fields.append(CardField(label=f"第{version.number}版", value="\n".join(lines)))
    if post.published_link:
        fields.append(
            CardField(label="发布", value=f"{w.when(post.published_at)} {post.published_link}")
        )
    return Card(
        title=f"审核记录：《{post.title}》",
        subtitle=f"编号 {post.id}",
        tone=Tone.GREY,
        fields=tuple(fields),
    )


async def may_see(conn: BaseDBAsyncClient, member: Member, post: Post) -> bool:
    if member.id == post.author_id or member.has(Role.SUPERVISOR_STAFF, Role.ADMIN):
        return True
    reviewers = (
        await ReviewStep.filter(post_id=post.id)
        .using_db(conn)
        .values_list("approver_id", "delegated_from_id")
    )
    return any(member.id in pair for pair in reviewers)
