"""Reading and locking posts and their versions."""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient

from storage.models.review import Post, PostVersion


async def current_version(conn: BaseDBAsyncClient, post: Post) -> PostVersion:
    return await PostVersion.filter(post_id=post.id, number=post.version).using_db(conn).get()


async def previous_version(conn: BaseDBAsyncClient, post: Post) -> PostVersion | None:
    if post.version <= 1:
        return None
    return await PostVersion.filter(post_id=post.id, number=post.version - 1).using_db(conn).first()


async def lock_post(conn: BaseDBAsyncClient, post_id: int) -> Post | None:
    return await Post.filter(id=post_id).using_db(conn).select_for_update().first()
