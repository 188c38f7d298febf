"""Using /dash as a browser would, over HTTP: the sign-in page's CSRF token, the demo picker,
operators' tokens, pages and exports (the aiohttp test client keeps the session cookie)."""

from __future__ import annotations

import io
import re
from typing import Any

from aiohttp.test_utils import TestClient
from openpyxl import load_workbook

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found is not None, "the page has no CSRF field"
    return found.group(1)


async def sign_in(client: TestClient[Any, Any], person: str) -> str:
    """Sign in through the demo picker as the person (org key); returns the home page HTML."""
    login = await client.get("/dash/login")
    assert login.status == 200
    answer = await client.post(
        "/dash/login/demo",
        data={"csrf": csrf_of(await login.text()), "person": person, "next": "/dash"},
    )
    assert answer.status == 200, await answer.text()
    assert str(answer.url.path) == "/dash"
    return await answer.text()


def rows_of(html: str, table: str) -> list[list[str]]:
    """The visible cells of a list table, as text."""
    start = html.index(f'id="list-{table}"')
    body = html[start : html.index("</table>", start)]
    rows = []
    for tr in re.findall(r"<tbody>(.*)</tbody>", body, re.S)[0].split("</tr>"):
        cells = [
            re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)
        ]
        if cells:
            rows.append(cells)
    return rows


def sheet_rows(data: bytes) -> list[list[Any]]:
    book = load_workbook(io.BytesIO(data), read_only=True)
    rows = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    book.close()
    return rows
