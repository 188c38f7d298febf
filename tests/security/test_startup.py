"""Issue 12 item 8: a database that cannot be reached when `serve` / `worker` start is
reported as unreachable (with where), not as a schema that needs `db upgrade`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.org.helpers import run_clean
from tests.support.processes import free_port

pytestmark = pytest.mark.slow  # runs the real dutybot command


@pytest.mark.parametrize("command", ["serve", "worker"])
async def test_unreachable_database_is_reported_as_such(
    tmp_path: Path, redis_url: str, command: str
) -> None:
    port = free_port()  # nothing listens there
    done = await run_clean(
        tmp_path,
        command,
        DUTYBOT_DATABASE_URL=f"postgres://dutybot:db-s3cret@127.0.0.1:{port}/dutybot",
        DUTYBOT_REDIS_URL=redis_url,
        DUTYBOT_HTTP_PORT=str(free_port()),
    )
    assert done.returncode != 0
    assert "db upgrade" not in done.stderr
    assert "无法连接数据库" in done.stderr, done.stderr
    assert f"127.0.0.1:{port}" in done.stderr
    assert "db-s3cret" not in done.stderr + done.stdout


@pytest.mark.parametrize("command", ["serve", "worker"])
async def test_starting_without_redis_says_it_uses_the_embedded_one(
    tmp_path: Path, command: str
) -> None:
    """No DUTYBOT_REDIS_URL: the command says at start that it runs the embedded redis-server
    (as `config check` warns), instead of starting it silently. The unreachable database then
    ends the run, so the test needs no running stack."""
    done = await run_clean(
        tmp_path,
        command,
        DUTYBOT_DATABASE_URL=f"postgres://dutybot@127.0.0.1:{free_port()}/dutybot",
        DUTYBOT_HTTP_PORT=str(free_port()),
    )
    assert "未设置 DUTYBOT_REDIS_URL，使用内嵌 redis-server" in done.stdout + done.stderr, (
        done.stdout + done.stderr
    )
