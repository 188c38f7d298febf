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
