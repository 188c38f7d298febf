"""Every refusal of issue 5 (3), each with a Chinese reason citing its article."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.core.services import Services
from bot.handlers import load_all
from bot.policy.runtime import TimeKeeping
from storage.models.filing import Filing
from storage.models.machinery import Conversation
from tests.support.chat import ChatHarness, Said, card_of, harness_on
from tests.support.filing import OPEN_ANSWERS, UNIT_GROUPS, answer_all


async def start_open(h: ChatHarness, person: str = "xiaoxu") -> list[Said]:
    """备案 → 开设; what the bot answered (the first question: the platform)."""
    first = await h.say(person, "备案")
    return (await h.tap(person, card_of(first, "备案"), "开设")).replies


async def test_phone_numbers_are_checked_for_their_format(harness: ChatHarness) -> None:
    await start_open(harness)
    await answer_all(harness, "xiaoxu", ["微博", "同上", "临江教育", "ljjy", "发布信息", "黄科长"])
    refused = await harness.say("xiaoxu", "1390000")
    # The format and an example, not the 备案表 appendix cited as if it were a rule.
    assert refused[0].text.startswith(
        "联系方式格式不正确：手机号为11位数字（如 13812345678），座机请带区号（如 023-49888888）。"
    )
    assert "附件" not in refused[0].text
    assert "依据" not in refused[0].text
    assert "请重新回复负责人联系方式" in refused[0].text
    accepted = await harness.say("xiaoxu", "023-4988 8888")
    assert "请填写运营人员姓名" in accepted[0].text


async def test_a_second_account_on_the_same_platform_is_refused(harness: ChatHarness) -> None:
    await start_open(harness)
    # Asked first: refused before a name or account number was typed.
    refused = await harness.say("xiaoxu", "微信")
    text = refused[0].text
    assert "本单位在微信已有账号临江教育（微信）" in text
    assert "只开设一个" in text
    assert "第七条" in text
    assert "备案 变更" in text  # 变更 offered instead


async def test_a_refused_platform_tap_keeps_the_card_live(
    harness: ChatHarness,
) -> None:
    # The platform is the first question (asked before the name and the account number).
    question = card_of(await start_open(harness), "备案")
    assert "微信" in [b.label for b in question.buttons]
    # 微信 is taken: the tap is refused with the reason, and the card keeps its buttons.
    refused = await harness.tap("xiaoxu", question, "微信")
    assert refused.toast is not None
    assert "本单位在微信已有账号临江教育（微信）" in refused.toast
    assert "请重新选择" in "\n".join(r.text for r in refused.replies)
    still = await harness.latest_card("xiaoxu", title=question.title)
    assert [b.label for b in still.buttons] == [b.label for b in question.buttons]
    assert still.status != "已选择：微信"
    # Another platform is tapped on the same card: it closes on that choice.
    taken = await harness.tap("xiaoxu", still, "微博")
    assert taken.toast is None
    assert taken.card is not None
    assert taken.card.status == "已选择：微博"
    assert taken.card.buttons == ()


async def test_internal_offices_and_people_may_not_be_the_subject(harness: ChatHarness) -> None:
    await start_open(harness)
    await harness.say("xiaoxu", "微博")
    office = await harness.say("xiaoxu", "区教委办公室")
    assert "内设机构" in office[0].text
    assert "不得作为政务新媒体账号主体" in office[0].text
    assert "临江区教育委员会" in office[0].text
    person = await harness.say("xiaoxu", "黄科长")
    assert "看起来是个人" in person[0].text
    other_unit = await harness.say("xiaoxu", "临江区文化和旅游发展委员会")
    assert "只能为本单位备案" in other_unit[0].text
    short = await harness.say("xiaoxu", "临江区")
    assert "只能为本单位备案" in short[0].text
    ok = await harness.say("xiaoxu", "教育委员会")  # the short name is completed
    assert "请填写新媒体名称" in ok[0].text
    await harness.say("xiaoxu", "上一步")
    ok = await harness.say("xiaoxu", "临江区教育委员会")
    assert "请填写新媒体名称" in ok[0].text


async def test_names_that_differ_across_platforms_are_warned_not_refused(
    harness: ChatHarness,
) -> None:
    await start_open(harness)
    answers = ["抖音", "同上", "临江教育发布", "ljjyfb", "短视频宣传", "黄科长", "13900000043"]
    answers += ["小徐", "13900000044", "林副主任", "预算", "三审三校", "小徐"]
    summary = card_of(await answer_all(harness, "xiaoxu", answers), "请核对")
    assert "本单位其他平台账号名称为「临江教育」，与「临江教育发布」不一致" in summary.body
    assert "提交备案" in [b.label for b in summary.buttons]


@pytest.fixture
async def jiaxian(
    request: pytest.FixtureRequest, services: Services, demo_org: None
) -> AsyncIterator[ChatHarness]:
    services.timekeeping = TimeKeeping.from_settings(
        services.settings.model_copy(update={"policy": "jiaxian"})
    )
    app = create_app(services, load_all(), console=True)
    async with TestClient(TestServer(app)) as client, harness_on(request, client, services) as h:
        yield h


async def test_platforms_outside_the_preset_are_refused(jiaxian: ChatHarness) -> None:
    await start_open(jiaxian)
    refused = await jiaxian.say("xiaoxu", "网站")
    assert "网站不在本地政务新媒体平台范围（微博、微信、抖音、客户端、其他）内" in refused[0].text
    assert "佳县政务新媒体管理办法" in refused[0].text


async def test_jiaxian_change_deadline_is_two_working_days(jiaxian: ChatHarness) -> None:
    first = await jiaxian.say("laozhou", "备案 变更")
    accounts = card_of(first, "变更备案")
    await jiaxian.tap("laozhou", accounts, "临江文旅（抖音）")
    summary = card_of(
        await answer_all(jiaxian, "laozhou", ["6", "小王", "13900000035", "调岗", "2026-10-09"]),
        "请核对",
    )
    assert "报送主管单位时限：" in summary.body
    assert summary.body.count("截止 10月12日 18:00") == 1
    assert "10月12日 18:00" not in summary.body.replace("截止 10月12日 18:00", "")
    assert "第八条（五）" in summary.body


async def test_unknown_kind_and_no_eligible_account(harness: ChatHarness) -> None:
    unknown = await harness.say("laozhou", "备案 改名")
    assert "没有“改名”这种备案类型" in unknown[0].text
    await harness.say("laozhou", "取消")
    nothing = await harness.say("laozhou", "备案 注销")
    assert "本单位没有可以办理注销备案的账号" in nothing[0].text
    assert "注销须先办理关停备案" in nothing[0].text


async def test_cancel_mid_form_leaves_nothing(harness: ChatHarness) -> None:
    await start_open(harness)
    await answer_all(harness, "xiaoxu", ["微博", "同上", "临江教育"])
    bye = await harness.say("xiaoxu", "取消")
    assert [m.text for m in bye] == ["已取消「开设备案」，填写的内容没有提交。需要时可重新开始。"]
    assert await Conversation.all().count() == 0
    assert await Filing.all().count() == 0
    again = await harness.say("xiaoxu", "临江教育")  # no form any more: not taken as an answer
    assert "请填写账号" not in again[0].text


async def test_download_without_a_number_lists_the_clerks_filings(harness: ChatHarness) -> None:
    empty = await harness.say("laozhou", "下载")
    assert "您还没有提交过备案" in empty[0].text
    head = await harness.say("wangzr", "下载")
    assert "请写明备案编号" in head[0].text


async def test_a_kept_answer_ending_in_a_full_stop_gets_no_second_one(
    harness: ChatHarness,
) -> None:
    harness.ignore(*UNIT_GROUPS)  # the head's group copy
    answers = list(OPEN_ANSWERS)
    answers[4] = "发布教育政务信息，回应群众关切。"  # 备案原由, a sentence with its full stop
    await start_open(harness)
    await harness.tap(
        "xiaoxu", card_of(await answer_all(harness, "xiaoxu", answers), "请核对"), "提交备案"
    )
    head = card_of(await harness.new_messages("chenzr"), "请审批")
    await harness.tap("chenzr", head, "退回", form={"reason": "经费来源写具体"})
    returned = card_of(await harness.new_messages("xiaoxu"), "备案被退回")
    await harness.tap("xiaoxu", returned, "修改后重新提交")
    asked = await answer_all(harness, "xiaoxu", ["同上"] * 4)
    text = asked[-1].text
    assert "请简要说明备案原由" in text
    assert "当前登记为：发布教育政务信息，回应群众关切。不变请回复“同上”。" in text
    assert "。。" not in text
