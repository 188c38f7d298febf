"""Signing in to /dash, sessions and CSRF, and who may open what."""

from __future__ import annotations

import base64
import json
from typing import Any

from aiohttp.test_utils import TestClient
from yarl import URL

from bot.core.services import Services
from storage.models.org import Person
from tests.support.dash import csrf_of, rows_of, sign_in


async def test_a_page_without_a_session_sends_the_browser_to_sign_in(
    client: TestClient[Any, Any], demo: Services
) -> None:
    answer = await client.get("/dash/registry?platform=wechat", allow_redirects=False)
    assert answer.status == 303
    target = URL(answer.headers["Location"])
    assert target.path == "/dash/login"
    assert target.query["next"] == "/dash/registry?platform=wechat"


async def test_supervisor_signs_in_with_the_demo_picker_and_sees_the_district(
    client: TestClient[Any, Any], demo: Services
) -> None:
    home = await sign_in(client, "zhangzr")
    assert "张主任" in home
    assert "临江区人民政府办公室 · 主管单位工作人员" in home
    registry = await client.get("/dash/registry")
    units = {row[0] for row in rows_of(await registry.text(), "registry")}
    assert units == {
        "临江区人民政府办公室",
        "临江区文化和旅游发展委员会",
        "临江区教育委员会",
        "临江区河西镇人民政府",
    }


async def test_unit_head_sees_only_their_unit_and_is_refused_other_units_and_the_audit_log(
    client: TestClient[Any, Any], demo: Services
) -> None:
    await sign_in(client, "wangzr")
    registry = await client.get("/dash/registry")
    rows = rows_of(await registry.text(), "registry")
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("临江区文化和旅游发展委员会", "临江文旅", "微信"),
        ("临江区文化和旅游发展委员会", "临江文旅", "抖音"),
        ("临江区文化和旅游发展委员会", "临江文旅", "微博"),
    ]
    jw = await client.get("/dash/units")  # not a page at all
    assert jw.status == 404
    other_unit = await client.get("/dash/registry?unit=1")  # 区政府办公室
    assert other_unit.status == 403
    assert "您只能查看本单位的数据" in await other_unit.text()
    assert "临江发布" not in await other_unit.text()
    audit_log = await client.get("/dash/audit")
    assert audit_log.status == 403
    assert "「审计日志」仅主管单位工作人员与系统管理员可查看" in await audit_log.text()


async def test_a_form_without_the_sessions_csrf_token_is_refused(
    client: TestClient[Any, Any], demo: Services
) -> None:
    login = await client.get("/dash/login")
    forged = await client.post("/dash/login/demo", data={"csrf": "x" * 32, "person": "zhangzr"})
    assert forged.status == 400
    assert "页面已过期" in await forged.text()
    missing = await client.post("/dash/login/demo", data={"person": "zhangzr"})
    assert missing.status == 400
    still_out = await client.get("/dash", allow_redirects=False)
    assert still_out.status == 303
    # The real token works: the refusal was about the token, not the person.
    ok = await client.post(
        "/dash/login/demo", data={"csrf": csrf_of(await login.text()), "person": "zhangzr"}
    )
    assert ok.status == 200
    assert str(ok.url.path) == "/dash"


async def test_signing_out_needs_the_token_and_ends_the_session(
    client: TestClient[Any, Any], demo: Services
) -> None:
    home = await sign_in(client, "zhangzr")
    await client.post("/dash/logout", data={"csrf": "forged"})
    assert (await client.get("/dash", allow_redirects=False)).status == 200
    await client.post("/dash/logout", data={"csrf": csrf_of(home)})
    assert (await client.get("/dash", allow_redirects=False)).status == 303


async def test_a_forged_cookie_is_no_session(client: TestClient[Any, Any], demo: Services) -> None:
    await sign_in(client, "wangzr")
    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/dash"))["dutybot_dash"]
    client.session.cookie_jar.clear()
    body, _, mac = cookie.value.partition(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["p"] = (await Person.get(key="zhangzr")).id  # claim to be the supervisor
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")

    async def home_with(value: str) -> int:
        answer = await client.get(
            "/dash", headers={"Cookie": f"dutybot_dash={value}"}, allow_redirects=False
        )
        return answer.status

    assert await home_with(cookie.value) == 200  # the genuine cookie, sent the same way
    assert await home_with(f"{forged}.{mac}") == 303


async def test_the_demo_picker_is_off_outside_the_demo(
    client: TestClient[Any, Any], services: Services, demo_org: None
) -> None:
    login = await client.get("/dash/login")
    html = await login.text()
    assert "演示：选择身份" not in html
    refused = await client.post(
        "/dash/login/demo", data={"csrf": csrf_of(html), "person": "zhangzr"}
    )
    assert refused.status == 404
