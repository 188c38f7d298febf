"""Downloads of stored files through their expiring signed links (see ``bot.core.files``)."""

from __future__ import annotations

import hmac
import time
from urllib.parse import quote

from aiohttp import web

from bot.core import files
from bot.web.keys import SERVICES_KEY


async def serve_file(request: web.Request) -> web.StreamResponse:
    services = request.app[SERVICES_KEY]
    file_id = request.match_info["file_id"]
    try:
        expires = int(request.query.get("e", "0"))
    except ValueError:
        raise web.HTTPBadRequest(text="链接参数不正确") from None
    expected = files.signature(await files.signing_key(services), file_id, expires)
    given = request.query.get("s", "").encode("utf-8", "surrogateescape")
    if not hmac.compare_digest(expected.encode(), given):  # bytes: non-ASCII is just wrong
        raise web.HTTPForbidden(text="下载链接无效")
    if expires < time.time():
        raise web.HTTPGone(text="下载链接已过期，请在对话中重新获取")
    found = await files.read(services, file_id)
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
