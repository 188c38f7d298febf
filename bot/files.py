"""Documents the bot produces (filled 备案表, rectification letters, reports).

Files live under ``<home>/files/`` with a row in ``stored_file``. They are sent to platforms by
the adapters (uploaded as media) and can be downloaded later through expiring signed links
(``/files/<id>/<name>?e=…&s=…``), which is how the console offers them.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
import uuid
from datetime import datetime
from pathlib import Path
from urllib.parse import quote, unquote

from aiohttp import web
from tortoise.backends.base.client import BaseDBAsyncClient

from bot.app_keys import SERVICES_KEY
from bot.core.outgoing import FileRef
from bot.services import Services
from bot.system_state import get_value, set_value
from storage.models.machinery import StoredFile

SIGNING_KEY = "file_signing_key"
LINK_SECONDS = 7 * 24 * 3600

MIME_BY_SUFFIX = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pdf": "application/pdf",
    ".csv": "text/csv",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".doc": "application/msword",
    ".xls": "application/vnd.ms-excel",
    ".txt": "text/plain",
    ".zip": "application/zip",
}


def filename_of(disposition: str) -> str:
    """The file name in a Content-Disposition header (``filename*=UTF-8''…`` or quoted)."""
    match = re.search(r"filename\*=(?:UTF-8|utf-8)''([^;]+)", disposition)
    if match:
        return unquote(match.group(1).strip())
    match = re.search(r'filename="?([^";]+)"?', disposition)
    # Platforms percent-encode non-ASCII names in the plain form too (headers are Latin-1).
    return unquote(match.group(1).strip()) if match else ""


def files_dir(services: Services) -> Path:
    return services.settings.resolved_home / "files"


def path_of(services: Services, file_id: str) -> Path:
    return files_dir(services) / file_id


async def save(
    services: Services,
    conn: BaseDBAsyncClient,
    *,
    name: str,
    data: bytes,
    now: datetime,
    subject_type: str = "",
    subject_id: str | int = "",
    created_by: int | None = None,
) -> FileRef:
    """Write the bytes first, then the row (in the caller's transaction): a rollback leaves
    at most an unreferenced file, never a row without its file."""
    file_id = uuid.uuid4().hex
    directory = files_dir(services)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / file_id
    path.write_bytes(data)
    mime = MIME_BY_SUFFIX.get(Path(name).suffix.lower(), "application/octet-stream")
    await StoredFile.create(
        using_db=conn,
        id=file_id,
        name=name,
        mime=mime,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        subject_type=subject_type,
        subject_id=str(subject_id),
        created_by=created_by,
        created_at=now,
    )
    return FileRef(file_id=file_id, name=name, size=len(data), mime=mime)


async def read(services: Services, file_id: str) -> tuple[StoredFile, bytes] | None:
    row = await StoredFile.filter(id=file_id).first()
    if row is None:
        return None
    path = path_of(services, file_id)
    if not path.exists():
        return None
    return row, path.read_bytes()


async def _signing_key(services: Services) -> bytes:
    cached = services.extras.get(SIGNING_KEY)
    if isinstance(cached, bytes):
        return cached
    value = await get_value(SIGNING_KEY)
    if not value:
        value = secrets.token_hex(32)
        await set_value(SIGNING_KEY, value, services.clock.now())
        value = await get_value(SIGNING_KEY)  # another process may have won the race
    key = bytes.fromhex(str(value))
    services.extras[SIGNING_KEY] = key
    return key


def _signature(key: bytes, file_id: str, expires: int) -> str:
    return hmac.new(key, f"{file_id}:{expires}".encode(), hashlib.sha256).hexdigest()[:32]


async def download_path(services: Services, ref: FileRef, now: float | None = None) -> str:
    """A relative download link valid for a week (prefix DUTYBOT_PUBLIC_URL for platforms)."""
    # Link expiry is a security property of real time, not of the (possibly shifted) demo clock.
    expires = int((now if now is not None else time.time()) + LINK_SECONDS)
    signature = _signature(await _signing_key(services), ref.file_id, expires)
    return f"/files/{ref.file_id}/{quote(ref.name)}?e={expires}&s={signature}"


async def serve_file(request: web.Request) -> web.StreamResponse:
    services = request.app[SERVICES_KEY]
    file_id = request.match_info["file_id"]
    try:
        expires = int(request.query.get("e", "0"))
    except ValueError:
        raise web.HTTPBadRequest(text="链接参数不正确") from None
    expected = _signature(await _signing_key(services), file_id, expires)
    if not hmac.compare_digest(expected, request.query.get("s", "")):
        raise web.HTTPForbidden(text="下载链接无效")
    if expires < time.time():
        raise web.HTTPGone(text="下载链接已过期，请在对话中重新获取")
    found = await read(services, file_id)
    if found is None:
        raise web.HTTPNotFound(text="文件不存在")
    row, data = found
    return web.Response(
        body=data,
        content_type=row.mime,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(row.name)}"},
    )


def setup_files(app: web.Application) -> None:
    app.router.add_get("/files/{file_id}/{name}", serve_file)
