"""`dutybot db copy`: a SQLite deployment moved into the test database (PostgreSQL in the
PostgreSQL pass) through the real command — every row, the same ids, an intact audit chain,
sequences that go on after the copied ids, and a refusal to copy into a database with data."""

from __future__ import annotations

from pathlib import Path

from tortoise import Tortoise

from bot.org.seed import demo_org_text
from storage import audit
from storage.models.machinery import AuditEntry
from storage.models.org import Person, Unit
from tests.conftest import DEFAULT_NOW
from tests.org.helpers import run_clean


async def test_copy_sqlite_to_the_test_database(db: str, db_url: str, tmp_path: Path) -> None:
    home = tmp_path / "old"
    home.mkdir()
    org = home / "org.yaml"
    org.write_text(demo_org_text(), encoding="utf-8")
    source = f"sqlite://{home / 'dutybot.sqlite3'}"
    assert (await run_clean(home, "db", "upgrade")).returncode == 0
    loaded = await run_clean(home, "org", "load", str(org))
    assert loaded.returncode == 0, loaded.stderr

    copied = await run_clean(tmp_path, "db", "copy", "--from", source, "--to", db_url)
    assert copied.returncode == 0, copied.stderr
    assert "已复制" in copied.stdout

    # The same people under the same ids as in the source.
    assert await Person.filter(key="xiaowang").exists()
    assert await Unit.all().count() == 8
    assert await Person.all().count() == 22
    entries = await AuditEntry.all().count()
    assert entries > 0
    verified = await run_clean(tmp_path, "audit", "verify", DUTYBOT_DATABASE_URL=db_url)
    assert verified.returncode == 0, verified.stdout + verified.stderr

    # New rows continue after the copied ids (PostgreSQL sequences were moved on).
    conn = Tortoise.get_connection("default")
    await audit.record(
        conn,
        actor=audit.Actor.system("测试"),
        action="test.after_copy",
        subject_type="test",
        subject_id=1,
        at=DEFAULT_NOW,
    )
    assert await AuditEntry.all().count() == entries + 1
    verified = await run_clean(tmp_path, "audit", "verify", DUTYBOT_DATABASE_URL=db_url)
    assert verified.returncode == 0, verified.stdout + verified.stderr

    again = await run_clean(tmp_path, "db", "copy", "--from", source, "--to", db_url)
    assert again.returncode == 1
    assert "只能复制到空数据库" in again.stderr
    assert await AuditEntry.all().count() == entries + 1  # nothing written the second time
