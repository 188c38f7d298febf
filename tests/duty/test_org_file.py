"""duty_teams in the organisation file: every mistake named with its entry, line and field;
nothing written when refused; an unquoted 08:30 still means 08:30."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
import yaml

from bot.org.apply import apply_org
from bot.org.schema import OrgError, parse, parse_text
from storage.models.duty import DutyRotation, DutyTeam
from tests.support.dates import SHANGHAI
from tests.support.orgfiles import demo_data

NOW = datetime(2026, 10, 9, 10, 0, tzinfo=SHANGHAI)


def team(data: dict[str, Any]) -> dict[str, Any]:
    entry = data["duty_teams"][0]
    assert isinstance(entry, dict)
    return entry


def problems_of(data: dict[str, Any]) -> str:
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    with pytest.raises(OrgError) as refused:
        parse(parse_text(text, "yaml"))
    return "\n".join(refused.value.problems)


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("scope", ["ljq-zfb", "ljq-nope"], ".scope[2]：找不到单位 ljq-nope"),
        ("lead", "nobody", ".lead：找不到人员 nobody"),
        ("chat", "no-chat", ".chat：找不到群聊 no-chat"),
        ("rotation", ["xiaochen", "ghost"], ".rotation[2]：找不到人员 ghost（人员从名单中删去时"),
        ("rotation", ["xiaochen", "xiaochen"], ".rotation[2]：xiaochen 重复列出"),
        ("rotation", [], ".rotation：List should have at least 1 item"),
        ("day_start", "25:00", ".day_start：时刻“25:00”不存在"),
        ("day_start", "早上八点", ".day_start：时刻“早上八点”格式不正确"),
        ("night_start", "07:00", ".night_start：夜班开始时间（07:00）应晚于白班开始时间（08:30）"),
        (
            "shifts",
            "三班倒",
            ".shifts：不认识“三班倒”，可选：full（24小时班）、day_night（白班/夜班）",
        ),
        ("unit", "ljq-nope", ".unit：找不到单位 ljq-nope"),
    ],
)
def test_each_mistake_is_named(field: str, value: Any, words: str) -> None:
    data = demo_data()
    team(data)[field] = value
    found = problems_of(data)
    assert "duty_teams[1]（区政务新媒体中心读网值班，第 " in found
    assert words in found


def test_a_person_deactivated_must_leave_the_rotation() -> None:
    data = demo_data()
    next(p for p in data["people"] if p["key"] == "laoliu")["active"] = False
    data["chats"] = [
        {**c, "members": [m for m in c["members"] if m != "laoliu"]} for c in data["chats"]
    ]
    assert ".rotation[2]：laoliu 已停用，不能排班（请从轮值顺序中去掉）" in problems_of(data)


def test_an_unquoted_change_time_is_read_as_the_time_meant() -> None:
    text = yaml.safe_dump(demo_data(), allow_unicode=True, sort_keys=False)
    text = text.replace("day_start: 08:30", "day_start: 07:45")
    text = text.replace("day_start: '08:30'", "day_start: 07:45")
    assert "day_start: 07:45" in text
    org = parse(parse_text(text, "yaml"))  # YAML 1.1 reads 07:45 as 465 (minutes)
    assert org.duty_teams[0].day_start == "07:45"


async def test_a_rotation_change_dated_in_the_past_is_refused_and_nothing_written(
    db: str,
) -> None:
    await apply_org(parse(demo_data()), NOW)
    rotations = await DutyRotation.all().count()
    data = demo_data()
    team(data)["rotation"] = ["xiaochen", "laoliu"]
    team(data)["effective_from"] = "2026-10-01"
    with pytest.raises(OrgError) as refused:
        await apply_org(parse(data), NOW)
    assert (
        "duty_teams[1]（区政务新媒体中心读网值班）.effective_from：轮值调整只能从今天或以后"
        in (refused.value.problems[0])
    )
    assert await DutyRotation.all().count() == rotations
    # Dated ahead, it is kept for that day; the rotation in force today is unchanged.
    team(data)["effective_from"] = "2026-10-12"
    summary = await apply_org(parse(data), NOW)
    assert "~ 值班组 ljq-zx：rotation 自 2026-10-12 起" in summary.lines
    latest = await DutyRotation.filter(team_id=(await DutyTeam.get()).id).order_by(
        "-effective_from"
    )
    assert [r.effective_from.isoformat() for r in latest] == ["2026-10-12", "2026-10-09"]
    # The same file again: no change, although its effective_from is now a past date.
    assert (await apply_org(parse(data), NOW.replace(day=20))).describe() == (
        "组织名单与数据库一致，没有变化。"
    )
