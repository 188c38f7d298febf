"""POST /api/rectifications: a monitoring system issues a notice with its own bearer token; bad
tokens and malformed requests get a clear error and store nothing. The token comes from the
real ``dutybot rectification token create`` command."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from bot.core.services import Services
from storage.models.machinery import AuditEntry
from storage.models.rectification import Rectification, SourceToken
from tests.support.chat import ChatHarness, card_of
from tests.support.dates import at
from tests.support.orgfiles import dutybot
from tests.support.policy import use_policy

pytestmark = pytest.mark.slow

NOTICE = {
    "account": "ljq-wlw-wechat",
    "problem": "首页“旅游攻略”栏目链接返回 404",
    "evidence": "https://monitor.example/checks/8812",
    "category": "broken_link",
    "severity": "serious",
    "external_id": "check-8812",
}


async def new_token(db_url: str, tmp_path: Path, source: str, *extra: str) -> str:
    done = await dutybot(db_url, tmp_path, "rectification", "token", "create", source, *extra)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert "只显示这一次" in lines[0]
    return lines[1].strip()


async def post(h: ChatHarness, body: Any, token: str | None, raw: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if raw is not None:
        resp = await h.client.post("/api/rectifications", data=raw, headers=headers)
    else:
        resp = await h.client.post("/api/rectifications", json=body, headers=headers)
    data = await resp.json()
    return resp.status, data


async def test_monitoring_system_issues_a_notice(
    harness: ChatHarness, db_url: str, tmp_path: Path
) -> None:
    harness.ignore("likz", "laozhou", "group:ljq-wlw-duty")  # the copies besides 小王's
    token = await new_token(db_url, tmp_path, "web-monitor")
    stored = await SourceToken.get(source="web-monitor")
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in stored.token_hash

    status, data = await post(harness, NOTICE, token)
    assert status == 201, data
    assert data["ok"]
    assert data["number"] == "ZG2026-0001"
    # A serious problem at 10:00 on a working day: 30 minutes, under the rule the default
    # preset borrows (kunming's 第十五条), as the answer, the record and the card all say.
    assert data["due_at"] == "2026-10-09T10:30:00+08:00"
    assert data["explanation"] == (
        "依据系统默认规则（参照《昆明市党政群网站及新媒体管理办法》第十五条）："
        "工作时间内严重问题30分钟内完成整改，截止 10月9日 10:30"
    )
    rect = await Rectification.get(id=data["id"])
    assert rect.source == "api:web-monitor"
    assert rect.issued_by_id is None
    assert rect.due_at == at(2026, 10, 9, 10, 30)
    assert rect.rule_id == "rectification.serious"
    await harness.drain()
    card = card_of(await harness.new_messages("xiaowang"), "整改通知 ZG2026-0001")
    assert "404" in card.to_text()
    assert "剩余30分钟" in card.to_text()
    assert "第十五条" in card.to_text()
    entry = await AuditEntry.get(action="rectification.issued")
    assert entry.actor_label == "监测系统：web-monitor"

    # The same check posted again (a retry) does not issue a second notice.
    status, again = await post(harness, NOTICE, token)
    assert status == 200
    assert again["duplicate"]
    assert again["id"] == data["id"]
    assert await Rectification.all().count() == 1


@pytest.mark.parametrize(
    ("body", "raw", "status", "words"),
    [
        (None, "{not json", 400, "不是有效的 JSON"),
        ([1, 2], None, 400, "JSON 对象"),
        ({**NOTICE, "problem": ""}, None, 400, "problem"),
        ({**NOTICE, "account": "no-such"}, None, 400, "台账中没有账号"),
        ({**NOTICE, "category": "typo"}, None, 400, "category"),
        ({**NOTICE, "severity": "urgent"}, None, 400, "severity"),
        ({**NOTICE, "account": None}, None, 400, "owner_unit"),
        ({**NOTICE, "problem": 12}, None, 400, "字符串"),
    ],
)
async def test_malformed_requests_store_nothing(
    harness: ChatHarness,
    db_url: str,
    tmp_path: Path,
    body: Any,
    raw: str | None,
    status: int,
    words: str,
) -> None:
    token = await new_token(db_url, tmp_path, "web-monitor")
    got, data = await post(harness, body, token, raw)
    assert got == status, data
    assert not data["ok"]
    assert words in data["error"], data
    assert await Rectification.all().count() == 0


async def test_bad_tokens_are_refused(harness: ChatHarness, db_url: str, tmp_path: Path) -> None:
    token = await new_token(db_url, tmp_path, "web-monitor")
    for candidate in (None, "zg_wrong", token + "x"):
        status, data = await post(harness, NOTICE, candidate)
        assert status == 401
        assert "令牌无效" in data["error"]
    # A second create refuses; --replace rotates and the old token stops working.
    done = await dutybot(db_url, tmp_path, "rectification", "token", "create", "web-monitor")
    assert done.returncode != 0
    assert "--replace" in done.stderr
    fresh = await new_token(db_url, tmp_path, "web-monitor", "--replace")
    assert (await post(harness, NOTICE, token))[0] == 401
    revoked = await dutybot(db_url, tmp_path, "rectification", "token", "revoke", "web-monitor")
    assert revoked.returncode == 0
    assert (await post(harness, NOTICE, fresh))[0] == 401
    assert await Rectification.all().count() == 0


async def test_a_netizen_report_counts_from_when_it_was_received(
    harness: ChatHarness, db_url: str, tmp_path: Path, services: Services
) -> None:
    use_policy(services, "beibei", calendar_file=tmp_path / "calendar.toml")
    harness.clock.set(at(2026, 10, 8, 10, 0))  # the first working day after National Day
    token = await new_token(db_url, tmp_path, "web-monitor")
    report = {
        "account": "ljq-wlw-wechat",
        "problem": "网民留言指出：推文中区长姓名有误",
        "category": "netizen_report",
        "received_at": "2026-09-29T10:00:00+08:00",
    }
    status, data = await post(harness, report, token)
    assert status == 201, data
    # Two working days from 29 September: 30 September and 8 October.
    assert data["due_at"] == "2026-10-08T18:00:00+08:00"
    assert "第五章" in data["explanation"]
    # Forwarding had one working day (30 September): this forward is late, and says so.
    assert data["forward_late"].startswith("转办已超时")

    status, data = await post(
        harness, {**report, "received_at": "2026-10-09T10:00:00+08:00"}, token
    )
    assert status == 422
    assert "不能晚于现在" in data["error"]
    status, data = await post(harness, {**report, "received_at": "昨天"}, token)
    assert status == 400
    assert data["field"] == "received_at"
    assert await Rectification.all().count() == 1
