"""The content of images and files people send, kept with bot/files.py when a flow wants it.

Adapters only put the platform's reference into a ``FileEvent``; the bytes are fetched here,
when a conversation takes the file (fetching every picture someone sends would be wasted work,
and the platform wants its callback answered within seconds).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol, runtime_checkable

from bot import files
from bot.core.context import HandlerContext
from bot.core.events import FileEvent
from bot.core.outgoing import FileRef
from storage.models.machinery import StoredFile

log = logging.getLogger(__name__)

MAX_BYTES = 20 * 1024 * 1024


class MediaError(Exception):
    """The content could not be fetched or kept; the message (Chinese) says why."""


@runtime_checkable
class MediaSource(Protocol):
    """A channel that can fetch what a person sent: (bytes, the platform's file name)."""

    async def fetch_media(self, media: str, kind: str) -> tuple[bytes, str]: ...


def default_name(event: FileEvent, suggested: str) -> str:
    if event.name:
        return event.name
    if suggested:
        return suggested
    stamp = event.received_at.strftime("%Y%m%d%H%M%S")
    return f"图片{stamp}.jpg" if event.kind == "image" else f"附件{stamp}"


async def keep(
    ctx: HandlerContext, event: FileEvent, *, subject_type: str, subject_id: str
) -> FileRef:
    """Store the sent image or file and return its reference; raises ``MediaError``."""
    if event.file_id:
        row = await StoredFile.filter(id=event.file_id).using_db(ctx.conn).first()
        if row is None:
            raise MediaError("没有找到您上传的文件，请重新上传。")
        return FileRef(file_id=row.id, name=row.name, size=row.size, mime=row.mime)
    channel = ctx.services.channels.get(event.platform)
    if not isinstance(channel, MediaSource) or not event.media:
        raise MediaError("暂时无法接收这个平台的文件，请改用链接或在控制台上传。")
    try:
        data, suggested = await channel.fetch_media(event.media, event.kind)
    except Exception as exc:  # any platform failure: the person may simply send it again
        log.warning("fetching media %s failed: %s", event.media, exc)
        raise MediaError("文件没能从平台取回，请稍后重新发送。") from exc
    if len(data) > MAX_BYTES:
        raise MediaError(f"文件太大了（最大 {MAX_BYTES // 1024 // 1024} MB），请压缩后再发。")
    name = Path(default_name(event, suggested)).name[:120] or "附件"
    return await files.save(
        ctx.services,
        ctx.conn,
        name=name,
        data=data,
        now=ctx.now,
        subject_type=subject_type,
        subject_id=subject_id,
        created_by=ctx.actor.id,
    )
