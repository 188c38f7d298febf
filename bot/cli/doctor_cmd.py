"""dutybot doctor: is this deployment healthy, and if not, what to do — one line per check."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import click
from tortoise.exceptions import DBConnectionError

from bot import heartbeat, outbox
from bot.cli.base import main, settings_of
from bot.clock import OffsetClock
from bot.config import Settings
from bot.policy.runtime import TimeConfigError, TimeKeeping
from bot.system_state import load_demo_offset
from bot.timekeeping.calendar import YearSource
from storage.db import close_db, init_db, pending_migrations
from storage.enums import InboundStatus, OutboxStatus
from storage.models.machinery import InboundEvent, OutboxMessage

# A backlog older than this means delivery is stuck (the sweeper runs every 5 s).
BACKLOG_LATE = timedelta(minutes=5)
# Tell about next year's missing calendar this long before it starts (from October).
CALENDAR_AHEAD = timedelta(days=92)
PROBE_TIMEOUT = 10.0


class Level(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


MARKS = {Level.OK: "✔", Level.WARN: "!", Level.FAIL: "✘"}


@dataclass
class Finding:
    level: Level
    topic: str
    text: str


class Report:
    def __init__(self) -> None:
        self.findings: list[Finding] = []

    def add(self, level: Level, topic: str, text: str) -> None:
        self.findings.append(Finding(level, topic, text))

    @property
    def failed(self) -> bool:
        return any(f.level is Level.FAIL for f in self.findings)


def _ago(now: datetime, then: datetime) -> str:
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 120:
        return f"{seconds} 秒前"
    if seconds < 7200:
        return f"{seconds // 60} 分钟前"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} 小时前"
    return f"{seconds // 86400} 天前"


def check_config(settings: Settings, report: Report) -> None:
    channels = [s for s in settings.channel_status() if s.enabled]
    for status in settings.channel_status():
        if status.partially_configured:
            report.add(
                Level.FAIL, "配置", f"{status.label} 配置不完整，还缺 {'、'.join(status.missing)}"
            )
    if not channels and not settings.console:
        report.add(Level.FAIL, "配置", "没有开启任何渠道（企业微信、飞书或控制台）")
    else:
        names = "、".join(s.label for s in channels) or "仅控制台"
        report.add(Level.OK, "配置", f"已开启渠道：{names}")
    if not settings.database_url:
        report.add(Level.WARN, "配置", "未设置 DUTYBOT_DATABASE_URL：使用内置 SQLite（只适合单机）")
    if not settings.redis_url:
        report.add(Level.WARN, "配置", "未设置 DUTYBOT_REDIS_URL：使用内嵌 Redis（只适合演示）")


async def check_database(settings: Settings, report: Report) -> bool:
    url = settings.effective_database_url
    if not settings.database_url and not settings.resolved_home.is_dir():
        report.add(
            Level.FAIL,
            "数据库",
            f"数据目录 {settings.resolved_home} 不存在（还没有运行过 dutybot db upgrade？）",
        )
        return False
    try:
        pending = await pending_migrations(url)
    except (OSError, ConnectionError, DBConnectionError, TimeoutError) as exc:
        report.add(Level.FAIL, "数据库", f"无法连接：{type(exc).__name__} {exc}")
        return False
    if pending:
        report.add(
            Level.FAIL,
            "数据库",
            f"结构不是最新（待执行：{'、'.join(pending)}），请运行 dutybot db upgrade",
        )
        return False
    report.add(Level.OK, "数据库", "可连接，结构是最新的")
    return True


async def check_redis(settings: Settings, report: Report) -> None:
    if not settings.redis_url:
        return  # the embedded one lives only inside demo/serve/worker; said under 配置
    from redis.asyncio import Redis

    client = Redis.from_url(settings.redis_url, socket_connect_timeout=5, socket_timeout=5)
    try:
        await client.ping()
        info = await client.info("persistence")
        policy = (await client.config_get("maxmemory-policy")).get("maxmemory-policy", "")
    except Exception as exc:
        report.add(Level.FAIL, "Redis", f"无法连接：{type(exc).__name__} {exc}")
        return
    finally:
        await client.aclose()
    notes = []
    if str(info.get("aof_enabled", "0")) != "1":
        notes.append("未开启 appendonly")
    if policy and policy != "noeviction":
        notes.append(f"maxmemory-policy 是 {policy}（应为 noeviction）")
    if notes:
        report.add(Level.WARN, "Redis", "可连接，但" + "，".join(notes))
    else:
        report.add(Level.OK, "Redis", "可连接")


async def check_wecom_bot(settings: Settings, report: Report) -> None:
    """The robot: who holds its long connection, which groups it can post in (needs a person's
    message first), and which groups @-mentioned it without being in the org file."""
    from storage.models.machinery import BotConversation
    from storage.models.org import Chat

    label = "企业微信智能机器人"
    if settings.wecom_bot_mode == "longconn" and settings.redis_url:
        from redis.asyncio import Redis

        from bot.adapters.wecom_bot.relay import CONNECTING, lease_key, state_key

        assert settings.wecom_bot_id is not None
        client = Redis.from_url(settings.redis_url, socket_connect_timeout=5, socket_timeout=5)
        state = b""
        try:
            held = await client.exists(lease_key(settings.wecom_bot_id))
            state = await client.get(state_key(settings.wecom_bot_id)) or b""
        except Exception as exc:
            report.add(Level.WARN, label, f"无法查看长连接状态：{type(exc).__name__} {exc}")
            held = None
        finally:
            await client.aclose()
        problem = state.decode() if isinstance(state, bytes) else str(state)
        if held and problem == CONNECTING:
            report.add(Level.WARN, label, "长连接正在建立，请稍后再查看")
            held = None
        elif held and problem not in ("", "ok"):
            report.add(Level.FAIL, label, f"长连接没有连上：{problem}（请检查 BotID 和 Secret）")
            held = None
        if held == 0:
            report.add(
                Level.WARN,
                label,
                "没有进程持有长连接：收不到群里的 @ 消息（dutybot serve 是否在运行？）",
            )
        elif held:
            report.add(Level.OK, label, "长连接由一个 dutybot serve 进程持有")
    opened = {str(c) for c in await BotConversation.all().values_list("conversation_id", flat=True)}
    chats = await Chat.filter(active=True, wecom_chat_id__not_isnull=True).order_by("id")
    silent = [c.name for c in chats if c.wecom_chat_id not in opened]
    if silent:
        report.add(
            Level.WARN,
            label,
            f"{'、'.join(silent)}：还没有人在群里 @ 过机器人，机器人暂不能在群里发消息"
            "（改由应用单独发送）；请在群里 @机器人 说一句话",
        )
    known = {c.wecom_chat_id for c in chats}
    strangers = await BotConversation.filter(chat_type="group").values_list(
        "conversation_id", flat=True
    )
    unknown = sorted(str(c) for c in strangers if str(c) not in known)
    if unknown:
        report.add(
            Level.WARN,
            label,
            f"有群 @ 了机器人但不在组织名单中（wecom_chat_id）：{'、'.join(unknown)}",
        )


async def check_worker(now: datetime, report: Report) -> None:
    alive, stale = await heartbeat.workers(now)
    if not alive:
        last = f"，最后一次心跳 {_ago(now, stale[0].beat_at)}" if stale else "，从未有过心跳"
        report.add(Level.FAIL, "worker", f"没有在运行的 worker（消息不会发出、提醒不会触发）{last}")
        return
    hosts = "、".join(f"{w.hostname}/{w.pid}" for w in alive)
    cut_off = [w for w in alive if not w.redis_ok]
    if cut_off:
        report.add(
            Level.FAIL,
            "worker",
            f"{len(cut_off)} 个 worker 连不上 Redis，正在等待重连：{cut_off[0].note[:120]}",
        )
    else:
        report.add(Level.OK, "worker", f"{len(alive)} 个在运行（{hosts}）")


async def check_outbox(now: datetime, tz: ZoneInfo, report: Report) -> None:
    waiting = OutboxMessage.filter(status__in=[OutboxStatus.PENDING, OutboxStatus.SENDING])
    count = await waiting.count()
    oldest = await waiting.order_by("created_at").first()
    retrying = OutboxMessage.filter(
        status__in=[OutboxStatus.PENDING, OutboxStatus.SENDING], failing_since__isnull=False
    )
    failing = await retrying.count()
    latest = await retrying.order_by("-failing_since").first()
    why = ""
    if latest is not None:
        why = f"，{failing} 条正在重试（最近的原因：{latest.last_error[:80]}）"
    if oldest is not None and now - oldest.created_at > BACKLOG_LATE:
        report.add(
            Level.FAIL,
            "待发消息",
            f"{count} 条未发出，最早的写入于 {_ago(now, oldest.created_at)}{why}",
        )
    elif failing:
        # Not late yet, but the platform is failing: say so now, not five minutes from now.
        report.add(Level.WARN, "待发消息", f"{count} 条排队中{why}")
    else:
        report.add(Level.OK, "待发消息", f"{count} 条排队中，没有积压")
    given_up = OutboxMessage.filter(status=OutboxStatus.FAILED)
    total = await given_up.count()
    if total:
        report.add(
            Level.FAIL,
            "已放弃的消息",
            f"{total} 条重试后仍未送达（dutybot outbox list --failed 查看，"
            "dutybot outbox retry 重发）：",
        )
        for row in await given_up.order_by("-id").limit(5):
            when = row.given_up_at.astimezone(tz).strftime("%m-%d %H:%M") if row.given_up_at else ""
            report.add(
                Level.FAIL,
                "已放弃的消息",
                f"  #{row.id} {when} 发给 {await outbox.target_label(row)}："
                f"{outbox.preview(row)}（{row.last_error[:60]}）",
            )
    else:
        report.add(Level.OK, "已放弃的消息", "没有")
    stuck = await InboundEvent.filter(status=InboundStatus.FAILED).count()
    if stuck:
        report.add(Level.WARN, "收到的消息", f"{stuck} 条处理失败（日志中有原因）")


def check_calendar(settings: Settings, now: datetime, report: Report) -> None:
    try:
        tk = TimeKeeping.from_settings(settings)
    except TimeConfigError as exc:
        report.add(Level.FAIL, "节假日日历", str(exc))
        return
    cal = tk.calendar()
    local = now.astimezone(tk.tz)
    if tk.file_error:
        report.add(Level.FAIL, "节假日日历", f"日历覆盖文件无法使用：{tk.file_error}")
    this_year, next_year = local.year, local.year + 1
    path = tk.calendar_file.path
    if cal.year_source(this_year) is YearSource.NONE:
        report.add(
            Level.FAIL,
            "节假日日历",
            f"{this_year} 年的节假日安排没有录入，期限按周一至周五暂定计算；"
            f"请按国务院办公厅通知填写 {path}（dutybot calendar template {this_year}）",
        )
        return
    starts = datetime(next_year, 1, 1, tzinfo=tk.tz)
    if cal.year_source(next_year) is YearSource.NONE:
        level = Level.WARN if starts - local <= CALENDAR_AHEAD else Level.OK
        report.add(
            level,
            "节假日日历",
            f"{this_year} 年已覆盖；{next_year} 年还没有录入：国务院办公厅发布通知后"
            f"（通常在 10–12 月），请在 {next_year} 年 1 月 1 日前填写 {path}"
            f"（dutybot calendar template {next_year}）",
        )
    else:
        report.add(Level.OK, "节假日日历", f"{this_year}、{next_year} 年都已覆盖")


async def check_platforms(settings: Settings, report: Report) -> None:
    for status in settings.channel_status():
        if not status.enabled:
            continue
        try:
            if status.name == "wecom":
                await asyncio.wait_for(_probe_wecom(settings), PROBE_TIMEOUT)
            elif status.name == "feishu":
                await asyncio.wait_for(_probe_feishu(settings), PROBE_TIMEOUT)
            else:
                continue
        except Exception as exc:
            report.add(
                Level.FAIL, status.label, f"用当前凭证调用接口失败：{type(exc).__name__} {exc}"
            )
            continue
        report.add(Level.OK, status.label, "接口可达，凭证有效（已换取 access token）")


async def _probe_wecom(settings: Settings) -> None:
    from bot.adapters.wecom.api import WeComApi

    assert settings.wecom_corp_id
    assert settings.wecom_secret
    assert settings.wecom_agent_id is not None
    # No Redis: a fresh token, so the probe proves the secret, not a cached token.
    api = WeComApi(
        settings.wecom_api_base,
        settings.wecom_corp_id,
        settings.wecom_agent_id,
        settings.wecom_secret.get_secret_value(),
        None,
    )
    try:
        await api.token()
    finally:
        await api.aclose()


async def _probe_feishu(settings: Settings) -> None:
    from bot.adapters.feishu.api import FeishuApi
    from bot.adapters.feishu.setup import secret_value

    assert settings.feishu_app_id is not None
    api = FeishuApi(
        base_url=settings.feishu_api_base,
        app_id=settings.feishu_app_id,
        app_secret=secret_value(settings.feishu_app_secret) or "",
        redis=None,
    )
    try:
        await api.check_credentials()
    finally:
        await api.close()


async def diagnose(settings: Settings, *, offline: bool) -> Report:
    report = Report()
    check_config(settings, report)
    tz = ZoneInfo(settings.timezone)
    now = datetime.now(tz)
    if await check_database(settings, report):
        await init_db(settings.effective_database_url)
        try:
            # The demo's shifted clock is what its worker writes heartbeats with.
            now = OffsetClock(tz, await load_demo_offset()).now()
            await check_worker(now, report)
            await check_outbox(now, tz, report)
            if settings.wecom_bot_enabled:
                await check_wecom_bot(settings, report)
        finally:
            await close_db()
    await check_redis(settings, report)
    check_calendar(settings, now, report)
    if not offline:
        await check_platforms(settings, report)
    return report


@main.command("doctor")
@click.option("--offline", is_flag=True, help="不连接企业微信/飞书接口。")
@click.pass_context
def doctor(ctx: click.Context, offline: bool) -> None:
    """检查部署：配置、数据库、Redis、worker 心跳、待发和已放弃的消息、节假日日历、平台接口。

    有问题时退出码为 1（可用于监控）。
    """
    settings = settings_of(ctx)
    report = asyncio.run(diagnose(settings, offline=offline))
    width = max(len(f.topic) for f in report.findings)
    for finding in report.findings:
        click.echo(f"{MARKS[finding.level]} {finding.topic:<{width}}  {finding.text}")
    if report.failed:
        click.echo("\n有需要处理的问题（✘）。")
        ctx.exit(1)
    click.echo(
        "\n一切正常。"
        if not any(f.level is Level.WARN for f in report.findings)
        else "\n没有严重问题；请留意带 ! 的提示。"
    )
