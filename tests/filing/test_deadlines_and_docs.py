"""Filing countdowns remind the clerk and then the unit head; a form survives a restart;
the 备案表 can be downloaded later and holds every field."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from docx import Document

from bot.app import create_app
from bot.core.files import read
from bot.core.services import Services
from bot.deadlines import lifecycle
from bot.handlers import load_all
from storage.models.filing import Filing
from storage.models.machinery import AuditEntry
from storage.models.org import Account
from tests.support.chat import ChatHarness, card_of
from tests.support.filing import (
    OPEN_ANSWERS,
    SUPERVISING_UNIT,
    UNIT_GROUPS,
    answer_all,
    approve_both,
    open_filing,
    pick,
)


async def test_report_deadline_reminds_then_escalates_to_the_head(harness: ChatHarness) -> None:
    harness.ignore(*UNIT_GROUPS)  # the head's group copy
    await pick(harness, "laozhou", "变更", "临江文旅（抖音）")
    summary = card_of(
        await answer_all(harness, "laozhou", ["6", "小王", "13900000035", "调岗", "今天"]),
        "请核对",
    )
    submitted = await harness.tap("laozhou", summary, "提交备案")
    assert any("报送主管单位时限" in r.text and "第十二条" in r.text for r in submitted.replies)
    await harness.new_messages("wangzr")

    await harness.advance(timedelta(days=3))
    reminders = await harness.new_messages("laozhou")
    assert any("【备案报送主管单位】" in r.text and "剩余" in r.text for r in reminders)
    assert await harness.new_messages("wangzr") == []  # the head is not bothered yet

    await harness.advance(timedelta(days=4))  # past 10月15日 18:00
    escalated = await harness.new_messages("wangzr")
    assert any("请督促经办人办理" in r.text and "已超时" in r.text for r in escalated)
    assert await AuditEntry.filter(action="filing.reminded").count() >= 2


async def test_an_approved_opening_must_go_live_in_time(harness: ChatHarness) -> None:
    # Not looked at: approval copies (and the 2027 calendar reminder to the admin).
    harness.ignore(*UNIT_GROUPS, *SUPERVISING_UNIT)
    summary = await open_filing(harness)
    await harness.tap("xiaoxu", summary, "提交备案")
    await approve_both(harness, head="chenzr", supervisor="zhangzr")
    result = card_of(await harness.new_messages("xiaoxu"), "备案已同意")
    await harness.advance(timedelta(days=185))  # past the 6 months
    assert any(
        "【上线时限】临江教育（微博）" in r.text for r in await harness.new_messages("xiaoxu")
    )
    head = await harness.new_messages("chenzr")
    assert any("上线时限" in r.text and "请督促经办人办理" in r.text for r in head)
    live = await harness.tap("xiaoxu", result, "已上线")
    assert live.toast == "已登记上线"
    account = await Account.get(name="临江教育", platform="weibo")
    assert await lifecycle.for_subject(None, "account", account.id, kind="filing.golive") == []
    notice = await lifecycle.for_subject(None, "account", account.id, kind="filing.notice_open")
    assert len(notice) == 1
    assert "不少于30天" in notice[0].explanation


async def test_a_half_filled_form_survives_a_restart(services: Services, demo_org: None) -> None:
    app = create_app(services, load_all(), console=True)
    async with TestClient(TestServer(app)) as client:
        first = ChatHarness(client, services)
        start = await first.say("xiaoxu", "备案")
        await first.tap("xiaoxu", card_of(start, "备案"), "开设")
        await answer_all(first, "xiaoxu", OPEN_ANSWERS[:5])
    app2 = create_app(services, load_all(), console=True)
    async with TestClient(TestServer(app2)) as client2:
        second = ChatHarness(client2, services)
        resumed = await second.say("xiaoxu", OPEN_ANSWERS[5])
        assert "请填写运营主管负责人联系方式" in resumed[0].text
        summary = card_of(await answer_all(second, "xiaoxu", OPEN_ANSWERS[6:]), "请核对")
        assert {f.label: f.value for f in summary.fields}["新媒体名称"] == "临江教育"


async def test_the_form_document_holds_every_field_and_downloads_later(
    harness: ChatHarness,
) -> None:
    harness.ignore(*UNIT_GROUPS, *SUPERVISING_UNIT)  # approval-card copies
    await pick(harness, "laozhou", "变更", "临江文旅（抖音）")
    summary = card_of(
        await answer_all(harness, "laozhou", ["6", "小王", "13900000035", "老周调岗", "今天"]),
        "请核对",
    )
    await harness.tap("laozhou", summary, "提交备案")
    await approve_both(harness)
    filing = await Filing.get()
    found = await read(harness.services, str(filing.document_id))
    assert found is not None
    doc = Document(io.BytesIO(found[1]))
    cells = [cell.text for row in doc.tables[0].rows for cell in row.cells]
    text = "\n".join(p.text for p in doc.paragraphs) + "\n".join(cells)
    for expected in (
        "政务新媒体备案登记表",
        "临江区文化和旅游发展委员会",
        "临江文旅",
        "ljwl2020",
        "☑抖音",
        "☑变更",
        "老周调岗",
        "李科长",
        "13900000034",
        "小王",
        "13900000035",
        "主办单位意见",
        "同意\n\n签字：王主任",
        "备案主管单位意见",
        "签字：张主任",
        "2026年10月9日",
    ):
        assert expected in text, expected

    later = await harness.say("laozhou", f"下载 {filing.id}")
    resp = await harness.client.get(
        "/console/api/messages", params={"as": "laozhou", "chat": "dm:laozhou", "limit": "5"}
    )
    data = await resp.json()
    files = [f for m in data["messages"] for f in m.get("files") or []]
    assert later[0].text.startswith(f"变更备案 #{filing.id}")
    assert files
    assert files[-1]["name"].endswith(".docx")
    download = await harness.client.get(files[-1]["url"])
    assert download.status == 200
    assert (await download.read())[:2] == b"PK"

    refused = await harness.say("xiaoxu", f"下载 {filing.id}")  # another unit's filing
    assert "没有找到本单位编号为" in refused[0].text
    supervisor = await harness.say("zhangzr", f"下载 {filing.id}")  # the supervising unit
    assert supervisor[0].text.startswith(f"变更备案 #{filing.id}")
    outsider = await harness.say("sunke", f"下载 {filing.id}")  # supervises nobody
    assert "没有找到本单位编号为" in outsider[0].text


# CI sets DUTYBOT_REQUIRE_OFFICE=1 (and installs LibreOffice, poppler and a CJK font), so there
# a missing LibreOffice is a failure, not a skip.
@pytest.mark.skipif(
    shutil.which("soffice") is None and os.environ.get("DUTYBOT_REQUIRE_OFFICE") != "1",
    reason="LibreOffice is not installed",
)
async def test_the_form_opens_in_libreoffice(harness: ChatHarness, tmp_path: Path) -> None:
    await pick(harness, "laozhou", "紧急关停", "临江文旅（抖音）")
    summary = card_of(await answer_all(harness, "laozhou", ["被责令关停", "今天"]), "请核对")
    await harness.tap("laozhou", summary, "提交报备")
    # The 报备 goes to the unit's head, the supervisors and the admin: the closing tests read
    # those cards; this test is about the printed form.
    harness.ignore("wangzr", "zhangzr", "zhoufzr", "hegly")
    filing = await Filing.get()
    found = await read(harness.services, str(filing.document_id))
    assert found is not None
    source = tmp_path / "form.docx"
    source.write_bytes(found[1])
    # Blocking is fine here: the test has nothing else to run meanwhile.
    subprocess.run(  # noqa: ASYNC221
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    pdf = tmp_path / "form.pdf"
    assert pdf.exists()
    if shutil.which("pdftotext"):
        text = subprocess.run(  # noqa: ASYNC221
            ["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True
        ).stdout
        assert "13900000034" in text  # ASCII: readable even without CJK fonts
        assert "ljwl2020" in text
        if os.environ.get("DUTYBOT_REQUIRE_OFFICE") == "1":
            # With the CJK font CI installs, the Chinese labels come through as text too.
            assert "政务新媒体" in text, text
            assert "备案主管单位意见" in text, text
            assert "被责令关停" in text, text
