"""Alert and handover acknowledgement times in the report, from what the duty officers did."""

from __future__ import annotations

import pytest

from bot.core.services import Services
from bot.flows.reports import build, parse_period, to_xlsx
from bot.flows.reports.posting import summary
from tests.duty.alerts_support import MONDAY_10, advance
from tests.duty.handover_support import at, demo_team, travel
from tests.duty.support import make_team
from tests.support.chat import ChatHarness, card_of

CENTRE = "临江区政务新媒体中心"


async def test_alert_acknowledgement_times(harness: ChatHarness, services: Services) -> None:
    h = harness
    h.clock.set(MONDAY_10)
    h.ignore()  # alerts reach leads, supervisors and groups; the test reads the report
    await make_team(services)
    for text, wait in (("报告 严重 临江文旅首页无法打开", 2), ("报告 一般 临江教育栏目空白", 4)):
        await h.say("laoliu", text)
        await advance(h, wait)
        card = await h.latest_card("xiaochen", title="告警")
        tapped = await h.tap("xiaochen", card, "确认告警")
        assert tapped.toast is not None
        assert "已确认" in tapped.toast
    await h.say("laoliu", "报告 一般 河西镇公众号链接失效")  # never acknowledged
    await advance(h, 10)
    report = await build(services, parse_period("2026Q4"))
    total = report.total
    assert (total.alerts, total.alerts_unacknowledged) == (3, 1)
    assert total.alert_ack.n == 2
    assert total.alert_ack.median == pytest.approx(3.0)  # 2 and 4 minutes
    assert total.alert_ack.p90 == pytest.approx(4.0)
    assert "告警 3 条（确认中位数 3 分钟，未确认 1）" in summary(report)
    # Outside the quarter, none.
    assert (await build(services, parse_period("2026Q3"))).total.alerts == 0


async def test_handover_acknowledgement_time(harness: ChatHarness, services: Services) -> None:
    h = harness
    await demo_team(h)
    h.ignore()  # reminders and escalations are the handover tests' concern
    await travel(h, at(20, 15))
    card = card_of(await h.new_messages("xiaochen"), "交班")
    h.clock.set(at(20, 20))
    await h.tap("xiaochen", card, "提交交接", form={"note": "无"})
    incoming = card_of(await h.new_messages("laoliu"), "接班确认")
    await travel(h, at(20, 47))
    await h.tap("laoliu", incoming, "确认接班")
    report = await build(services, parse_period("2026W48"))
    (centre,) = [u for u in report.units if u.name == CENTRE]
    assert (centre.handovers, centre.handovers_unacknowledged) == (1, 0)
    # Counted from the change at 20:30 (handed over early at 20:20) to 20:47.
    assert centre.handover_ack.median == pytest.approx(17.0)
    assert to_xlsx(report)[:2] == b"PK"
