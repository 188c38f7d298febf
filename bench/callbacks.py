"""Benchmark: encrypted WeCom callbacks and signed Feishu events against ``dutybot serve``.

Side by side in the same run with a bare aiohttp handler that only verifies and decrypts
(bench/bare_callbacks.py, the ceiling for this stack). Both servers are pinned to CPU 0 (one
core); this load generator runs on CPU 1. Every request is a distinct, validly signed and
encrypted delivery of the text "帮助" from a known person, so ``dutybot serve`` does its whole
job: verify, decrypt, parse, dedupe-insert, answer 200, then route and write the reply's card
and outbox rows in the background.

    python bench/callbacks.py [--db sqlite|postgres] [--seconds 5] [--rates 50,100,200,400]

Reports, per platform and server: the closed-loop maximum throughput (64 connections), and for
each offered open-loop rate the achieved throughput and latency p50/p99 measured from each
request's scheduled send time (so queueing delay counts). For ``dutybot serve`` it also reports
how long the background processing took to catch up with everything accepted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fakes.feishu_server import FakeFeishu  # noqa: E402
from tests.fakes.wecom_callbacks import CallbackSigner, random_aes_key, text_xml  # noqa: E402
from tests.fakes.wecom_server import FakeWeCom  # noqa: E402

PEOPLE = 20
CORP_ID = "wwbench0001"
AGENT_ID = 1000002
WECOM_TOKEN = "benchtoken"


def org_yaml() -> str:
    people = "\n".join(
        f"  - {{key: p{i}, name: 人员{i}, unit: u1, roles: [editor], wecom: w{i}, "
        f"feishu_open_id: ou_p{i}}}"
        for i in range(PEOPLE)
    )
    return f"units:\n  - {{key: u1, name: 测试单位}}\npeople:\n{people}\n"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pinned(cmd: list[str]) -> list[str]:
    taskset = shutil.which("taskset")
    return [taskset, "-c", "0", *cmd] if taskset and (os.cpu_count() or 1) > 1 else cmd


@dataclass
class Result:
    server: str
    platform: str
    mode: str  # "max" or the offered rate
    sent: int
    ok: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def throughput(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (to see which one is saturated)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


Request = tuple[str, dict[str, str], bytes]  # path with query, headers, body


class Generator:
    """Builds distinct, validly signed deliveries, as the platforms send them."""

    def __init__(self, aes_key: str, feishu: FakeFeishu) -> None:
        self.signer = CallbackSigner(WECOM_TOKEN, aes_key, CORP_ID)
        self.feishu = feishu
        self.n = 0

    def wecom(self) -> Request:
        self.n += 1
        xml = text_xml(CORP_ID, f"w{self.n % PEOPLE}", "帮助", str(10**12 + self.n))
        signed = self.signer.post(xml)
        return f"/wecom/callback?{signed.query}", {"Content-Type": "text/xml"}, signed.body

    def feishu_event(self) -> Request:
        self.n += 1
        payload = self.feishu.message_event(sender_open_id=f"ou_p{self.n % PEOPLE}", text="帮助")
        headers, body = self.feishu.build_request(payload)
        return "/feishu/events", headers, body


async def _post(session: aiohttp.ClientSession, base: str, req: Request) -> bool:
    path, headers, body = req
    async with session.post(base + path, data=body, headers=headers) as resp:
        await resp.read()
        return resp.status == 200


async def closed_loop(
    base: str, make: Callable[[], Request], seconds: float, connections: int = 64
) -> tuple[int, int, float, list[float]]:
    """As fast as possible with a fixed number of connections: the maximum throughput."""
    latencies: list[float] = []
    ok = sent = 0
    deadline = time.perf_counter() + seconds
    prepared = [make() for _ in range(int(seconds * 6000))]
    it = iter(prepared)
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal ok, sent
            while time.perf_counter() < deadline:
                req = next(it, None) or make()
                start = time.perf_counter()
                sent += 1
                if await _post(session, base, req):
                    ok += 1
                latencies.append(time.perf_counter() - start)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - started
    return sent, ok, elapsed, latencies


async def open_loop(
    base: str, make: Callable[[], Request], rate: float, seconds: float
) -> tuple[int, int, float, list[float]]:
    """Requests at fixed intervals whatever the server does; latency from the scheduled time."""
    count = int(rate * seconds)
    prepared = [make() for _ in range(count)]
    latencies: list[float] = []
    ok = 0
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()

        async def one(i: int, req: Request) -> None:
            nonlocal ok
            scheduled = started + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if await _post(session, base, req):
                ok += 1
            latencies.append(time.perf_counter() - scheduled)

        await asyncio.gather(*(one(i, req) for i, req in enumerate(prepared)))
        elapsed = time.perf_counter() - started
    return count, ok, elapsed, latencies


async def wait_http(url: str, within: float = 30) -> None:
    deadline = time.monotonic() + within
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(url) as resp:
                    if resp.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


async def processed_backlog(db_url: str) -> tuple[int, int]:
    from storage.db import close_db, init_db
    from storage.enums import InboundStatus
    from storage.models.machinery import InboundEvent

    await init_db(db_url)
    try:
        total = await InboundEvent.all().count()
        done = await InboundEvent.filter(status=InboundStatus.PROCESSED).count()
        return total, done
    finally:
        await close_db()


async def reset_postgres(url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()


async def run(args: argparse.Namespace) -> list[Result]:
    if (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {1})  # the generator stays off the servers' core
    work = Path(tempfile.mkdtemp(prefix="dutybot-bench-"))
    if args.db == "postgres":
        db_url = args.postgres_url
        await reset_postgres(db_url)
    else:
        db_url = f"sqlite://{work / 'bench.sqlite3'}"
    fake_wecom = FakeWeCom(corp_id=CORP_ID)
    fake_feishu = FakeFeishu()
    wecom_url = await fake_wecom.start()
    feishu_url = await fake_feishu.start()
    aes_key = random_aes_key()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DUTYBOT_")},
        "PYTHONPATH": str(ROOT),
        "DUTYBOT_HOME": str(work),
        "DUTYBOT_DATABASE_URL": db_url,
        "DUTYBOT_REDIS_URL": args.redis_url,
        "DUTYBOT_LOG_LEVEL": "WARNING",
        "DUTYBOT_WECOM_CORP_ID": CORP_ID,
        "DUTYBOT_WECOM_AGENT_ID": str(AGENT_ID),
        "DUTYBOT_WECOM_SECRET": fake_wecom.secret,
        "DUTYBOT_WECOM_TOKEN": WECOM_TOKEN,
        "DUTYBOT_WECOM_AES_KEY": aes_key,
        "DUTYBOT_WECOM_API_BASE": wecom_url,
        "DUTYBOT_FEISHU_APP_ID": fake_feishu.app_id,
        "DUTYBOT_FEISHU_APP_SECRET": fake_feishu.app_secret,
        "DUTYBOT_FEISHU_ENCRYPT_KEY": fake_feishu.encrypt_key,
        "DUTYBOT_FEISHU_VERIFICATION_TOKEN": fake_feishu.verification_token,
        "DUTYBOT_FEISHU_API_BASE": feishu_url,
    }
    python = sys.executable
    (work / "org.yaml").write_text(org_yaml(), encoding="utf-8")
    for step in (["db", "upgrade"], ["org", "load", str(work / "org.yaml")]):
        subprocess.run([python, "-m", "bot", *step], env=env, check=True, capture_output=True)
    import redis.asyncio as aioredis

    client = aioredis.from_url(args.redis_url)
    await client.flushdb()
    await client.aclose()

    bot_port, bare_port = free_port(), free_port()
    serve_env = {**env, "DUTYBOT_HTTP_PORT": str(bot_port)}
    servers = {
        "dutybot serve": subprocess.Popen(
            pinned([python, *(["-m", "cProfile", "-o", str(args.profile)] if args.profile else []),
                    "-m", "bot", "serve"]), env=serve_env, cwd=work,
            stdout=subprocess.DEVNULL, stderr=(work / "serve.log").open("wb"),
        ),
        "bare verify+decrypt": subprocess.Popen(
            pinned([
                python, str(ROOT / "bench" / "bare_callbacks.py"), "--port", str(bare_port),
                "--token", WECOM_TOKEN, "--aes-key", aes_key, "--corp-id", CORP_ID,
                "--encrypt-key", fake_feishu.encrypt_key,
                "--verification-token", fake_feishu.verification_token,
            ]),
            env=env, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ),
    }  # fmt: skip
    bases = {
        "dutybot serve": f"http://127.0.0.1:{bot_port}",
        "bare verify+decrypt": f"http://127.0.0.1:{bare_port}",
    }
    results: list[Result] = []
    try:
        await wait_http(bases["dutybot serve"] + "/healthz?scope=web")
        await wait_http(bases["bare verify+decrypt"] + "/feishu/events")
        gen = Generator(aes_key, fake_feishu)
        makers = {"wecom": gen.wecom, "feishu": gen.feishu_event}
        for platform, make in makers.items():
            for server, base in bases.items():
                if args.only and not server.startswith(args.only):
                    continue
                # Warm up (imports, connections, first token).
                await closed_loop(base, make, 1.0, connections=4)
                sent, ok, elapsed, lat = await closed_loop(base, make, args.seconds)
                results.append(
                    Result(server, platform, "max", sent, ok, elapsed,
                           percentile(lat, 0.5) * 1000, percentile(lat, 0.99) * 1000)
                )  # fmt: skip
                print(_line(results[-1]), flush=True)
                for rate in args.rates:
                    await asyncio.sleep(1.0)
                    sent, ok, elapsed, lat = await open_loop(base, make, rate, args.seconds)
                    results.append(
                        Result(server, platform, f"{rate:g}/s", sent, ok, elapsed,
                               percentile(lat, 0.5) * 1000, percentile(lat, 0.99) * 1000)
                    )  # fmt: skip
                    print(_line(results[-1]), flush=True)
        # The web process only records and acknowledges; the worker does the work. Start one
        # and measure, for up to a minute, how fast it works through what was accepted.
        total, done_before = await processed_backlog(db_url)
        worker = subprocess.Popen(
            pinned([python, "-m", "bot", "worker"]), env=env, cwd=work,
            stdout=subprocess.DEVNULL, stderr=(work / "worker.log").open("wb"),
        )  # fmt: skip
        servers["worker"] = worker
        started = time.monotonic()
        done = done_before
        while done < total and time.monotonic() - started < 60:
            await asyncio.sleep(1)
            total, done = await processed_backlog(db_url)
        elapsed = time.monotonic() - started
        print(
            f"one worker (one core) processed {done - done_before} of {total} accepted "
            f"deliveries in {elapsed:.0f} s (~{(done - done_before) / elapsed:.0f}/s, "
            "start-up included)",
            flush=True,
        )
    finally:
        for proc in servers.values():
            proc.terminate()
        for proc in servers.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        await fake_wecom.stop()
        await fake_feishu.close()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return results


def _line(r: Result) -> str:
    return (
        f"{r.platform:<7} {r.server:<20} {r.mode:>7}: {r.throughput:8.1f} req/s  "
        f"ok {r.ok}/{r.sent}  p50 {r.p50_ms:7.2f} ms  p99 {r.p99_ms:7.2f} ms"
    )


def table(results: list[Result]) -> str:
    lines = [
        "| platform | server | load | throughput (req/s) | ok / sent | p50 (ms) | p99 (ms) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.platform} | {r.server} | {r.mode} | {r.throughput:.0f} | {r.ok}/{r.sent} "
            f"| {r.p50_ms:.1f} | {r.p99_ms:.1f} |"
        )
    for platform in ("wecom", "feishu"):
        maxima = {
            r.server: r.throughput for r in results if r.platform == platform and r.mode == "max"
        }
        if len(maxima) == 2:
            ratio = maxima["dutybot serve"] / maxima["bare verify+decrypt"]
            lines.append(f"\n{platform}: dutybot serve reaches {ratio:.0%} of the bare ceiling.")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rates", default="50,100,200,400")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--profile", type=Path, help="run dutybot serve under cProfile, to here")
    parser.add_argument("--only", choices=["dutybot", "bare"], help="measure one server only")
    args = parser.parse_args()
    args.rates = [float(r) for r in args.rates.split(",") if r]
    results = asyncio.run(run(args))
    print()
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps([r.__dict__ for r in results], indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
