"""Issue 12 item 8: the console takes uploads up to the documented 20 MB and refuses larger
ones with a JSON 413; an oversized JSON body is a JSON 413 too."""

from __future__ import annotations

import io

from aiohttp import FormData

from storage.models.machinery import InboundEvent
from tests.harness import ChatHarness

MB = 1024 * 1024


async def _upload(h: ChatHarness, size: int) -> tuple[int, dict[str, object]]:
    form = FormData()
    form.add_field("as", "xiaowang")
    form.add_field("chat", "dm:xiaowang")
    form.add_field("file", io.BytesIO(b"x" * size), filename="截图.png", content_type="image/png")
    resp = await h.client.post("/console/api/files", data=form)
    return resp.status, await resp.json(content_type=None)


async def test_console_upload_of_five_megabytes_is_taken(harness: ChatHarness) -> None:
    status, answer = await _upload(harness, 5 * MB)
    assert status == 200, answer
    assert answer["ok"] is not None
    await harness.drain()
    await harness.expect("xiaowang")  # the bot's answer to a file nobody asked for


async def test_console_upload_over_twenty_megabytes_is_a_json_413(harness: ChatHarness) -> None:
    status, answer = await _upload(harness, 20 * MB + 1)
    assert status == 413, answer
    assert answer["ok"] is False
    assert "20 MB" in str(answer["error"])
    assert await InboundEvent.all().count() == 0


async def test_oversized_json_body_is_a_json_413(harness: ChatHarness) -> None:
    resp = await harness.client.post(
        "/console/api/messages",
        data=io.BytesIO(b'{"text": "' + b"x" * (3 * MB) + b'"}'),
        headers={"Content-Type": "application/json"},
    )
    answer = await resp.json(content_type=None)
    assert resp.status == 413, answer
    assert answer["ok"] is False
    assert "太大" in answer["error"]
