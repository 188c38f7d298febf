"""Documents sent in the chat: stored once, shown in the console, downloadable by signed link."""

from __future__ import annotations

import time

from tortoise.transactions import in_transaction

from bot.core import files
from bot.core.emit import Emitter
from bot.core.outgoing import Message
from storage.models.machinery import StoredFile
from storage.models.org import Person
from tests.support.chat import ChatHarness


async def test_file_reaches_the_console_and_downloads(harness: ChatHarness) -> None:
    services = harness.services
    person = await Person.get(key="laozhou")
    content = "备案表内容".encode()
    async with in_transaction() as conn:
        ref = await files.save(
            services, conn, name="临江文旅-备案表.xlsx", data=content,
            now=services.clock.now(), subject_type="filing", subject_id=7,
        )  # fmt: skip
        emitter = Emitter(services, conn, key_prefix="file-test", now=services.clock.now())
        await emitter.to_person(person.id, Message(text="备案表已生成", files=(ref,)))
    await harness.drain()
    [message] = await harness.messages("laozhou")
    assert message.text == "备案表已生成"
    resp = await harness.client.get(
        "/console/api/messages", params={"as": "laozhou", "chat": "dm:laozhou"}
    )
    shown = (await resp.json())["messages"][0]["files"][0]
    assert shown["name"] == "临江文旅-备案表.xlsx"
    assert shown["size"] == len(content)
    download = await harness.client.get(shown["url"])
    assert download.status == 200
    assert await download.read() == content
    assert "attachment" in download.headers["Content-Disposition"]
    row = await StoredFile.get(id=ref.file_id)
    assert row.subject_id == "7"


async def test_forged_or_expired_links_are_refused(harness: ChatHarness) -> None:
    services = harness.services
    async with in_transaction() as conn:
        ref = await files.save(services, conn, name="a.pdf", data=b"%PDF", now=services.clock.now())
    good = await files.download_path(services, ref)
    forged = good[: good.index("&s=")] + "&s=" + "0" * 32
    assert (await harness.client.get(forged)).status == 403
    old = await files.download_path(services, ref, now=time.time() - files.LINK_SECONDS - 10)
    assert (await harness.client.get(old)).status == 410
    assert (await harness.client.get(good)).status == 200
