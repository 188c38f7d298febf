"""Helpers for filing tests: walking the forms as a clerk would."""

from __future__ import annotations

from tests.harness import ChatHarness, Said

OPEN_ANSWERS = [
    "同上",  # 责任主体: the clerk's unit
    "临江教育",  # 新媒体名称
    "ljjy_weibo",  # 账号
    "微博",  # 所属平台
    "发布教育政务信息，回应群众关切",  # 备案原由
    "黄科长",
    "13900000043",
    "小徐",
    "13900000044",
    "林副主任分管，办公室负责",
    "部门预算保障",
    "三审三校、值班读网制度",
    "小徐 13900000044",
]


async def answer_all(h: ChatHarness, person: str, answers: list[str]) -> list[Said]:
    """Send each answer in turn; returns the bot's reply to the last one."""
    replies: list[Said] = []
    for answer in answers:
        replies = await h.say(person, answer)
        assert replies, f"no reply to {answer!r}"
    return replies


def card_of(replies: list[Said], title: str = "") -> Said:
    for said in replies:
        if said.card is not None and title in said.card.title:
            return said
    raise AssertionError(f"no card {title!r} in {[str(r) for r in replies]}")


async def open_filing(h: ChatHarness, person: str = "xiaoxu") -> Said:
    """Fill a 开设 filing up to its summary card."""
    first = await h.say(person, "备案")
    await h.tap(person, card_of(first, "备案"), "开设")
    return card_of(await answer_all(h, person, OPEN_ANSWERS), "请核对")
