"""Soak: mixed signed callbacks against two ``dutybot serve`` and two ``dutybot worker``.

    python bench/soak.py                      # 10 minutes at 200 requests/s
    python bench/soak.py --short              # 60 seconds at 50 requests/s, to try it

Four real processes share one PostgreSQL database and one Redis, as replicas in production do;
the fake WeCom and Feishu APIs run in this process. Requests go round-robin to the two web
replicas, open-loop (sent on schedule whatever the servers do), each a distinct, validly signed
and encrypted delivery:

- WeCom and Feishu text messages from known people, 「帮助」 (answered with a card) and
  「我的信息」 (answered with text), each person writing every few seconds. Feishu messages
  are held to ``FEISHU_MESSAGES_PER_SECOND`` (the rest of the rate is WeCom): one Feishu app
  may send 1,000 messages a minute, and the outbox keeps to that, so a mix above it would
  measure Feishu's limit — replies waiting their turn — and not dutybot;
- platform retries: about 5 % of deliveries are sent a second time (must be recognised as
  duplicates: no second answer);
- a monitoring system's rectification notices (``POST /api/rectifications``, 1 in 100
  requests), whose one-minute countdown fires three reminder steps each, so the deadline
  engine works throughout.

Reported: errors (any answer other than 200/201, any request that failed, any reply missing or
doubled, outbox rows given up, ERROR lines in the processes' logs); p50/p99 from a callback's
send time to its reply reaching the fake platform; the resident memory of each process over
time and its growth from the end of the warm-up to the end; outbox depth (rows not yet sent)
and deadline lag (``fired_at − fire_at``) per interval.

Defaults: ``--pg-url postgres://postgres@127.0.0.1:5432/dutybot_soak`` (created if missing,
emptied) and ``--redis-url redis://127.0.0.1:6379/7`` (flushed).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.callbacks import cpu_seconds, free_port, percentile, wait_http  # noqa: E402
from bench.deadlines import reset_postgres  # noqa: E402
from tests.fakes.feishu_server import FakeFeishu  # noqa: E402
from tests.fakes.wecom_callbacks import CallbackSigner, random_aes_key, text_xml  # noqa: E402
from tests.fakes.wecom_server import FakeWeCom  # noqa: E402

CORP_ID = "wwsoak0001"
AGENT_ID = 1000002
WECOM_TOKEN = "soaktoken"
SAMPLE_SECONDS = 5.0
ONE_MINUTE = {
    "deadlines.rectification.serious.inside_minutes": 1,
    "deadlines.rectification.serious.outside_minutes": 1,
}


class TimedWeCom(FakeWeCom):
    """The fake WeCom, noting when each call arrived (for callback → reply latency)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.arrived: list[float] = []

    async def _record(self, *args: Any, **kwargs: Any) -> Any:
        response = await super()._record(*args, **kwargs)
        self.arrived.append(time.time())  # no await in between: self.calls[-1] is this call
        return response


def org_yaml(people: int) -> str:
    """``people`` writers on each platform, plus a unit that receives rectification notices."""
    lines = [
        "units:",
        "  - {key: sup, name: 监管单位, kind: government}",
        "  - {key: u1, name: 测试单位, kind: government, supervisor: sup}",
        # The writers sit in a unit of their own: notices to u1 must not reach them.
        "  - {key: u2, name: 写信单位, kind: government}",
        "people:",
        "  - {key: chief, name: 监管员, unit: sup, roles: [supervisor_staff],"
        " feishu_open_id: ou_chief}",
        "  - {key: head, name: 负责人, unit: u1, roles: [principal], feishu_open_id: ou_head}",
        "  - {key: ed, name: 编辑, unit: u1, roles: [editor], feishu_open_id: ou_ed}",
    ]
    for i in range(people):
        lines.append(f"  - {{key: w{i}, name: 企微{i}, unit: u2, roles: [clerk], wecom: w{i}}}")
        lines.append(
            f"  - {{key: f{i}, name: 飞书{i}, unit: u2, roles: [clerk], feishu_open_id: ou_f{i}}}"
        )
    lines += [
        "accounts:",
        "  - {key: acc, name: 测试公众号, platform: wechat, owner_unit: u1, operator_unit: u1}",
    ]
    return "\n".join(lines) + "\n"


