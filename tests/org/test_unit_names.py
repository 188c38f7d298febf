"""Units' aliases and former names (for the pre-review 纠错): loaded, audited, exported, checked."""

from __future__ import annotations

from typing import Any

import pytest

from bot.clock import ManualClock
from bot.org.apply import apply_org
from bot.org.export import export_org
from bot.org.schema import OrgError, parse
from storage.models.machinery import AuditEntry
from storage.models.org import Unit


def org(**edu: Any) -> dict[str, Any]:
    return {
        "units": [
            {"key": "gov", "name": "某县人民政府办公室"},
            {"key": "edu", "name": "某县教育局", "supervisor": "gov", **edu},
        ]
    }


async def test_aliases_and_former_names_load_reload_unchanged_and_export(
    db: str, clock: ManualClock
) -> None:
    data = org(aliases="县教育局、教育局", former_names=["某县教育和体育局"])
    await apply_org(parse(data), clock.now())
    unit = await Unit.get(key="edu")
    assert (unit.aliases, unit.former_names) == (["县教育局", "教育局"], ["某县教育和体育局"])
    again = await apply_org(parse(data), clock.now())
    assert again.describe() == "组织名单与数据库一致，没有变化。"
    exported = await export_org()
    (edu,) = [u for u in exported["units"] if u["key"] == "edu"]
    assert edu["aliases"] == ["县教育局", "教育局"]
    assert edu["former_names"] == ["某县教育和体育局"]
    assert "aliases" not in next(u for u in exported["units"] if u["key"] == "gov")

    # A renaming: the old name becomes a former name, audited as a change.
    renamed = org(former_names=["某县教育和体育局", "某县教育局"])
    renamed["units"][1]["name"] = "某县教育委员会"
    summary = await apply_org(parse(renamed), clock.now())
    assert "~ 单位 edu：name、aliases、former_names" in summary.lines
    entry = await AuditEntry.filter(action="unit.updated").order_by("-id").first()
    assert entry is not None
    assert entry.detail["former_names"]["to"] == ["某县教育和体育局", "某县教育局"]


@pytest.mark.parametrize(
    ("edu", "problem"),
    [
        ({"aliases": ["教育局"], "former_names": ["教育局"]}, "“教育局”同时写在 aliases 中"),
        ({"former_names": ["某县人民政府办公室"]}, "“某县人民政府办公室”是在用单位的名称"),
        ({"aliases": {"a": 1}}, "请写成名称列表"),
    ],
)
def test_conflicting_names_are_refused_naming_the_unit(edu: dict[str, Any], problem: str) -> None:
    with pytest.raises(OrgError) as refused:
        parse(org(**edu))
    assert any("units[2]（某县教育局）" in p and problem in p for p in refused.value.problems), (
        refused.value.problems
    )
