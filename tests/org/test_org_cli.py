"""`dutybot org load / export` through the real command, against the test database."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from storage.enums import Role
from storage.models.machinery import AuditEntry
from storage.models.org import Account, Chat, ChatMember, Person, PersonRole, Unit
from tests.support.orgfiles import (
    audit_count,
    demo_data,
    dutybot,
    entry,
    person,
    snapshot,
    to_toml,
    write_yaml,
)

pytestmark = pytest.mark.slow


async def _load_demo(db: str, tmp_path: Path) -> Path:
    path = write_yaml(tmp_path / "org.yaml", demo_data())
    result = await dutybot(db, tmp_path, "org", "load", str(path))
    assert result.returncode == 0, result.stderr
    assert "新增：单位 8、人员 22、群聊 11、账号 7、值班组 1；更新：无；停用：无" in result.stdout
    return path


async def test_loading_twice_changes_nothing(db: str, tmp_path: Path) -> None:
    path = await _load_demo(db, tmp_path)
    before, entries = await snapshot(), await audit_count()
    # One "created" entry per row, and the duty team's first roster planned.
    assert entries == 8 + 22 + 11 + 7 + 1 + 1

    again = await dutybot(db, tmp_path, "org", "load", str(path), "-v")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "组织名单与数据库一致，没有变化。"
    assert await snapshot() == before
    assert await audit_count() == entries


async def test_edited_file_applies_exactly_the_differences(db: str, tmp_path: Path) -> None:
    await _load_demo(db, tmp_path)
    data = demo_data()
    person(data, "xiaowang")["roles"] = ["editor", "clerk"]  # role added
    person(data, "laozhou")["roles"] = ["clerk"]  # role removed
    person(data, "xiaoxu")["unit"] = "ljq-jw"  # moved to the bureau itself
    data["people"].remove(person(data, "xiaoma"))  # left: deactivated, not deleted
    entry(data, "duty_teams", "ljq-zx")["rotation"].remove("xiaoma")  # and off the roster
    for chat in data["chats"]:
        chat["members"] = [m for m in chat["members"] if m != "xiaoma"]
    entry(data, "chats", "ljq-wlw-duty")["members"].append("qianfzr")  # member added
    douyin = entry(data, "accounts", "ljq-wlw-douyin")
    douyin["operators"] = [{"name": "小王", "phone": "13900000035"}]  # account field changed
    seq_before = await AuditEntry.all().order_by("-seq").first()
    assert seq_before is not None

    result = await dutybot(
        db, tmp_path, "org", "load", str(write_yaml(tmp_path / "edited.yaml", data)), "-v"
    )

    assert result.returncode == 0, result.stderr
    first_line = result.stdout.splitlines()[0]
    assert first_line == "新增：无；更新：人员 3、群聊 3、账号 1、值班组 1；停用：人员 1"
    new_entries = await AuditEntry.filter(seq__gt=seq_before.seq).order_by("seq")
    changes = {(e.action, e.subject_id): e.detail for e in new_entries}
    assert set(changes) == {
        ("person.roles_changed", "xiaowang"),
        ("person.roles_changed", "laozhou"),
        ("person.updated", "xiaoxu"),
        ("chat.members_changed", "ljq-zx-duty"),
        ("chat.members_changed", "ljq-zx-review"),
        ("chat.members_changed", "ljq-wlw-duty"),
        ("account.updated", "ljq-wlw-douyin"),
        ("person.deactivated", "xiaoma"),
        ("duty_team.rotation_changed", "ljq-zx"),
        ("duty.roster_planned", "1"),  # the shifts from now on follow the new rotation
    }
    assert changes[("duty_team.rotation_changed", "ljq-zx")] == {
        "from": ["xiaochen", "laoliu", "xiaoma"],
        "to": ["xiaochen", "laoliu"],
        "effective_from": seq_before.at.astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat(),
    }
    assert changes[("person.roles_changed", "xiaowang")] == {"added": ["clerk"], "removed": []}
    assert changes[("person.roles_changed", "laozhou")] == {"added": [], "removed": ["editor"]}
    assert changes[("person.updated", "xiaoxu")] == {"unit": {"from": "ljq-jw-bgs", "to": "ljq-jw"}}
    assert changes[("chat.members_changed", "ljq-wlw-duty")] == {
        "added": ["qianfzr"],
        "removed": [],
    }
    assert changes[("account.updated", "ljq-wlw-douyin")] == {
        "operators": {
            "from": [{"name": "老周", "phone": "13900000036"}],
            "to": [{"name": "小王", "phone": "13900000035"}],
        }
    }

    xiaowang = await Person.get(key="xiaowang")
    roles = await PersonRole.filter(person_id=xiaowang.id).values_list("role", flat=True)
    assert {Role(str(r)) for r in roles} == {Role.EDITOR, Role.CLERK}
    xiaoxu = await Person.get(key="xiaoxu")
    assert xiaoxu.unit_id == (await Unit.get(key="ljq-jw")).id
    xiaoma = await Person.get(key="xiaoma")  # still there, for the record
    assert not xiaoma.active
    assert not await ChatMember.filter(person_id=xiaoma.id).exists()
    duty = await Chat.get(key="ljq-wlw-duty")
    qian = await Person.get(key="qianfzr")
    assert await ChatMember.filter(chat_id=duty.id, person_id=qian.id).exists()
    douyin_row = await Account.get(key="ljq-wlw-douyin")
    assert douyin_row.operators == [{"name": "小王", "phone": "13900000035"}]

    # The edited file is now the truth: loading it again changes nothing.
    entries = await audit_count()
    again = await dutybot(db, tmp_path, "org", "load", str(tmp_path / "edited.yaml"))
    assert again.stdout.strip() == "组织名单与数据库一致，没有变化。"
    assert await audit_count() == entries


async def test_toml_version_of_the_same_org_loads_identically(db: str, tmp_path: Path) -> None:
    toml_path = tmp_path / "org.toml"
    toml_path.write_text(to_toml(demo_data()), encoding="utf-8")
    first = await dutybot(db, tmp_path, "org", "load", str(toml_path))
    assert first.returncode == 0, first.stderr
    assert "新增：单位 8、人员 22、群聊 11、账号 7" in first.stdout
    entries = await audit_count()

    yaml_path = write_yaml(tmp_path / "org.yaml", demo_data())
    same = await dutybot(db, tmp_path, "org", "load", str(yaml_path))
    assert same.stdout.strip() == "组织名单与数据库一致，没有变化。"
    assert await audit_count() == entries


async def test_export_then_load_changes_nothing(db: str, tmp_path: Path) -> None:
    await _load_demo(db, tmp_path)
    # Make the database more than a fresh load: the town leaves the file (its account stays,
    # its people and chats are deactivated), someone leaves but stays listed as inactive.
    data = demo_data()
    data["units"] = [u for u in data["units"] if u["key"] != "ljq-hxz"]
    data["people"] = [p for p in data["people"] if p["unit"] != "ljq-hxz"]
    data["chats"] = [c for c in data["chats"] if c.get("unit") != "ljq-hxz"]
    data["accounts"] = [a for a in data["accounts"] if a["owner_unit"] != "ljq-hxz"]
    person(data, "laoliu")["active"] = False
    team = entry(data, "duty_teams", "ljq-zx")
    team["scope"].remove("ljq-hxz")
    team["rotation"].remove("laoliu")
    edited = await dutybot(
        db, tmp_path, "org", "load", str(write_yaml(tmp_path / "edited.yaml", data))
    )
    assert edited.returncode == 0, edited.stderr
    assert "停用：单位 1、人员 3、群聊 2" in edited.stdout
    assert await Account.filter(key="ljq-hxz-wechat").exists()  # accounts are left alone

    for extra in ([], ["--include-inactive"]):
        out = tmp_path / f"export{len(extra)}.yaml"
        exported = await dutybot(db, tmp_path, "org", "export", str(out), *extra)
        assert exported.returncode == 0, exported.stderr
        text = out.read_text("utf-8")
        assert text.startswith("# dutybot 组织名单")
        before, entries = await snapshot(), await audit_count()
        loaded = await dutybot(db, tmp_path, "org", "load", str(out))
        assert loaded.returncode == 0, loaded.stderr
        assert loaded.stdout.strip() == "组织名单与数据库一致，没有变化。"
        assert await snapshot() == before
        assert await audit_count() == entries


async def test_export_to_stdout(db: str, tmp_path: Path) -> None:
    await _load_demo(db, tmp_path)
    result = await dutybot(db, tmp_path, "org", "export")
    assert result.returncode == 0
    assert "key: ljq-wlw-douyin" in result.stdout
    assert "name: 临江区文化和旅游发展委员会" in result.stdout


def _break(data: dict[str, Any], case: str) -> None:
    if case == "bad_phone":
        person(data, "xiaowang")["phone"] = "1390000003"
    elif case == "unknown_role":
        person(data, "xiaowang")["roles"] = ["editor", "写手"]
    elif case == "unknown_unit":
        person(data, "xiaowang")["unit"] = "ljq-nope"
    elif case == "duplicate_key":
        data["people"].append({"key": "xiaowang", "name": "另一个小王", "unit": "ljq-wlw"})
    elif case == "internal_office_subject":
        entry(data, "accounts", "ljq-wlw-weibo")["owner_unit"] = "ljq-wlw-xck"
    elif case == "parent_cycle":
        entry(data, "units", "ljq-zfb")["parent"] = "ljq-xmtzx"
    elif case == "unknown_field":
        person(data, "zhangzr")["phon"] = "13900000001"
    else:
        raise AssertionError(case)


BROKEN = {
    "bad_phone": r"people\[14\]（小王，第 \d+ 行）\.phone：电话号码“1390000003”格式不正确",
    "unknown_role": (
        r"people\[14\]（小王，第 \d+ 行）\.roles\[2\]：不认识“写手”，可选：clerk（备案经办人）"
    ),
    "unknown_unit": r"people\[14\]（小王，第 \d+ 行）\.unit：找不到单位 ljq-nope",
    "duplicate_key": r"people\[23\]（另一个小王，第 \d+ 行）\.key：“xiaowang”与 people\[14\] 重复",
    "internal_office_subject": (
        r"accounts\[5\]（临江文旅·微博，第 \d+ 行）\.owner_unit："
        r"内设科室不能作为政务新媒体的责任主体"
    ),
    "parent_cycle": (
        r"units\[1\]（临江区人民政府办公室，第 \d+ 行）\.parent："
        r"上下级关系形成了循环（ljq-zfb → ljq-xmtzx → ljq-zfb）"
    ),
    "unknown_field": r"people\[1\]（张主任，第 \d+ 行）\.phon：不认识的字段",
}


@pytest.mark.parametrize("case", sorted(BROKEN))
async def test_broken_file_is_refused_as_a_whole(db: str, tmp_path: Path, case: str) -> None:
    await _load_demo(db, tmp_path)
    data = demo_data()
    # A valid change alongside the broken one: it must not be applied either.
    person(data, "laozhou")["title"] = "宣传科副科长"
    _break(data, case)
    before, entries = await snapshot(), await audit_count()

    result = await dutybot(
        db, tmp_path, "org", "load", str(write_yaml(tmp_path / "broken.yaml", data))
    )

    assert result.returncode == 2
    assert "整份文件未导入（没有写入任何数据）" in result.stderr
    assert re.search(BROKEN[case], result.stderr), result.stderr
    assert await snapshot() == before
    assert await audit_count() == entries


async def test_every_problem_is_listed_in_one_go(db: str, tmp_path: Path) -> None:
    data = demo_data()
    cases = ["bad_phone", "internal_office_subject", "parent_cycle", "unknown_field"]
    for case in cases:
        _break(data, case)
    person(data, "laozhou")["unit"] = "ljq-gone"
    result = await dutybot(
        db, tmp_path, "org", "load", str(write_yaml(tmp_path / "broken.yaml", data))
    )
    assert result.returncode == 2
    # Both units on the loop report it.
    assert "组织名单有 6 处问题" in result.stderr, result.stderr
    for case in cases:
        assert re.search(BROKEN[case], result.stderr), case
    assert re.search(r"people\[15\]（老周，第 \d+ 行）\.unit：找不到单位 ljq-gone", result.stderr)
    assert await Unit.all().count() == 0
    assert await audit_count() == 0


async def test_yaml_syntax_error_and_repeated_key_are_refused(db: str, tmp_path: Path) -> None:
    await _load_demo(db, tmp_path)
    before, entries = await snapshot(), await audit_count()
    syntax = tmp_path / "syntax.yaml"
    syntax.write_text(
        "units:\n  - key: ljq-zfb\n    name: [临江区人民政府办公室\npeople: []\n", encoding="utf-8"
    )
    repeated = tmp_path / "repeated.yaml"
    repeated.write_text(
        "units:\n"
        "  - key: ljq-zfb\n"
        "    name: 临江区人民政府办公室\n"
        "    kind: government\n"
        "    name: 临江区政府办\n",
        encoding="utf-8",
    )

    bad_syntax = await dutybot(db, tmp_path, "org", "load", str(syntax))
    bad_repeat = await dutybot(db, tmp_path, "org", "load", str(repeated))

    assert bad_syntax.returncode == 2
    assert re.search(r"YAML 格式错误（第 \d 行）", bad_syntax.stderr), bad_syntax.stderr
    assert bad_repeat.returncode == 2
    assert (
        "units[1]（临江区政府办，第 2 行）.name：重复写了两次（第 3 行和第 5 行），请删去一处"
        in bad_repeat.stderr
    )
    assert await snapshot() == before
    assert await audit_count() == entries


async def test_dry_run_writes_nothing(db: str, tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "org.yaml", demo_data())
    result = await dutybot(db, tmp_path, "org", "load", str(path), "--dry-run")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("（试运行，未写入）新增：单位 8、人员 22、群聊 11、账号 7")
    assert await Unit.all().count() == 0
    assert await audit_count() == 0
