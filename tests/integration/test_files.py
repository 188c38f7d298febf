"""Documents sent in the chat: stored once, shown in the console, downloadable by signed link."""

from __future__ import annotations

import hashlib
import time
from datetime import datetime
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer
from tortoise.transactions import in_transaction

from bot.app import create_app
from bot.core import files
from bot.core.emit import Emitter
from bot.core.outgoing import Message
from bot.core.services import Services
from bot.handlers import load_all
from storage.models.machinery import StoredFile, StoredFileContent
from storage.models.org import Person
from tests.support.chat import ChatHarness
from tests.support.orgfiles import dutybot


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


async def test_a_file_saved_by_one_replica_is_downloaded_through_another(
    harness: ChatHarness, tmp_path: Path
) -> None:
    """Web replicas and workers share the database, not a disk: a 备案表 a worker generated
    must download through any web replica (here one whose home directory is empty)."""
    services = harness.services
    content = "整改通知书".encode() * 1000
    async with in_transaction() as conn:
        ref = await files.save(
            services, conn, name="整改通知书.docx", data=content, now=services.clock.now()
        )
    link = await files.download_path(services, ref)
    other_settings = services.settings.model_copy(update={"home": tmp_path / "other-replica"})
    other = Services(settings=other_settings, clock=services.clock, redis=services.redis)
    async with TestClient(TestServer(create_app(other, load_all(), console=True))) as replica:
        download = await replica.get(link)
        assert download.status == 200, await download.text()
        assert await download.read() == content
    assert not (tmp_path / "other-replica" / "files").exists()


def _legacy_file(home: Path, file_id: str, data: bytes) -> None:
    """What versions before the database store left: the bytes under <home>/files/."""
    (home / "files").mkdir(parents=True, exist_ok=True)
    (home / "files" / file_id).write_bytes(data)


async def _legacy_row(file_id: str, data: bytes, now: datetime) -> None:
    await StoredFile.create(
        id=file_id, name=f"{file_id}.xlsx", mime="application/octet-stream", size=len(data),
        sha256=hashlib.sha256(data).hexdigest(), created_at=now,
    )  # fmt: skip


async def test_files_left_on_disk_by_earlier_versions_stay_readable(
    harness: ChatHarness, tmp_path: Path
) -> None:
    services = harness.services
    home = tmp_path / "old-home"
    now = services.clock.now()
    data = b"old form"
    await _legacy_row("old1", data, now)
    _legacy_file(home, "old1", data)
    await _legacy_row("bad1", data, now)
    _legacy_file(home, "bad1", b"truncated")  # not what the row says: never served
    old = Services(
        settings=services.settings.model_copy(update={"home": home}),
        clock=services.clock,
        redis=services.redis,
    )
    found = await files.read(old, "old1")
    assert found is not None
    assert found[1] == data
    assert await files.read(old, "bad1") is None
    # Adopted: the next replica reads it from the database without the disk.
    (home / "files" / "old1").unlink()
    found = await files.read(services, "old1")
    assert found is not None
    assert found[1] == data


async def test_db_upgrade_moves_local_files_into_the_database(
    harness: ChatHarness, tmp_path: Path
) -> None:
    now = harness.services.clock.now()
    for n in range(3):
        data = f"form {n}".encode()
        await _legacy_row(f"f{n}", data, now)
        _legacy_file(tmp_path, f"f{n}", data)
    _legacy_file(tmp_path, "orphan", b"no row")  # a rolled-back save: nothing to attach it to
    done = await dutybot(
        harness.services.settings.effective_database_url, tmp_path, "db", "upgrade"
    )
    assert done.returncode == 0, done.stderr
    assert "已把 3 个本机文件" in done.stdout
    assert sorted(await StoredFileContent.all().values_list("file_id", flat=True)) == [
        "f0", "f1", "f2",
    ]  # fmt: skip
    again = await dutybot(
        harness.services.settings.effective_database_url, tmp_path, "db", "upgrade"
    )
    assert "本机文件" not in again.stdout
