"""Documents the bot produces (filled 备案表, rectification letters, reports) and files people send.

Files live under ``<home>/files/`` with a row in ``stored_file``. They are sent to platforms by
the adapters (uploaded as media) and can be downloaded later through expiring signed links
(``/files/<id>/<name>?e=…&s=…``, served by ``bot.web.files``), which is how the console offers
them.
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

from tortoise.backends.base.client import BaseDBAsyncClient

from bot.core.outgoing import FileRef
from bot.core.services import Services
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


async def signing_key(services: Services) -> bytes:
    if services.file_signing_key is not None:
        return services.file_signing_key
    value = await get_value(SIGNING_KEY)
    if not value:
        value = secrets.token_hex(32)
        await set_value(SIGNING_KEY, value, services.clock.now())
        value = await get_value(SIGNING_KEY)  # another process may have won the race
    key = bytes.fromhex(str(value))
    services.file_signing_key = key
    return key


def signature(key: bytes, file_id: str, expires: int) -> str:
    return hmac.new(key, f"{file_id}:{expires}".encode(), hashlib.sha256).hexdigest()[:32]


async def download_path(services: Services, ref: FileRef, now: float | None = None) -> str:
    """A relative download link valid for a week (prefix DUTYBOT_PUBLIC_URL for platforms)."""
    # Link expiry is a security property of real time, not of the (possibly shifted) demo clock.
    expires = int((now if now is not None else time.time()) + LINK_SECONDS)
    signed = signature(await signing_key(services), ref.file_id, expires)
    return f"/files/{ref.file_id}/{quote(ref.name)}?e={expires}&s={signed}"
