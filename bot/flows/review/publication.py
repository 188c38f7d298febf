"""已发布: the published link and the account update records."""

from __future__ import annotations

import re
from datetime import datetime

from bot.core.directory import Member
from bot.flows.review.base import AlreadyDecided, ReviewError, Work
from bot.flows.review.cards import account_names
from bot.flows.review.store import lock_post
from storage.models.review import PostStatus


async def record_published(w: Work, actor: Member, post_id: int, link: str) -> str:
    from storage.models.review import AccountUpdate

    post = await lock_post(w.conn, post_id)
    if post is None:
        raise ReviewError("找不到这篇稿件。")
    if actor.id != post.author_id:
        raise ReviewError("只有送审人可以回报发布情况。")
    link = link.strip()
    if not re.match(r"^https?://\S+$", link):
        raise ReviewError("发布链接格式不正确，请填写以 http:// 或 https:// 开头的完整链接。")
    if post.status == PostStatus.PUBLISHED:
        raise AlreadyDecided("这篇稿件已经登记发布了。")
    if post.status != PostStatus.APPROVED:
        raise ReviewError(f"稿件{post.status.label}，未通过全部审核，不能发布（先审后发）。")
    post.status = PostStatus.PUBLISHED
    post.published_link = link
    post.published_at = w.now
    post.updated_at = w.now
    await post.save(using_db=w.conn)
    for account_id in post.account_ids:
        await AccountUpdate.create(
            using_db=w.conn,
            account_id=int(account_id),
            post_id=post.id,
            link=link,
            published_at=w.now,
            reported_by_id=actor.id,
            created_at=w.now,
        )
    await w.audit(
        "review.published", "post", post.id, {"link": link, "accounts": list(post.account_ids)}
    )
    return f"已登记发布：{await account_names(w.conn, post.account_ids)}"


async def updates_since(account_id: int, since: datetime) -> int:
    """How many updates an account had since ``since`` (for ≥ N a week, 14 days of silence)."""
    from storage.models.review import AccountUpdate

    return await AccountUpdate.filter(account_id=account_id, published_at__gte=since).count()


async def last_update(account_id: int) -> datetime | None:
    from storage.models.review import AccountUpdate

    row = await AccountUpdate.filter(account_id=account_id).order_by("-published_at").first()
    return row.published_at if row else None
