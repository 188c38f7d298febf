"""开设备案 through real ``dutybot serve`` and ``dutybot worker`` processes and the fake WeCom API:
signed, encrypted callbacks in; the worker walks the approval chain, delivers the cards and the
备案表 file; the clerk taps 已上线 and the registry says 运行."""

from __future__ import annotations

import asyncio
import time

import pytest

from storage.enums import AccountStatus
from storage.models.filing import Filing, FilingStatus
from storage.models.org import Account
from tests.fakes.wecom_server import WeComPlatform
from tests.support.orgs import PLATFORM_OPEN_ANSWERS as OPEN_ANSWERS
from tests.support.orgs import load_org_text
from tests.support.processes import Processes, cards_to, eventually, say_in_turn, stack
from tests.support.wecom import aes_key

pytestmark = pytest.mark.slow

__all__ = ["aes_key", "stack"]  # fixtures

# tests/filing/platform_org.py without its group chats: the stack's fake WeCom has no robot.
ORG = """
units:
  - {key: ljq-zfb, name: 临江区人民政府办公室, kind: government}
  - {key: ljq-wlw, name: 临江区文化和旅游发展委员会, kind: government, supervisor: ljq-zfb}
  - {key: ljq-wlw-xck, name: 区文旅委宣传科, kind: government, parent: ljq-wlw,
     internal_office: true}
people:
  - {key: laozhou, name: 老周, unit: ljq-wlw-xck, roles: [clerk], wecom: LaoZhou}
  - {key: wangzr, name: 王主任, unit: ljq-wlw, roles: [principal], wecom: WangZR}
  - {key: zhangzr, name: 张主任, unit: ljq-zfb, roles: [supervisor_staff], wecom: ZhangZR}
"""


async def test_open_filing_through_serve_and_worker(
    stack: tuple[str, WeComPlatform, Processes],
) -> None:
    base, platform, procs = stack
    await load_org_text(ORG)
    await say_in_turn(base, platform, procs, "LaoZhou", ["备案 开设", *OPEN_ANSWERS], "55")
    summary = await eventually(
        lambda: cards_to(platform, "LaoZhou", "请核对开设备案"), "the summary", procs
    )
    assert (await platform.post(base, platform.tap("LaoZhou", summary[-1], "提交备案")))[0] == 200
    for userid in ("WangZR", "ZhangZR"):
        card = await eventually(
            lambda userid=userid: cards_to(platform, userid, "请审批"),
            f"{userid}'s approval card",
            procs,
        )
        tap = platform.tap(userid, card[-1], "同意")
        assert (await platform.post(base, tap))[0] == 200
        assert (await platform.post(base, tap))[0] == 200  # WeCom's retry changes nothing

    result = await eventually(
        lambda: cards_to(platform, "LaoZhou", "备案已同意"), "the result card", procs
    )
    sent = await eventually(
        lambda: platform.api.sent(msgtype="file", touser="LaoZhou"), "the 备案表 file", procs
    )
    name, data = platform.api.media[sent[0]["file"]["media_id"]]
    assert name.endswith(".docx")
    assert data[:2] == b"PK"
    filing = await Filing.get()
    assert filing.status == FilingStatus.APPROVED
    assert [op["decision"] for op in filing.opinions] == ["approve", "approve"]
    assert filing.account_id is not None

    assert (await platform.post(base, platform.tap("LaoZhou", result[-1], "已上线")))[0] == 200
    await eventually(platform.api.updates, "the result card closed", procs)

    async def running() -> bool:
        account = await Account.get(id=filing.account_id)
        return account.status == AccountStatus.RUNNING

    deadline = time.monotonic() + 20
    while not await running():
        assert time.monotonic() < deadline, procs.logs()
        await asyncio.sleep(0.2)
