"""The examples in docs/org-file.md are real files that load."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.org.apply import apply_org
from bot.org.schema import parse, parse_text
from storage.models.org import Account, Person

DOC = Path(__file__).resolve().parents[2] / "docs" / "org-file.md"


def examples(fmt: str) -> list[str]:
    blocks = re.findall(rf"```{fmt}\n(.*?)```", DOC.read_text("utf-8"), flags=re.S)
    return [b for b in blocks if "units" in b]


@pytest.mark.parametrize("fmt", ["yaml", "toml"])
async def test_documented_example_loads_and_reloads_unchanged(
    db: str, clock: ManualClock, fmt: str
) -> None:
    (text,) = examples(fmt)
    org = parse(parse_text(text, fmt))
    first = await apply_org(org, clock.now())
    assert first.created["unit"] >= 2
    assert (await apply_org(org, clock.now())).describe() == "组织名单与数据库一致，没有变化。"
    xiaoli = await Person.get(key="xiaoli")
    assert xiaoli.phone == "13900001005"
    assert await Account.filter(owner_unit__key="jx-jyj").exists()


async def test_documented_duty_team_loads(db: str, clock: ManualClock) -> None:
    from storage.models.duty import DutyRotation, DutyTeam, ShiftMode

    (text,) = examples("yaml")
    await apply_org(parse(parse_text(text, "yaml")), clock.now())
    team = await DutyTeam.get(key="jx-zb")
    assert team.mode == ShiftMode.FULL
    assert team.day_start == "09:00"
    rotation = await DutyRotation.get(team_id=team.id)
    assert len(rotation.people) == 2
