"""bot.org.apply directly: the cases that are clearer as data than as files."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.org.apply import apply_org, preview_org
from bot.org.schema import OrgError, parse, parse_text
from storage.enums import AccountStatus, MediaPlatform
from storage.models.machinery import AuditEntry
from storage.models.org import Account, Chat, Identity, Person, Unit
from tests.support.orgfiles import audit_count, snapshot


def small_org() -> dict[str, Any]:
    return {
        "units": [
            {"key": "gov", "name": "某县人民政府办公室"},
            {"key": "edu", "name": "某县教育局", "supervisor": "gov"},
        ],
        "people": [
            {"key": "wang", "name": "王", "unit": "edu", "roles": ["clerk"], "wecom": "WangW"},
            {"key": "li", "name": "李", "unit": "edu", "roles": "编辑、备案经办人"},
            {"key": "zhao", "name": "赵", "unit": "gov", "phone": 13900000001},
        ],
        "chats": [
            {"key": "edu-review", "name": "教育局审核群", "purpose": "审核群", "unit": "edu",
             "members": ["wang", "li"], "feishu_chat_id": "oc_1"},
            {"key": "edu-duty", "name": "教育局值班群", "purpose": "duty", "unit": "edu",
             "members": ["wang"], "feishu_chat_id": "oc_2"},
        ],
        "accounts": [
            {"name": "某县教育", "platform": "微信", "owner_unit": "edu",
             "account_id": "gh_1", "opened_on": date(2020, 1, 2)},
        ],
    }  # fmt: skip


async def load(data: dict[str, Any], clock: ManualClock) -> str:
    return (await apply_org(parse(data), clock.now())).describe()


async def test_labels_numbers_and_lists_are_accepted(db: str, clock: ManualClock) -> None:
    assert "新增：单位 2、人员 3、群聊 2、账号 1" in await load(small_org(), clock)
    zhao = await Person.get(key="zhao")
    assert zhao.phone == "13900000001"  # an unquoted number is text
    chat = await Chat.get(key="edu-review")
    assert chat.purpose == "review"
    account = await Account.get(key="edu-wechat")  # derived: unit key + platform
    assert account.platform == MediaPlatform.WECHAT


async def test_removed_person_is_deactivated_and_can_return(db: str, clock: ManualClock) -> None:
    await load(small_org(), clock)
    without = small_org()
    without["people"] = [p for p in without["people"] if p["key"] != "li"]
    without["chats"][0]["members"] = ["wang"]
    assert "停用：人员 1" in await load(without, clock)
    li = await Person.get(key="li")
    assert not li.active
    assert await AuditEntry.filter(action="person.deactivated", subject_id="li").exists()

    back = await load(small_org(), clock)
    assert back == "新增：无；更新：人员 1、群聊 1；停用：无"
    assert (await Person.get(key="li")).active


async def test_accounts_absent_from_the_file_are_left_alone(db: str, clock: ManualClock) -> None:
    data = small_org()
    data["accounts"].append({"name": "某县教育", "platform": "抖音", "owner_unit": "edu"})
    await load(data, clock)
    assert await load(small_org(), clock) == "组织名单与数据库一致，没有变化。"
    assert await Account.filter(key="edu-douyin").exists()


async def test_wecom_id_moves_to_a_successor_on_the_record(db: str, clock: ManualClock) -> None:
    await load(small_org(), clock)
    data = small_org()
    data["people"][0]["wecom"] = None
    data["people"].append({"key": "sun", "name": "孙", "unit": "edu", "wecom": "WangW"})
    await load(data, clock)
    identity = await Identity.get(platform="wecom", kind="userid", value="WangW")
    assert identity.person_id == (await Person.get(key="sun")).id
    assert await load(data, clock) == "组织名单与数据库一致，没有变化。"


async def test_two_chats_swap_feishu_groups(db: str, clock: ManualClock) -> None:
    await load(small_org(), clock)
    data = small_org()
    data["chats"][0]["feishu_chat_id"], data["chats"][1]["feishu_chat_id"] = "oc_2", "oc_1"
    await load(data, clock)
    assert (await Chat.get(key="edu-review")).feishu_chat_id == "oc_2"
    assert (await Chat.get(key="edu-duty")).feishu_chat_id == "oc_1"
    changed = await AuditEntry.filter(action="chat.updated", subject_id="edu-review").get()
    assert changed.detail == {"feishu_chat_id": {"from": "oc_1", "to": "oc_2"}}


async def test_second_live_account_on_a_platform_is_refused(db: str, clock: ManualClock) -> None:
    await load(small_org(), clock)
    before, entries = await snapshot(), await audit_count()
    data = small_org()
    data["accounts"] = [
        {"key": "edu-new", "name": "某县教育发布", "platform": "wechat", "owner_unit": "edu"}
    ]
    data["people"][0]["title"] = "科员"  # valid on its own; must not be applied either
    with pytest.raises(OrgError) as refused:
        await load(data, clock)
    assert refused.value.problems == [
        "accounts[1]（某县教育发布）.platform：数据库中已有“某县教育”（key: edu-wechat）"
        "是该单位在微信的账号，一个单位在同一平台只能开设一个账号。如要更新它，请写明 "
        "key: edu-wechat；如已关停或注销，请先更新其状态"
    ]
    assert await snapshot() == before
    assert await audit_count() == entries

    # Once the old account is cancelled, the unit may open a new one on the platform.
    data["accounts"].append(
        {"key": "edu-wechat", "name": "某县教育", "platform": "wechat", "owner_unit": "edu",
         "status": "已注销"}
    )  # fmt: skip
    await load(data, clock)
    assert (await Account.get(key="edu-wechat")).status == AccountStatus.CANCELLED
    assert (await Account.get(key="edu-new")).status == AccountStatus.RUNNING


async def test_keyless_account_matches_by_unit_and_platform(db: str, clock: ManualClock) -> None:
    data = small_org()
    data["accounts"][0]["key"] = "edu-official"
    await load(data, clock)
    keyless = small_org()
    keyless["accounts"][0]["name"] = "某县教育发布"
    assert "更新：账号 1" in await load(keyless, clock)
    assert (await Account.get(key="edu-official")).name == "某县教育发布"
    assert await Account.all().count() == 1


async def test_other_platforms_with_chinese_names_get_distinct_keys(
    db: str, clock: ManualClock
) -> None:
    data = small_org()
    data["accounts"] += [
        {"name": "某县教育", "platform": "其他", "platform_name": "小红书", "owner_unit": "edu"},
        {"name": "某县教育", "platform": "其他", "platform_name": "快手", "owner_unit": "edu"},
    ]
    await load(data, clock)
    others = await Account.filter(platform=MediaPlatform.OTHER).order_by("id")
    assert [a.platform_name for a in others] == ["小红书", "快手"]
    assert len({a.key for a in others}) == 2
    assert await load(data, clock) == "组织名单与数据库一致，没有变化。"


async def test_preview_writes_nothing(db: str, clock: ManualClock) -> None:
    summary = await preview_org(parse(small_org()), clock.now())
    assert summary.describe().startswith("新增：单位 2")
    assert await Unit.all().count() == 0
    assert await audit_count() == 0


def test_person_in_a_deactivated_unit_is_refused() -> None:
    data = small_org()
    data["units"][1]["active"] = False
    with pytest.raises(OrgError) as refused:
        parse(data)
    assert "people[1]（王）.unit：单位 edu 已标记停用（active: false），不能有在岗人员" in (
        refused.value.problems
    )


def test_toml_errors_are_located() -> None:
    with pytest.raises(OrgError) as refused:
        parse_text('[[units]]\nkey = "a"\nname = 某县\n', "toml")
    assert refused.value.problems == [
        "TOML 格式错误（第 3 行第 8 列）：值的写法不正确（文字要加引号）"
    ]
