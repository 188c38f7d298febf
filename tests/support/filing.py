"""Walking the filing (备案) forms as a clerk would."""

from __future__ import annotations

from bot.cards.model import Card
from tests.support.chat import ChatHarness, Said, card_of

OPEN_ANSWERS = [
    "微博",  # 所属平台 (asked first)
    "同上",  # 责任主体: the clerk's unit
    "临江教育",  # 新媒体名称
    "ljjy_weibo",  # 账号
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


async def open_filing(h: ChatHarness, person: str = "xiaoxu") -> Card:
    """Fill a 开设 filing up to its summary card."""
    first = await h.say(person, "备案")
    await h.tap(person, card_of(first, "备案"), "开设")
    return card_of(await answer_all(h, person, OPEN_ANSWERS), "请核对")


async def approve_both(h: ChatHarness, head: str = "wangzr", supervisor: str = "zhangzr") -> None:
    """The unit head, then the supervising unit, tap 同意 on their newest approval cards."""
    await h.tap(head, card_of(await h.new_messages(head), "请审批"), "同意")
    await h.tap(supervisor, card_of(await h.new_messages(supervisor), "请审批"), "同意")


async def pick(h: ChatHarness, person: str, kind: str, account: str) -> list[Said]:
    """``备案 <kind>`` and tap the account; returns the form's first replies."""
    first = await h.say(person, f"备案 {kind}")
    tapped = await h.tap(person, card_of(first, f"{kind}备案"), account)
    return tapped.replies


# Who else gets a copy of each approval card in the demo district: the unit's review group (the
# head's level), and every supervisor staff of 区政府办 with the supervision group (the
# supervising unit's level). Tests about something else say they ignore these.
UNIT_GROUPS = ("group:ljq-wlw-review", "group:ljq-jw-review")
SUPERVISING_UNIT = ("zhangzr", "zhoufzr", "hegly", "group:ljq-jg")
