"""The console's chat list counts the bot's messages a person has not seen in each chat, so a
reviewer sees from their empty 1:1 chat that a card waits in the review group."""

from __future__ import annotations

import json
from typing import Any

from tests.support.chat import ChatHarness
from tests.support.review import GROUP, review_card, submit

TEXT = "第十届临江桃花节今天开幕，欢迎广大市民前来游玩。"


async def chat_list(h: ChatHarness, person: str, seen: dict[str, int]) -> dict[str, Any]:
    resp = await h.client.get("/console/api/chats", params={"as": person, "seen": json.dumps(seen)})
    answer = await resp.json()
    assert resp.status == 200, answer
    return {c["chat"]: c["unread"] for c in answer["chats"]}


async def test_the_chat_list_counts_what_the_reviewer_has_not_seen(harness: ChatHarness) -> None:
    h = harness
    before = await chat_list(h, "likz", {})
    await submit(h, "xiaowang", title="桃花节开幕", text=TEXT)
    after = await chat_list(h, "likz", {})
    # The review card in the group and, in the 1:1 chat, where it waits.
    assert after[GROUP] == before[GROUP] + 1
    assert after[h.dm("likz")] == before[h.dm("likz")] + 1
    card = await review_card(h, "likz")  # reads the 1:1 pointer and the group
    assert card.title.startswith("初审")
    # The page says how far it showed each chat: nothing is unread any more.
    shown = {
        GROUP: (await h.messages("likz", GROUP))[-1].id,
        h.dm("likz"): (await h.messages("likz"))[-1].id,
    }
    assert await chat_list(h, "likz", shown) == dict.fromkeys(after, 0)


async def test_a_malformed_seen_map_is_refused_with_a_reason(harness: ChatHarness) -> None:
    for seen in ("[1]", '{"dm:likz": "x"}', "{"):
        resp = await harness.client.get("/console/api/chats", params={"as": "likz", "seen": seen})
        assert resp.status == 400
        assert "seen" in (await resp.json())["error"]
