"""Sending bytes no well-behaved HTTP client would send: raw header bytes, a body cut short."""

from __future__ import annotations

import asyncio
import json
import socket
import struct
from typing import Any

from aiohttp.test_utils import TestClient


async def raw_request(
    target: TestClient[Any, Any] | tuple[str, int],
    method: str,
    path: str,
    headers: list[tuple[bytes, bytes]],
    body: bytes = b"",
    *,
    close_after: bool = False,
) -> tuple[int, Any]:
    """Send one request as raw bytes; the status and the JSON (or text) of the answer.

    With ``close_after`` the connection is closed right after writing (a client that
    vanishes mid-body) and (0, None) is returned.
    """
    host, port = target if isinstance(target, tuple) else (target.host, target.port)
    assert isinstance(port, int)
    reader, writer = await asyncio.open_connection(host, port)
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n".encode()
    lines = b"".join(name + b": " + value + b"\r\n" for name, value in headers)
    if not any(name.lower() == b"content-length" for name, _ in headers):
        lines += f"Content-Length: {len(body)}\r\n".encode()
    writer.write(head + lines + b"\r\n" + body)
    await writer.drain()
    if close_after:
        # SO_LINGER 0: the close sends RST, as a dropped mobile connection or a killed
        # proxy does, rather than an orderly FIN.
        await asyncio.sleep(0.2)  # the server is reading the body by now
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.close()
        await writer.wait_closed()
        return 0, None
    answer = await reader.read()
    writer.close()
    status_line, _, rest = answer.partition(b"\r\n")
    _, _, payload = rest.partition(b"\r\n\r\n")
    text = payload.decode("utf-8", "replace")
    try:
        data: Any = json.loads(text)
    except ValueError:
        data = text
    return int(status_line.split()[1]), data
