"""dutybot demo / serve / worker: the long-running processes."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import signal
import socket
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import click
from aiohttp import web

from bot import heartbeat
from bot.app import create_app
from bot.cli.base import fail, main, settings_of
from bot.config import Settings
from bot.core.services import Services
from bot.flows.duty.planner import plan_all
from bot.handlers import load_all
from bot.policy.runtime import TimeConfigError
from bot.redis_embedded import EmbeddedRedisError, redis_url_for
from bot.runtime import NotMigratedError, open_services
from bot.worker import run_worker

log = logging.getLogger(__name__)


def _stop_event() -> asyncio.Event:
    """An event set by SIGINT or SIGTERM, so shutdown runs our cleanup in order."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _is_loopback(host: str) -> bool:
    """True when ``host`` only listens on this machine (every address it resolves to)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(i[4][0]).is_loopback for i in infos)


CONSOLE_REMOTE_WARNING = (
    "警告：网页控制台（{host}）没有登录验证，能访问它的任何人都可以冒充任何人办理业务、"
    "查看所有会话。仅限受信任的内网测试使用，切勿暴露在公网。"
)


def _guard_console(settings: Settings, host: str, console: bool) -> None:
    """Refuse the console on a non-loopback address unless forced; warn loudly when forced."""
    if not console or _is_loopback(host):
        return
    if not settings.console_allow_remote:
        fail(
            f"拒绝启动：网页控制台没有登录验证，不能在非本机地址 {host} 上开启。\n"
            "生产环境请关闭控制台（DUTYBOT_CONSOLE=0）；只在本机试用请把 DUTYBOT_HTTP_HOST "
            "设为 127.0.0.1；确需在受信任的内网开放，请设置 DUTYBOT_CONSOLE_ALLOW_REMOTE=1。"
        )
    warning = CONSOLE_REMOTE_WARNING.format(host=host)
    click.echo(warning, err=True)
    log.warning("console exposed on non-loopback %s (DUTYBOT_CONSOLE_ALLOW_REMOTE=1)", host)


async def _start_web(services: Services, host: str, port: int, console: bool) -> web.AppRunner:
    app = create_app(services, load_all(), console=console)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    return runner


def _channels_line(services: Services) -> str:
    labels = {"console": "控制台", "wecom": "企业微信", "feishu": "飞书"}
    return "、".join(labels.get(p.value, p.value) for p in services.channels) or "无"


async def _demo(settings: Settings, redis_url: str, host: str, port: int) -> None:
    from bot.org.seed import seed_demo

    stop = _stop_event()
    async with open_services(settings, redis_url=redis_url, demo=True, migrate=True) as services:
        seeded = await seed_demo(services.clock.now())
        if seeded is not None:
            click.echo("已载入演示组织：临江区（8 个单位、22 人）。")
        await plan_all(services.timekeeping.calendar(), services.clock.now())  # the duty roster
        runner = await _start_web(services, host, port, console=True)
        worker_stop = asyncio.Event()
        worker_task = asyncio.create_task(run_worker(services, worker_stop))
        url = f"http://{host}:{port}/console"
        click.echo(f"dutybot 演示已启动：{url}")
        click.echo(f"数据目录：{settings.resolved_home}（按 Ctrl-C 停止，数据会保留）")
        try:
            await _wait(stop, worker_task)
        finally:
            worker_stop.set()
            await worker_task
            await runner.cleanup()
    click.echo("dutybot 演示已停止。")


async def _wait(stop: asyncio.Event, *tasks: asyncio.Task[None]) -> None:
    """Until a signal arrives or a background task dies (which is logged)."""
    stopper = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait({stopper, *tasks}, return_when=asyncio.FIRST_COMPLETED)
    for task in done:
        if task is not stopper and task.exception() is not None:
            log.error("background task failed", exc_info=task.exception())
    stopper.cancel()


async def _serve(settings: Settings, redis_url: str, host: str, port: int) -> None:
    stop = _stop_event()
    async with open_services(settings, redis_url=redis_url) as services:
        console = settings.console_enabled(demo=False)
        runner = await _start_web(services, host, port, console=console)
        click.echo(
            f"dutybot 已在 http://{host}:{port} 上服务；已开启渠道：{_channels_line(services)}"
        )
        _say_demo_clock(settings)
        for status in settings.channel_status():
            if status.partially_configured:
                click.echo(f"注意：{status.label} 配置不完整，还缺 {'、'.join(status.missing)}")
        try:
            await stop.wait()
        finally:
            await runner.cleanup()


async def _worker(settings: Settings, redis_url: str) -> None:
    stop = _stop_event()
    async with open_services(settings, redis_url=redis_url) as services:
        click.echo(f"dutybot worker 已启动；已开启渠道：{_channels_line(services)}")
        _say_demo_clock(settings)
        await run_worker(services, stop)


def _say_demo_clock(settings: Settings) -> None:
    if settings.demo_clock:
        click.echo(
            "注意：DUTYBOT_DEMO_CLOCK 已开启，时间跟随数据库中的演示时钟（可被拨快），"
            "仅用于演示和测试，切勿用于正式部署。"
        )


def _reset_home(settings: Settings) -> None:
    if settings.database_url:
        fail("--reset 只用于内置 SQLite 数据库；外部数据库请由管理员自行清理。")
    db_file = settings.resolved_home / "dutybot.sqlite3"
    for path in (db_file, Path(f"{db_file}-wal"), Path(f"{db_file}-shm")):
        path.unlink(missing_ok=True)
    click.echo("已清空演示数据，重新开始。")


def _say_embedded_redis(settings: Settings) -> None:
    """serve / worker without DUTYBOT_REDIS_URL start a redis-server of their own: say so, as
    `config check` does, since a production deployment wants a shared one."""
    if not settings.redis_url:
        click.echo("提示：未设置 DUTYBOT_REDIS_URL，使用内嵌 redis-server（仅适合演示和单机）。")


def _run_guarded(program: Coroutine[Any, Any, None]) -> None:
    try:
        asyncio.run(program)
    except (NotMigratedError, TimeConfigError) as exc:
        fail(str(exc))
    except EmbeddedRedisError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"启动失败：{exc}")


@main.command("demo")
@click.option("--reset", is_flag=True, help="清空演示数据后重新开始。")
@click.option("--host", default=None, help="监听地址（默认 DUTYBOT_HTTP_HOST，127.0.0.1）。")
@click.option("--port", type=int, default=None, help="端口（默认 DUTYBOT_HTTP_PORT，8080）。")
@click.pass_context
def demo(ctx: click.Context, reset: bool, host: str | None, port: int | None) -> None:
    """一条命令体验：网页控制台 + 后台任务 + 内置 SQLite + 内嵌 Redis + 演示组织。"""
    settings = settings_of(ctx)
    host = host or settings.http_host
    port = port if port is not None else settings.http_port
    _guard_console(settings, host, console=True)
    if reset:
        _reset_home(settings)
    if not _port_free(host, port):
        fail(f"端口 {port} 已被占用：请关闭占用它的程序，或用 --port 换一个端口。")
    settings.resolved_home.mkdir(parents=True, exist_ok=True)
    try:
        with redis_url_for(settings.redis_url, settings.resolved_home) as redis_url:
            _run_guarded(_demo(settings, redis_url, host, port))
    except EmbeddedRedisError as exc:
        fail(str(exc))


@main.command("serve")
@click.pass_context
def serve(ctx: click.Context) -> None:
    """只运行 Web 服务（平台回调、控制台、健康检查）。"""
    settings = settings_of(ctx)
    _guard_console(settings, settings.http_host, settings.console_enabled(demo=False))
    settings.resolved_home.mkdir(parents=True, exist_ok=True)
    _say_embedded_redis(settings)
    try:
        with redis_url_for(settings.redis_url, settings.resolved_home) as redis_url:
            _run_guarded(_serve(settings, redis_url, settings.http_host, settings.http_port))
    except EmbeddedRedisError as exc:
        fail(str(exc))


@main.command("worker")
@click.option(
    "--check",
    is_flag=True,
    help="不启动；检查本机的 worker 是否还活着（容器健康检查用：心跳文件在 60 秒内更新过）。",
)
@click.pass_context
def worker(ctx: click.Context, check: bool) -> None:
    """只运行后台任务（消息发送、提醒、对账）。"""
    settings = settings_of(ctx)
    if check:
        age = heartbeat.file_age_seconds(settings.resolved_home)
        limit = heartbeat.STALE_AFTER.total_seconds()
        if age is None:
            fail("worker 没有心跳：它没有启动，或 DUTYBOT_HOME 不是它用的那个目录。")
        if age > limit:
            fail(f"worker 已 {age:.0f} 秒没有心跳（超过 {limit:.0f} 秒），可能已卡死。")
        click.echo(f"worker 正常：{age:.0f} 秒前有心跳。")
        return
    settings.resolved_home.mkdir(parents=True, exist_ok=True)
    _say_embedded_redis(settings)
    try:
        with redis_url_for(settings.redis_url, settings.resolved_home) as redis_url:
            _run_guarded(_worker(settings, redis_url))
    except EmbeddedRedisError as exc:
        fail(str(exc))
