"""`dutybot doctor` through the real command: it tells the truth about the worker, the outbox
(backlog and given-up messages), the platform credentials and the calendar's coming year."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from tortoise.transactions import in_transaction

from bot import heartbeat
from bot.cards.model import Button, Card
from bot.cli.doctor_cmd import Level, Report, check_calendar
from bot.clock import SystemClock
from bot.config import Settings
from bot.core.emit import Emitter
from bot.core.outgoing import Message
from bot.core.services import Services
from storage.enums import OutboxStatus
from storage.models.machinery import OutboxMessage
from storage.models.org import Person
from tests.conftest import SHANGHAI
from tests.fakes.wecom_server import FakeWeCom
from tests.org.helpers import run_clean
from tests.support.wecom import AGENT_ID, CORP_ID, SECRET


async def _row(services: Services, text: str, created: datetime) -> int:
    person = await Person.get(key="xiaowang")
    async with in_transaction() as conn:
        emitter = Emitter(services, conn, key_prefix=f"doctor:{text}", now=created)
        await emitter.to_person(person.id, Message(text=text))
    (row_id,) = emitter.outbox_ids
    return row_id


async def test_doctor_reports_worker_backlog_and_given_up_messages(
    services: Services, demo_org: None, db_url: str, redis_url: str, tmp_path: Path
) -> None:
    env = {"DUTYBOT_DATABASE_URL": db_url, "DUTYBOT_REDIS_URL": redis_url, "DUTYBOT_CONSOLE": "1"}
    wall = SystemClock(SHANGHAI)  # the command reads the wall clock, as in production

    done = await run_clean(tmp_path, "doctor", "--offline", **env)
    assert done.returncode == 1
    assert "没有在运行的 worker" in done.stdout
    assert "✔ 数据库" in done.stdout
    assert "Redis" in done.stdout

    beat = heartbeat.Beat(heartbeat.new_worker_id(), wall.now())
    await heartbeat.write(beat, wall.now())
    stuck = await _row(services, "十分钟前就该发出的消息", wall.now() - timedelta(minutes=10))
    gone = await _row(services, "再也发不出去的消息", wall.now() - timedelta(days=2))
    await OutboxMessage.filter(id=gone).update(
        status=OutboxStatus.FAILED, last_error="用户不存在", given_up_at=wall.now()
    )
    done = await run_clean(tmp_path, "doctor", "--offline", **env)
    assert done.returncode == 1
    assert "✔ worker" in done.stdout
    assert "1 个在运行" in done.stdout
    assert "✘ 待发消息" in done.stdout
    assert "最早的写入于 10 分钟前" in done.stdout
    assert f"#{gone}" in done.stdout
    assert "再也发不出去的消息" in done.stdout
    assert "用户不存在" in done.stdout

    # Redis cut off: the worker says so in its heartbeat, and doctor passes it on.
    beat.redis_ok, beat.note = False, "Redis 不可达：ConnectionError"
    await heartbeat.write(beat, wall.now())
    await OutboxMessage.filter(id__in=[stuck, gone]).update(status=OutboxStatus.SENT)
    done = await run_clean(tmp_path, "doctor", "--offline", **env)
    assert done.returncode == 1
    assert "连不上 Redis" in done.stdout

    beat.redis_ok, beat.note = True, ""
    await heartbeat.write(beat, wall.now())
    done = await run_clean(tmp_path, "doctor", "--offline", **env)
    assert "✔ 待发消息" in done.stdout
    assert "✔ 已放弃的消息" in done.stdout
    assert "✔ worker" in done.stdout


async def test_doctor_checks_platform_credentials(db: str, db_url: str, tmp_path: Path) -> None:
    fake_wecom = FakeWeCom(corp_id=CORP_ID, secret=SECRET, agent_id=AGENT_ID)
    await fake_wecom.start()
    env = {
        "DUTYBOT_DATABASE_URL": db_url,
        "DUTYBOT_WECOM_CORP_ID": CORP_ID,
        "DUTYBOT_WECOM_AGENT_ID": str(AGENT_ID),
        "DUTYBOT_WECOM_TOKEN": "CallbackToken0123",
        "DUTYBOT_WECOM_AES_KEY": "a" * 43,
        "DUTYBOT_WECOM_API_BASE": fake_wecom.url,
    }
    good = await run_clean(tmp_path, "doctor", DUTYBOT_WECOM_SECRET=SECRET, **env)
    assert "✔ 企业微信" in good.stdout, good.stdout + good.stderr
    bad = await run_clean(tmp_path, "doctor", DUTYBOT_WECOM_SECRET="wrong", **env)
    await fake_wecom.stop()
    assert "✘ 企业微信" in bad.stdout
    assert bad.returncode == 1


def test_calendar_coverage_of_the_coming_year(settings: Settings, tmp_path: Path) -> None:
    settings = settings.model_copy(update={"calendar_file": tmp_path / "calendar.toml"})

    def levels(now: datetime) -> list[tuple[Level, str]]:
        report = Report()
        check_calendar(settings, now, report)
        return [(f.level, f.text) for f in report.findings]

    (june,) = levels(datetime(2026, 6, 1, tzinfo=SHANGHAI))
    assert june[0] is Level.OK  # 2027 missing, but half a year away
    (october,) = levels(datetime(2026, 10, 9, tzinfo=SHANGHAI))
    assert october[0] is Level.WARN
    assert "2027 年还没有录入" in october[1]
    (march,) = levels(datetime(2027, 3, 1, tzinfo=SHANGHAI))
    assert march[0] is Level.FAIL
    assert "2027 年的节假日安排没有录入" in march[1]

    (tmp_path / "calendar.toml").write_text(
        '[2027]\nholidays = [{ name = "元旦", date = "2027-01-01" }]\nworkdays = []\n',
        encoding="utf-8",
    )
    (covered,) = levels(datetime(2027, 3, 1, tzinfo=SHANGHAI))
    assert covered[0] is Level.OK, covered


async def test_a_failing_platform_shows_before_the_backlog_is_late(
    services: Services, demo_org: None, db_url: str, redis_url: str, tmp_path: Path
) -> None:
    """Found in the operator walkthrough: in the first five minutes of a platform outage
    doctor said "没有积压" and `outbox list` showed a card update as a bare "卡片："."""
    env = {"DUTYBOT_DATABASE_URL": db_url, "DUTYBOT_REDIS_URL": redis_url, "DUTYBOT_CONSOLE": "1"}
    wall = SystemClock(SHANGHAI)
    await heartbeat.write(heartbeat.Beat(heartbeat.new_worker_id(), wall.now()), wall.now())
    person = await Person.get(key="xiaowang")
    card = Card(title="请审批：开设备案 #1", buttons=(Button(label="同意", action="help.run"),))
    async with in_transaction() as conn:
        emitter = Emitter(services, conn, key_prefix="doctor:outage", now=wall.now())
        stored = await emitter.new_card(card, kind="test", allowed_person_ids=[person.id])
        await emitter.to_person(person.id, Message(card=stored))
        await emitter.update_card(stored.card_id or "", card.closed("已同意"))
    await OutboxMessage.all().update(
        failing_since=wall.now(),
        attempts=3,
        last_error="访问企业微信接口失败：ClientConnectorError",
    )

    done = await run_clean(tmp_path, "doctor", "--offline", **env)
    assert "! 待发消息" in done.stdout
    assert "2 条排队中，2 条正在重试" in done.stdout
    assert "ClientConnectorError" in done.stdout

    listed = await run_clean(tmp_path, "outbox", "list", **env)
    assert "卡片：请审批：开设备案 #1" in listed.stdout
    assert "卡片更新：请审批：开设备案 #1" in listed.stdout

    await OutboxMessage.all().update(status=OutboxStatus.SENT, failing_since=None)
    done = await run_clean(tmp_path, "doctor", "--offline", **env)
    assert "✔ 待发消息" in done.stdout
