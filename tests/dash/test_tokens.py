"""Operators' tokens: made by the real ``dutybot dash token create``, signed in with on
/dash/login, read-only over the whole district, refused once revoked."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.core.services import Services
from storage.models.dash import DashToken
from storage.models.machinery import AuditEntry
from tests.support.dash import csrf_of, rows_of
from tests.support.orgfiles import dutybot

pytestmark = pytest.mark.slow


async def _sign_in_with(client: TestClient[Any, Any], token: str) -> Any:
    login = await client.get("/dash/login")
    return await client.post(
        "/dash/login/token", data={"csrf": csrf_of(await login.text()), "token": token}
    )


async def test_operator_token_signs_in_sees_the_district_and_stops_working_when_revoked(
    client: TestClient[Any, Any], services: Services, demo_org: None, db_url: str, tmp_path: Path
) -> None:
    made = await dutybot(db_url, tmp_path, "dash", "token", "create", "运维-老何")
    assert made.returncode == 0, made.stderr
    lines = made.stdout.strip().splitlines()
    assert lines[0] == "看板令牌“运维-老何”（只显示这一次，请妥善保存）："
    token = lines[1].strip()
    stored = await DashToken.get(name="运维-老何")
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()

    wrong = await _sign_in_with(client, token + "x")
    assert wrong.status == 403
    assert "令牌无效或已吊销" in await wrong.text()

    home = await _sign_in_with(client, token)
    assert home.status == 200
    assert "运维令牌 · 全区只读" in await home.text()
    registry = await client.get("/dash/registry")
    assert len(rows_of(await registry.text(), "registry")) == 7
    assert (await client.get("/dash/audit")).status == 200
    entry = await AuditEntry.filter(action="dash.signed_in").order_by("-seq").first()
    assert entry is not None
    assert (entry.actor_label, entry.subject_id) == ("运维令牌：运维-老何", "token:运维-老何")

    revoked = await dutybot(db_url, tmp_path, "dash", "token", "revoke", "运维-老何")
    assert revoked.returncode == 0, revoked.stderr
    assert (await client.get("/dash/registry", allow_redirects=False)).status == 303
    listed = await dutybot(db_url, tmp_path, "dash", "token", "list")
    assert "运维-老何" in listed.stdout
    assert "已吊销" in listed.stdout