@dataclass
class Sent:
    """One request of the soak: what, to whom, when it was due to be sent, how it went."""

    kind: str  # wecom / feishu / retry / notice
    who: str  # "w3" / "ou_f3" (the reply's addressee); "" for notices
    scheduled: float  # epoch seconds
    status: int = 0
    error: str = ""


@dataclass
class Sample:
    at: float  # seconds since the start of the load
    outbox_depth: int
    inbound_backlog: int  # deliveries acknowledged but not yet handled by a worker
    fired_steps: int
    rss_kib: dict[str, int]
    cpu_seconds: dict[str, float]


@dataclass
class Report:
    seconds: float
    rate: float
    requests: int
    by_kind: dict[str, int]
    errors: dict[str, int]
    reply_p50_ms: float
    reply_p99_ms: float
    reply_max_ms: float
    replies_missing: int
    replies_doubled: int
    outbox_failed: int
    memory_growth: dict[str, float]  # process -> fraction, warm-up end to end
    rss_mib: dict[str, list[float]]  # process -> per interval
    cpu_percent: dict[str, list[float]]  # process -> per interval (100 = one core)
    cpu_seconds: dict[str, float]  # process -> CPU time used from the start of the load
    deliveries: int  # callbacks answered 200 (replies expected)
    outbox_depth: list[int]  # max per interval
    inbound_backlog: list[int]  # max per interval
    lag_p99_ms: list[float]  # per interval, steps that fired in it
    lag_max_ms: float
    steps_fired: int
    steps_expected: int
    interval_seconds: float
    log_errors: list[str] = field(default_factory=list)


