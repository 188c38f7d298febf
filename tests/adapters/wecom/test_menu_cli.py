"""``dutybot wecom menu push`` against the fake WeCom API, as an admin runs it."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from bot.adapters.wecom.menu import MENU_ITEMS, app_menu
from tests.fakes.wecom_server import FakeWeCom
from tests.support.wecom import AGENT_ID, CORP_ID, SECRET

ROOT = Path(__file__).resolve().parents[3]


async def dutybot(tmp_path: Path, env: dict[str, str], *args: str) -> tuple[int, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DUTYBOT_")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=tmp_path,
        env={**clean, "PYTHONPATH": str(ROOT), "DUTYBOT_HOME": str(tmp_path), **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode()


def app_env(fake: FakeWeCom, secret: str = SECRET) -> dict[str, str]:
    return {
        "DUTYBOT_WECOM_CORP_ID": CORP_ID,
        "DUTYBOT_WECOM_AGENT_ID": str(AGENT_ID),
        "DUTYBOT_WECOM_SECRET": secret,
        "DUTYBOT_WECOM_API_BASE": fake.url,
    }


async def test_menu_push_installs_the_five_entries(fake_wecom: FakeWeCom, tmp_path: Path) -> None:
    code, out = await dutybot(tmp_path, app_env(fake_wecom), "wecom", "menu", "push")
    assert code == 0, out
    assert fake_wecom.menu == app_menu()
    (call,) = fake_wecom.calls_to("menu/create")
    assert call.query["agentid"] == str(AGENT_ID)
    labels = [b["name"] for b in fake_wecom.menu["button"]]
    subs = [s["name"] for s in fake_wecom.menu["button"][0]["sub_button"]]
    assert sorted([*labels[1:], *subs]) == sorted(MENU_ITEMS)
    assert "已安装企业微信应用菜单" in out
    # Every entry leads to a command now (值班 since the duty roster): no warning.
    assert "值班（duty）" not in out
    assert "备案（filing）" not in out
    assert "送审（review）" not in out
    assert "帮助（help）" not in out


async def test_menu_push_explains_a_wrong_secret(fake_wecom: FakeWeCom, tmp_path: Path) -> None:
    code, out = await dutybot(tmp_path, app_env(fake_wecom, "wrong"), "wecom", "menu", "push")
    assert code == 1
    assert "安装菜单失败" in out
    assert "40001" in out
    assert fake_wecom.menu is None


async def test_menu_push_names_missing_settings(tmp_path: Path) -> None:
    code, out = await dutybot(tmp_path, {}, "wecom", "menu", "push")
    assert code == 1
    assert "DUTYBOT_WECOM_CORP_ID" in out
