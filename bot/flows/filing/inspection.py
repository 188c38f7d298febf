"""检查指标自评: each account against the national checklist, as far as the bot can see.

《政府网站与政务新媒体检查指标》（国办秘函〔2019〕19号） judges a 政务新媒体 by 单项否决 items (any
one makes it 不合格) and 扣分 items. The bot holds data for a few of them; this module maps that
data to a per-account result, each point naming the indicator it comes from, and lists the
indicators the bot cannot see so nobody mistakes the figure for the full inspection.

The point values are the bot's weighting, not the circular's (the checklist's point table is
applied by the inspecting office); see docs/decisions/proofing.md. ``assess`` is pure;
``gather`` reads the figures.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.functions import Max

from bot.flows.review.check import PERSONAL_DATA, FindingKind
from storage.models.org import Account
from storage.models.rectification import RectCategory, Rectification, Severity
from storage.models.review import AccountUpdate, Post, PostStatus, PostVersion

CHECKLIST = "《政府网站与政务新媒体检查指标》（国办秘函〔2019〕19号）"
SILENCE_DAYS = 14
WINDOW_DAYS = 90

VETO_SILENCE = "单项否决·内容不更新（监测时间点前2周内无更新）"
VETO_SECURITY = "单项否决·安全、泄密事故等严重问题（严重表述错误等）"
INTERACTION = "扣分·互动回应（网民留言未回复）"
ACCURACY = "扣分·发布内容（错别字、表述不规范等错敏问题）"
PRIVACY = "扣分·发布内容（泄露个人信息）"
AVAILABILITY = "扣分·功能设置（链接失效、无法访问）"

# (indicator, points per occurrence, most points the indicator can take)
WEIGHTS = {
    INTERACTION: (5, 20),
    ACCURACY: (2, 20),
    PRIVACY: (5, 20),
    AVAILABILITY: (2, 10),
}

NOT_SEEN = (
    "账号认证与名称规范（平台认证信息、名称与主办单位是否一致）",
    "互动功能的设置与答复质量（是否提供留言功能、答复是否敷衍）",
    "菜单、自动回复、服务功能是否可用（只看到已下发整改的链接失效）",
    "原创与转载比例、权威信息转载",
    "账号安全防护（口令、权限、登录设备）",
    "加分项（服务创新、传播影响力）",
    "未经本系统送审、直接在平台发布的内容",
)


@dataclass(frozen=True)
class Figures:
    """What the bot knows about one account at ``now``."""

    account_label: str
    days_since_update: int | None  # None: no update recorded
    days_since_opened: int | None  # None: the registry has no opening date
    counts: Counter[str] = field(default_factory=Counter)  # indicator → occurrences in window
    serious: int = 0  # serious content-error rectifications in the window


@dataclass(frozen=True)
class Assessment:
    account_label: str
    score: int
    vetoed: tuple[str, ...]
    points: tuple[tuple[str, int, int], ...]  # (indicator, occurrences, points deducted)

    @property
    def verdict(self) -> str:
        return "不合格（单项否决）" if self.vetoed else f"{self.score}分"

    def summary(self) -> str:
        """One cell: 不合格（单项否决：…） / 88分（扣分：…） / 100分."""
        if self.vetoed:
            reasons = "；".join(v.removeprefix("单项否决·") for v in self.vetoed)
            return f"不合格（单项否决：{reasons}）"
        if not self.points:
            return self.verdict
        parts = "；".join(f"{n.removeprefix('扣分·')}{c}次扣{p}分" for n, c, p in self.points)
        return f"{self.verdict}（{parts}）"

    def lines(self) -> list[str]:
        out = [f"{self.account_label}：{self.verdict}"]
        out += [f"  · {v}" for v in self.vetoed]
        out += [f"  · {name}：{n}次，扣{pts}分" for name, n, pts in self.points]
        if not self.vetoed and not self.points:
            out.append("  · 本系统掌握的指标均未发现问题")
        return out


def assess(figures: Figures) -> Assessment:
    """单项否决 first; then 100 minus the capped deductions (the bot's weights)."""
    vetoed: list[str] = []
    silent = figures.days_since_update
    if silent is None:
        silent = figures.days_since_opened  # opened and never updated: silent since opening
    if silent is not None and silent >= SILENCE_DAYS:
        vetoed.append(VETO_SILENCE)
    if figures.serious:
        vetoed.append(VETO_SECURITY)
    points: list[tuple[str, int, int]] = []
    for name, (each, cap) in WEIGHTS.items():
        n = figures.counts.get(name, 0)
        if n:
            points.append((name, n, min(cap, n * each)))
    score = 100 - sum(p for _, _, p in points)
    return Assessment(figures.account_label, score, tuple(vetoed), tuple(points))


_RECT_INDICATOR = {
    RectCategory.MESSAGE_UNANSWERED: INTERACTION,
    RectCategory.CONTENT_ERROR: ACCURACY,
    RectCategory.NETIZEN_REPORT: ACCURACY,
    RectCategory.BROKEN_LINK: AVAILABILITY,
}
_ERROR_KINDS = frozenset({FindingKind.NAME, FindingKind.WORDING, FindingKind.SENSITIVE})


def published_findings(findings: Iterable[dict[str, object]]) -> Counter[str]:
    """A published version's pre-review findings the author kept (仍然送审), by indicator."""
    found: Counter[str] = Counter()
    for raw in findings:
        kind = FindingKind(str(raw["kind"]))
        if kind in PERSONAL_DATA:
            found[PRIVACY] += 1
        elif kind in _ERROR_KINDS:
            found[ACCURACY] += 1
    return found


async def gather(
    conn: BaseDBAsyncClient | None,
    accounts: Sequence[Account],
    now: datetime,
    since: datetime | None = None,
) -> list[Figures]:
    """Each account's figures at ``now``: the last update, the window's rectifications by
    category and the published posts that went out with findings kept (the window is the
    last ``WINDOW_DAYS`` days, or a report's period from ``since``)."""
    ids = [a.id for a in accounts]
    since = now - timedelta(days=WINDOW_DAYS) if since is None else since
    last = dict(
        await AccountUpdate.filter(account_id__in=ids, published_at__lte=now)
        .using_db(conn)
        .group_by("account_id")
        .annotate(last=Max("published_at"))
        .values_list("account_id", "last")
    )
    counts: dict[int, Counter[str]] = {a.id: Counter() for a in accounts}
    serious: Counter[int] = Counter()
    rects = (
        await Rectification.filter(account_id__in=ids, issued_at__gte=since, issued_at__lte=now)
        .using_db(conn)
        .values_list("account_id", "category", "severity")
    )
    for account_id, category, severity in rects:
        if category == RectCategory.CONTENT_ERROR and severity == Severity.SERIOUS:
            serious[account_id] += 1
            continue
        indicator = _RECT_INDICATOR.get(RectCategory(category))
        if indicator is not None:
            counts[account_id][indicator] += 1
    # Published posts of the window, and the findings of each one's published version, in two
    # queries: one query per post made a district's quarterly report (100,000 posts) take
    # over a minute.
    published = {"status": PostStatus.PUBLISHED, "updated_at__gte": since, "updated_at__lte": now}
    versions = (
        await PostVersion.filter(**{f"post__{k}": v for k, v in published.items()})
        .using_db(conn)
        .values_list("post_id", "number", "findings")
    )
    findings = {(post_id, number): found for post_id, number, found in versions if found}
    posts = (
        await Post.filter(**published).using_db(conn).values_list("id", "version", "account_ids")
    )
    for post_id, number, account_ids in posts:
        targets = [i for i in account_ids or [] if i in counts]
        found = findings.get((post_id, number))
        if not targets or not found:
            continue
        kept = published_findings(found)
        for account_id in targets:
            counts[account_id].update(kept)
    figures: list[Figures] = []
    for account in accounts:
        last_at = _aware(last.get(account.id))
        figures.append(
            Figures(
                account_label=account.label,
                days_since_update=None if last_at is None else (now - last_at).days,
                days_since_opened=None
                if account.opened_on is None
                else (now.date() - account.opened_on).days,
                counts=counts[account.id],
                serious=serious[account.id],
            )
        )
    return figures


def _aware(value: object) -> datetime | None:
    """Aggregates come back naive from SQLite (stored as UTC)."""
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