def rss_kib(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    found = re.search(r"VmRSS:\s+(\d+) kB", status)
    return int(found.group(1)) if found else 0


# Feishu messages a second in the mix: 1,000/min is the app's send limit (16.7/s); this leaves
# room for the notices' messages and reminders, which go to Feishu people too.
FEISHU_MESSAGES_PER_SECOND = 12.0


class Load:
    """Builds the requests and sends them on schedule."""

    def __init__(self, args: argparse.Namespace, bases: list[str], aes_key: str,
                 feishu: FakeFeishu, token: str) -> None:  # fmt: skip
        self.args = args
        self.bases = itertools.cycle(bases)
        self.signer = CallbackSigner(WECOM_TOKEN, aes_key, CORP_ID)
        self.feishu = feishu
        self.token = token
        self.random = random.Random(20261203)
        self.sent: list[Sent] = []
        self.n = 0
        self.writers = {"wecom": 0, "feishu": 0}
        self.feishu_credit = 0.0
        self.retry_queue: list[tuple[str, dict[str, str], bytes]] = []

    def _next(self) -> tuple[Sent, str, dict[str, str], bytes]:
        """The next request: (record, path, headers, body)."""
        self.n += 1
        n, people = self.n, self.args.people
        now = time.time()
        if n % 100 == 0:
            body = json.dumps({
                "account": "acc", "problem": f"栏目链接失效（第{n}次巡检）",
                "category": "broken_link", "severity": "serious", "external_id": f"soak-{n}",
            }, ensure_ascii=False).encode()  # fmt: skip
            headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
            return Sent("notice", "", now), "/api/rectifications", headers, body
        if self.retry_queue and self.random.random() < 0.05:
            path, headers, body = self.retry_queue.pop(self.random.randrange(len(self.retry_queue)))
            return Sent("retry", "", now), path, headers, body
        text = "帮助" if n % 2 else "我的信息"
        # Feishu gets its share up to the app's send limit (see the module's docstring).
        self.feishu_credit += min(0.5, FEISHU_MESSAGES_PER_SECOND / self.args.rate)
        platform = "feishu" if self.feishu_credit >= 1 else "wecom"
        if platform == "feishu":
            self.feishu_credit -= 1
        # Each person writes every few seconds, in turn: their replies never interleave.
        person = self.writers[platform] % people
        self.writers[platform] += 1
        if platform == "wecom":
            xml = text_xml(CORP_ID, f"w{person}", text, str(10**12 + n))
            signed = self.signer.post(xml)
            request = (f"/wecom/callback?{signed.query}", {"Content-Type": "text/xml"}, signed.body)
            record = Sent("wecom", f"w{person}", now)
        else:
            payload = self.feishu.message_event(sender_open_id=f"ou_f{person}", text=text)
            headers, body = self.feishu.build_request(payload)
            request = ("/feishu/events", headers, body)
            record = Sent("feishu", f"oc_p2p_ou_f{person}", now)
        self.retry_queue.append(request)
        del self.retry_queue[:-50]
        return record, *request

    async def run(self, session: aiohttp.ClientSession, seconds: float, rate: float) -> None:
        started = time.time()
        tasks: set[asyncio.Task[None]] = set()
        for i in range(int(seconds * rate)):
            scheduled = started + i / rate
            delay = scheduled - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            record, path, headers, body = self._next()
            record.scheduled = scheduled
            self.sent.append(record)
            task = asyncio.create_task(self._send(session, next(self.bases), record, path,
                                                  headers, body))  # fmt: skip
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.wait(tasks)

    async def _send(self, session: aiohttp.ClientSession, base: str, record: Sent, path: str,
                    headers: dict[str, str], body: bytes) -> None:  # fmt: skip
        try:
            async with session.post(base + path, data=body, headers=headers) as resp:
                await resp.read()
                record.status = resp.status
        except Exception as exc:  # counted as an error, never hidden
            record.error = f"{type(exc).__name__}: {exc}"


def replies(wecom: TimedWeCom, feishu: FakeFeishu) -> dict[str, list[float]]:
    """Reply arrival times per addressee, for the writers only (not the notice recipients)."""
    found: dict[str, list[float]] = defaultdict(list)
    for call, at in zip(wecom.calls, wecom.arrived, strict=True):
        if call.path == "/cgi-bin/message/send" and call.answer and call.answer.get("errcode") == 0:
            found[str(call.body.get("touser"))].append(at)
    for message in feishu.messages.values():
        if message.from_bot and message.chat_id.startswith("oc_p2p_ou_f"):
            found[message.chat_id].append(message.created_at)
    return found


def pair_latencies(
    sent: list[Sent], arrived: dict[str, list[float]]
) -> tuple[list[float], int, int]:
    """Each callback's reply is the next reply to that person after it (people write every few
    seconds, so replies never interleave). Returns latencies, missing, doubled."""
    asked: dict[str, list[float]] = defaultdict(list)
    for s in sent:
        if s.kind in ("wecom", "feishu") and s.status == 200:
            asked[s.who].append(s.scheduled)
    latencies: list[float] = []
    missing = doubled = 0
    for who, times in asked.items():
        got = sorted(arrived.get(who, []))
        missing += max(0, len(times) - len(got))
        doubled += max(0, len(got) - len(times))
        for t, r in zip(sorted(times), got, strict=False):
            latencies.append(r - t)
    return latencies, missing, doubled


async def db_sample() -> tuple[int, int, int]:
    from storage.enums import InboundStatus, OutboxStatus
    from storage.models.deadlines import DeadlineStep, StepStatus
    from storage.models.machinery import InboundEvent, OutboxMessage

    depth = await OutboxMessage.filter(
        status__in=[OutboxStatus.PENDING, OutboxStatus.SENDING]
    ).count()
    backlog = await InboundEvent.filter(status=InboundStatus.RECEIVED).count()
    fired = await DeadlineStep.filter(status=StepStatus.FIRED).count()
    return depth, backlog, fired


async def run(args: argparse.Namespace) -> Report:
    from storage.db import close_db, init_db

    work = Path(tempfile.mkdtemp(prefix="dutybot-soak-"))
    db_url = args.pg_url
    await reset_postgres(db_url.split("?", 1)[0])  # the query may carry pool options
    wecom = TimedWeCom(corp_id=CORP_ID, agent_id=AGENT_ID)
    feishu = FakeFeishu()
    wecom_url = await wecom.start()
    feishu_url = await feishu.start()
    aes_key = random_aes_key()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DUTYBOT_")},
        "PYTHONPATH": str(ROOT),
        "DUTYBOT_DATABASE_URL": db_url,
        "DUTYBOT_REDIS_URL": args.redis_url,
        "DUTYBOT_LOG_LEVEL": "WARNING",
        "DUTYBOT_HTTP_HOST": "127.0.0.1",
        "DUTYBOT_CONSOLE": "false",
        "DUTYBOT_POLICY_OVERRIDES": json.dumps(ONE_MINUTE),
        "DUTYBOT_CALENDAR_FILE": str(work / "calendar.toml"),
        "DUTYBOT_WECOM_CORP_ID": CORP_ID,
        "DUTYBOT_WECOM_AGENT_ID": str(AGENT_ID),
        "DUTYBOT_WECOM_SECRET": wecom.secret,
        "DUTYBOT_WECOM_TOKEN": WECOM_TOKEN,
        "DUTYBOT_WECOM_AES_KEY": aes_key,
        "DUTYBOT_WECOM_API_BASE": wecom_url,
        "DUTYBOT_FEISHU_APP_ID": feishu.app_id,
        "DUTYBOT_FEISHU_APP_SECRET": feishu.app_secret,
        "DUTYBOT_FEISHU_ENCRYPT_KEY": feishu.encrypt_key,
        "DUTYBOT_FEISHU_VERIFICATION_TOKEN": feishu.verification_token,
        "DUTYBOT_FEISHU_API_BASE": feishu_url,
    }
    python = sys.executable
    (work / "org.yaml").write_text(org_yaml(args.people), encoding="utf-8")
    for step in (["db", "upgrade"], ["org", "load", str(work / "org.yaml")]):
        subprocess.run([python, "-m", "bot", *step], env={**env, "DUTYBOT_HOME": str(work)},
                       check=True, capture_output=True)  # fmt: skip
    token_run = subprocess.run(
        [python, "-m", "bot", "rectification", "token", "create", "soak-monitor"],
        env={**env, "DUTYBOT_HOME": str(work)}, capture_output=True, text=True, check=True,
    )  # fmt: skip
    token = re.search(r"^(zg_\S+)$", token_run.stdout, re.MULTILINE)
    assert token is not None, token_run.stdout
    import redis.asyncio as aioredis

    client = aioredis.from_url(args.redis_url)
    await client.flushdb()
    await client.aclose()

    procs: dict[str, subprocess.Popen[bytes]] = {}
    bases = []
    for name in ("web-1", "web-2", "worker-1", "worker-2"):
        home = work / name
        home.mkdir()
        proc_env = {**env, "DUTYBOT_HOME": str(home)}
        command = "serve" if name.startswith("web") else "worker"
        if command == "serve":
            port = free_port()
            proc_env["DUTYBOT_HTTP_PORT"] = str(port)
            bases.append(f"http://127.0.0.1:{port}")
        procs[name] = subprocess.Popen(
            [python, "-m", "bot", command], env=proc_env, cwd=home,
            stdout=(work / f"{name}.log").open("wb"), stderr=subprocess.STDOUT,
        )  # fmt: skip
    samples: list[Sample] = []
    load = Load(args, bases, aes_key, feishu, token.group(1))
    try:
        for base in bases:
            await wait_http(base + "/healthz", within=60)
        await asyncio.sleep(3)  # the workers' first sweeps
        await init_db(db_url)
        started = time.time()
        stop = asyncio.Event()

        async def sampler() -> None:
            while not stop.is_set():
                depth, backlog, fired = await db_sample()
                rss = {n: rss_kib(p.pid) for n, p in procs.items()}
                cpu = {n: cpu_seconds(p.pid) for n, p in procs.items()}
                samples.append(Sample(time.time() - started, depth, backlog, fired, rss, cpu))
                print(f"[{samples[-1].at:6.0f}s] sent {len(load.sent)}  inbound backlog {backlog}  "
                      f"outbox depth {depth}  "
                      f"steps fired {fired}  rss MiB "
                      + " ".join(f"{n}={k / 1024:.0f}" for n, k in samples[-1].rss_kib.items()),
                      flush=True)  # fmt: skip
                with_timeout = asyncio.create_task(stop.wait())
                await asyncio.wait({with_timeout}, timeout=SAMPLE_SECONDS)
                with_timeout.cancel()

        sampling = asyncio.create_task(sampler())
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector) as session:
            await load.run(session, args.seconds, args.rate)
        # Let the last replies arrive and the last countdowns (one minute) run out.
        drain_until = time.time() + args.drain
        while time.time() < drain_until:
            depth, backlog, fired = await db_sample()
            notices = sum(1 for s in load.sent if s.kind == "notice" and s.status == 201)
            if depth == 0 and backlog == 0 and fired >= 3 * notices:
                break
            await asyncio.sleep(1)
        stop.set()
        await sampling
        report = await summarise(args, load, samples, wecom, feishu, started)
        await close_db()
    finally:
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        await wecom.stop()
        await feishu.close()
    report.log_errors = [
        f"{name}: {line}"
        for name in procs
        for line in (work / f"{name}.log").read_text(errors="replace").splitlines()
        if " ERROR " in line or "Traceback" in line
    ][:20]
    return report


