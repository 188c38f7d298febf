"""三审三校 through real ``dutybot serve`` and ``dutybot worker`` processes and the fake WeCom API.

The same stack as tests/adapters/wecom/test_e2e.py: signed, encrypted callbacks in, the worker
processes them and delivers the cards; every level approved by tapping.
"""

from __future__ import annotations

import pytest

from storage.models.review import Post, PostStatus
from tests.fakes.wecom_server import WeComPlatform
from tests.support.orgs import load_org_text
from tests.support.processes import Processes, cards_to, eventually, say_in_turn

pytestmark = pytest.mark.slow

ORG = """
units:
  - {key: wlw, name: 临江区文化和旅游发展委员会, kind: government}
  - {key: wlw-xck, name: 区文旅委宣传科, kind: government, parent: wlw, internal_office: true}
people:
  - {key: xiaowang, name: 小王, unit: wlw-xck, roles: [editor], wecom: XiaoWang}
  - {key: likz, name: 李科长, unit: wlw-xck, roles: [section_chief], wecom: LiKZ}
  - {key: zhaofzr, name: 赵副主任, unit: wlw, roles: [deputy_leader], wecom: ZhaoFZR}
  - {key: wangzr, name: 王主任, unit: wlw, roles: [principal], wecom: WangZR}
accounts:
  - {key: wlw-wechat, name: 临江文旅, platform: wechat, owner_unit: wlw, operator_unit: wlw-xck}
"""


async def test_three_levels_through_serve_and_worker(
    stack: tuple[str, WeComPlatform, Processes],
) -> None:
    base, platform, procs = stack
    await load_org_text(ORG)
    texts = ["送审", "桃花节开幕", "第十届临江桃花节今天开幕。", "无", "无", "1", "原创"]
    await say_in_turn(base, platform, procs, "XiaoWang", texts, "77")
    summary = await eventually(
        lambda: cards_to(platform, "XiaoWang", "请核对送审稿件"), "the summary", procs
    )
    assert (await platform.post(base, platform.tap("XiaoWang", summary[-1], "送审")))[0] == 200
    for userid, level in (("LiKZ", "初审"), ("ZhaoFZR", "复审"), ("WangZR", "终审")):
        card = await eventually(
            lambda userid=userid, level=level: cards_to(platform, userid, level),
            f"the {level} card",
            procs,
        )
        tap = platform.tap(userid, card[-1], "通过")
        assert (await platform.post(base, tap))[0] == 200
        assert (await platform.post(base, tap))[0] == 200  # WeCom's retry changes nothing
    await eventually(
        lambda: cards_to(platform, "XiaoWang", "可发布"), "the publishable notice", procs
    )
    post = await Post.get(id=1)
    assert post.status == PostStatus.APPROVED
