"""People loaded together (escalations name everyone an alert reached in a few queries)."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from bot.core.directory import load_member, load_members, names_of
from storage.enums import Role
from storage.models.org import Person


async def test_load_members_keeps_the_order_asked_and_skips_unknown_ids(demo_org: None) -> None:
    keys = ("tangzr", "xiaochen", "fengzz")
    ids = [(await Person.get(key=k)).id for k in keys]
    members = await load_members([ids[0], 999_999, ids[1], ids[2], ids[0]])
    assert [m.person.key for m in members] == list(keys)  # asked twice, given once
    for member in members:
        single = await load_member(member.id)
        assert single is not None
        assert (member.unit.id, member.roles) == (single.unit.id, single.roles)
    tang = members[0]
    assert tang.has(Role.PRINCIPAL)
    assert tang.has(Role.DUTY_LEAD)
    assert await load_members([]) == []


async def test_names_of_reads_names_in_one_go(demo_org: None) -> None:
    chen = await Person.get(key="xiaochen")
    feng = await Person.get(key="fengzz")
    async with in_transaction() as conn:
        assert await names_of([chen.id, feng.id, 999_999], conn) == {
            chen.id: "小陈",
            feng.id: "冯组长",
        }
    assert await names_of([]) == {}
