"""The content of images and files people send, kept with bot/files.py when a flow wants it.

Adapters only put the platform's reference into a ``FileEvent`` (the platform wants its
callback answered within seconds). The bytes are fetched by ``prefetch`` just before the
delivery's transaction opens, never inside it: a platform call inside a transaction would hold
the database (on SQLite, the whole file's write lock) for as long as the platform takes.
``HandlerContext.keep_file`` then stores them if a conversation takes the file; otherwise
they are dropped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from bot.core.events import FileEvent
from bot.core.services import Services

log = logging.getLogger(__name__)

MAX_BYTES = 20 * 1024 * 1024


class MediaError(Exception):
    """The content could not be fetched or kept; the message (Chinese) says why."""


@runtime_checkable
class MediaSource(Protocol):
    """A channel that can fetch what a person sent: (bytes, the platform's file name)."""

    async def fetch_media(self, media: str, kind: str) -> tuple[bytes, str]: ...


@dataclass(frozen=True)
class Fetched:
    """What the platform returned for a sent image or file."""

    data: bytes
    suggested: str


async def prefetch(services: Services, event: FileEvent) -> Fetched | MediaError | None:
    """Fetch a sent image or file from its platform (call outside any transaction).

    None when there is nothing to fetch (a console upload is already stored); a ``MediaError``
    (returned, not raised) when the platform cannot give it, so the conversation can say so.
    """
    if event.file_id or not event.media:
        return None
    channel = services.channels.get(event.platform)
    if not isinstance(channel, MediaSource):
        return MediaError("暂时无法接收这个平台的文件，请改用链接或在控制台上传。")
    try:
        data, suggested = await channel.fetch_media(event.media, event.kind)
    except Exception as exc:  # any platform failure: the person may simply send it again
        log.warning("fetching media %s failed: %s", event.media, exc)
        return MediaError("文件没能从平台取回，请稍后重新发送。")
    if len(data) > MAX_BYTES:
        return MediaError(f"文件太大了（最大 {MAX_BYTES // 1024 // 1024} MB），请压缩后再发。")
    return Fetched(data=data, suggested=suggested)


def default_name(event: FileEvent, suggested: str) -> str:
    if event.name:
        return event.name
    if suggested:
        return suggested
    stamp = event.received_at.strftime("%Y%m%d%H%M%S")
    return f"图片{stamp}.jpg" if event.kind == "image" else f"附件{stamp}"
