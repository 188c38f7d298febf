from tests.harness import ChatHarness

async def test_smoke(harness: ChatHarness) -> None:
    for text in ["送审", "桃花节开幕", "第十届桃花节今天开幕，欢迎广大市民前来游玩。", "无", "1", "原创"]:
        out = await harness.say("xiaowang", text)
        for m in out: print(">>", m.to_text())
    card = await harness.latest_card("xiaowang", title="核对")
    t = await harness.tap("xiaowang", card, "送审")
    print("TAP", t.toast, [r.to_text() for r in t.replies])
    g = await harness.messages("likz", harness.group("ljq-wlw-review"))
    for m in g: print("GROUP>>", m.to_text())