async def summarise(args: argparse.Namespace, load: Load, samples: list[Sample],
                    wecom: TimedWeCom, feishu: FakeFeishu, started: float) -> Report:  # fmt: skip
    from storage.enums import OutboxStatus
    from storage.models.deadlines import DeadlineStep, StepStatus
    from storage.models.machinery import OutboxMessage

    errors: Counter[str] = Counter()
    for s in load.sent:
        expected = 201 if s.kind == "notice" else 200
        if s.error:
            errors[s.error.split(":")[0]] += 1
        elif s.status != expected:
            errors[f"HTTP {s.status} ({s.kind})"] += 1
    latencies, missing, doubled = pair_latencies(load.sent, replies(wecom, feishu))
    outbox_failed = await OutboxMessage.filter(status=OutboxStatus.FAILED).count()
    steps = await DeadlineStep.filter(status=StepStatus.FIRED).values_list("fire_at", "fired_at")
    interval = max(SAMPLE_SECONDS, round(args.seconds / 10))
    lag_by: dict[int, list[float]] = defaultdict(list)
    all_lags = []
    for fire_at, fired_at in steps:
        lag = (fired_at - fire_at).total_seconds()
        all_lags.append(lag)
        lag_by[int((fired_at.timestamp() - started) // interval)].append(lag)
    buckets = int(samples[-1].at // interval) + 1 if samples else 0
    warm = [s for s in samples if s.at >= min(60.0, args.seconds * 0.2)] or samples
    growth = {
        name: (warm[-1].rss_kib[name] - warm[0].rss_kib[name]) / warm[0].rss_kib[name]
        for name in warm[0].rss_kib
        if warm[0].rss_kib[name]
    }
    notices = sum(1 for s in load.sent if s.kind == "notice" and s.status == 201)
    return Report(
        seconds=args.seconds,
        rate=args.rate,
        requests=len(load.sent),
        by_kind=dict(Counter(s.kind for s in load.sent)),
        errors=dict(errors),
        reply_p50_ms=percentile(latencies, 0.5) * 1000,
        reply_p99_ms=percentile(latencies, 0.99) * 1000,
        reply_max_ms=max(latencies, default=float("nan")) * 1000,
        replies_missing=missing,
        replies_doubled=doubled,
        outbox_failed=outbox_failed,
        memory_growth=growth,
        rss_mib={
            name: [
                round(
                    max((s.rss_kib[name] for s in samples if int(s.at // interval) == b), default=0)
                    / 1024,
                    1,
                )
                for b in range(buckets)
            ]
            for name in (samples[0].rss_kib if samples else {})
        },
        cpu_percent={
            name: [_cpu(samples, name, interval, b) for b in range(buckets)]
            for name in (samples[0].cpu_seconds if samples else {})
        },
        cpu_seconds={
            name: round(samples[-1].cpu_seconds[name] - samples[0].cpu_seconds[name], 1)
            for name in (samples[0].cpu_seconds if samples else {})
        },
        deliveries=sum(1 for s in load.sent if s.kind in ("wecom", "feishu") and s.status == 200),
        outbox_depth=[
            max((s.outbox_depth for s in samples if int(s.at // interval) == b), default=0)
            for b in range(buckets)
        ],
        inbound_backlog=[
            max((s.inbound_backlog for s in samples if int(s.at // interval) == b), default=0)
            for b in range(buckets)
        ],
        lag_p99_ms=[
            round(percentile(lag_by[b], 0.99) * 1000) if lag_by[b] else 0 for b in range(buckets)
        ],
        lag_max_ms=max(all_lags, default=float("nan")) * 1000,
        steps_fired=len(steps),
        steps_expected=3 * notices,
        interval_seconds=interval,
    )


def _cpu(samples: list[Sample], name: str, interval: float, bucket: int) -> float:
    """CPU use of a process in an interval, from consecutive samples (100 = one core)."""
    used = spent = 0.0
    for before, after in itertools.pairwise(samples):
        if int(after.at // interval) == bucket:
            used += after.cpu_seconds[name] - before.cpu_seconds[name]
            spent += after.at - before.at
    return round(100 * used / spent) if spent else 0.0


def _per_delivery(report: Report) -> float:
    workers = sum(c for n, c in report.cpu_seconds.items() if n.startswith("worker"))
    return 1000 * workers / report.deliveries if report.deliveries else float("nan")


def show(report: Report) -> str:
    growth = ", ".join(f"{n} {g:+.1%}" for n, g in report.memory_growth.items())
    lines = [
        f"{report.requests} requests in {report.seconds:.0f} s at {report.rate:g}/s "
        f"({', '.join(f'{k} {v}' for k, v in report.by_kind.items())})",
        f"errors: {report.errors or 'none'}; replies missing {report.replies_missing}, "
        f"doubled {report.replies_doubled}; outbox rows given up {report.outbox_failed}",
        f"callback → reply delivered: p50 {report.reply_p50_ms:.0f} ms, "
        f"p99 {report.reply_p99_ms:.0f} ms, max {report.reply_max_ms:.0f} ms",
        f"memory growth after warm-up: {growth}",
        "CPU seconds used: "
        + ", ".join(f"{n} {c:.0f}" for n, c in report.cpu_seconds.items())
        + f" (workers: {_per_delivery(report):.0f} ms per answered callback)",
        f"deadline steps fired {report.steps_fired} of {report.steps_expected}; "
        f"lag max {report.lag_max_ms:.0f} ms",
        f"per {report.interval_seconds:g} s: inbound backlog max {report.inbound_backlog}",
        f"per {report.interval_seconds:g} s: outbox depth max {report.outbox_depth}",
        f"per {report.interval_seconds:g} s: deadline lag p99 ms {report.lag_p99_ms}",
    ]
    lines += [
        f"per {report.interval_seconds:g} s: {n} RSS MiB {v}" for n, v in report.rss_mib.items()
    ]
    lines += [
        f"per {report.interval_seconds:g} s: {n} CPU % {v}" for n, v in report.cpu_percent.items()
    ]
    if report.log_errors:
        lines.append("ERROR lines in the logs:\n  " + "\n  ".join(report.log_errors))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--people", type=int, default=500, help="writers on each platform")
    parser.add_argument("--short", action="store_true", help="60 s at 50/s, 100 people")
    parser.add_argument(
        "--drain", type=float, default=300.0, help="after the load, wait at most this long"
    )
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/dutybot_soak")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/7")
    parser.add_argument("--json", type=Path, help="also write the report as JSON here")
    args = parser.parse_args()
    # `timeout` or Ctrl-C: stop the four processes too (the finally blocks run).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    if args.short:
        args.seconds, args.rate, args.people = 60.0, 50.0, 100
    report = asyncio.run(run(args))
    print()
    print(show(report))
    if args.json:
        args.json.write_text(json.dumps(asdict(report), indent=2, ensure_ascii=False), "utf-8")


if __name__ == "__main__":
    main()
