"""Pre-review check (送审前自检): what a post must not carry, found before any reviewer sees it.

Pure functions, no I/O. Personal data (yongchuan 第十七条: ID numbers, phone numbers, detailed
addresses), commercial advertising wording (dongguan 三（二）, kunming 第十二条, jiaxian
第十条（一）), a repost without its source (every preset) and a deployment's sensitive words.
Every finding says where it is (line, column and an excerpt) so the clerk can fix it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from bot.flows.review.proofing import HitKind, Proofreader


class FindingKind(StrEnum):
    ID_NUMBER = "id_number"
    MOBILE = "mobile"
    LANDLINE = "landline"
    BANK_CARD = "bank_card"
    EMAIL = "email"
    ADDRESS = "address"
    ADVERTISING = "advertising"
    REPOST_SOURCE = "repost_source"
    SENSITIVE = "sensitive"
    NAME = "name"
    WORDING = "wording"
    TYPO = "typo"

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]


_KIND_LABELS = {
    FindingKind.ID_NUMBER: "身份证号",
    FindingKind.MOBILE: "手机号",
    FindingKind.LANDLINE: "座机号码",
    FindingKind.BANK_CARD: "银行卡号",
    FindingKind.EMAIL: "电子邮箱",
    FindingKind.ADDRESS: "详细住址",
    FindingKind.ADVERTISING: "商业广告用语",
    FindingKind.REPOST_SOURCE: "转载未注明来源",
    FindingKind.SENSITIVE: "敏感词",
    FindingKind.NAME: "名称有误",
    FindingKind.WORDING: "表述不规范",
    FindingKind.TYPO: "用字建议",
}

_PROOFING_KINDS = {
    HitKind.NAME: FindingKind.NAME,
    HitKind.WORDING: FindingKind.WORDING,
    HitKind.TYPO: FindingKind.TYPO,
}

# Findings that only suggest: shown to the author and the reviewers, never stopping a post.
SUGGESTIONS = frozenset({FindingKind.TYPO})

PERSONAL_DATA = frozenset(
    {
        FindingKind.ID_NUMBER,
        FindingKind.MOBILE,
        FindingKind.LANDLINE,
        FindingKind.BANK_CARD,
        FindingKind.EMAIL,
        FindingKind.ADDRESS,
    }
)


@dataclass(frozen=True)
class Finding:
    """One problem: what it is, where (0-based offsets into the text), and what to do."""

    kind: FindingKind
    start: int
    end: int
    line: int  # 1-based
    column: int  # 1-based, in characters
    excerpt: str  # the surrounding words, with the match masked where it is personal data
    match: str
    advice: str
    part: str = ""  # "标题" / "正文" / "附件《…》" when the caller checks them separately
    standard: str = ""  # 纠错: what the text should read
    source: str = ""  # 纠错: where the standard form comes from

    @property
    def where(self) -> str:
        if self.start < 0:
            return "整篇"
        if self.part == "标题":
            return f"标题第{self.column}字"
        return f"{self.part}第{self.line}行第{self.column}字"

    def describe(self) -> str:
        """第2行第15字 手机号：“…联系电话138****5678，欢迎…” — 请删除或改为单位办公电话。"""
        at = f"{self.where} " if self.start >= 0 else ""
        excerpt = f"：“{self.excerpt}”" if self.excerpt else ""
        if self.standard:
            source = f"（依据：{self.source}）" if self.source else ""
            return (
                f"{at}{self.kind.label}：“{self.match}”应为“{self.standard}”"
                f"（{self.excerpt}）。{self.advice}{source}"
            )
        return f"{at}{self.kind.label}{excerpt}。{self.advice}"

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind.value,
            "start": self.start,
            "end": self.end,
            "line": self.line,
            "column": self.column,
            "excerpt": self.excerpt,
            "advice": self.advice,
            "part": self.part,
            "standard": self.standard,
            "source": self.source,
            # The found words only for 纠错 findings: personal data is stored masked, never whole.
            "match": self.match if self.standard else "",
        }


# ---- number checks (pure) ----------------------------------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_check_digit(first17: str) -> str:
    """The GB 11643-1999 check character of an 18-digit citizen ID number."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def _valid_ymd(text: str, *, earliest: int = 1900, latest: int = 2100) -> bool:
    try:
        year, month, day = int(text[:4]), int(text[4:6]), int(text[6:8])
        if not earliest <= year <= latest:
            return False
        date(year, month, day)
    except ValueError:
        return False
    return True


def is_valid_id_number(number: str) -> bool:
    """18 characters, a plausible region and birth date, and the right check character."""
    number = number.upper()
    if not re.fullmatch(r"\d{17}[\dX]", number):
        return False
    if number[0] not in "12345678":
        return False
    if not _valid_ymd(number[6:14]):
        return False
    return id_check_digit(number[:17]) == number[17]


def luhn_ok(digits: str) -> bool:
    """The Luhn (mod 10) check used by bank card numbers."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def looks_like_dates(digits: str) -> bool:
    """A digit run made of dates or date-times (20261009, 2026100920261010, 202610091030…)."""
    if len(digits) >= 8 and len(digits) % 8 == 0:
        chunks = [digits[i : i + 8] for i in range(0, len(digits), 8)]
        if all(_valid_ymd(c) for c in chunks):
            return True
    return bool(len(digits) in (12, 14) and _valid_ymd(digits[:8]))


# ---- patterns ----------------------------------------------------------------------------------

# Digits may be grouped with spaces or hyphens ("6222 0212 3456 7890 123", "138-1234-5678").
_DIGIT_RUN = re.compile(r"(?<![\dA-Za-z])\d(?:[\d]|[ \-](?=\d)){6,24}[\dXx]?(?![\dA-Za-z])")
_MOBILE = re.compile(r"^(?:\+?86)?1[3-9]\d{9}$")
_LANDLINE_TEXT = re.compile(
    r"(?<![\d])(?:[(（]0\d{2,3}[)）]\s?\d{7,8}|0\d{2,3}[-－—]\d{7,8})(?:[-－转]\d{1,6})?(?![\d])"
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_CN_NUM = r"[0-9０-９一二三四五六七八九十百零]+"
_ADDRESS = re.compile(
    # 人民路12号3栋2单元501室 / 新华街8号院 / 河西镇黄桷村3组27号 / 幸福小区5栋1单元302
    r"[\u4e00-\u9fa5]{1,12}(?:路|街|大道|大街|巷|胡同|弄|村|社区|小区|花园|公寓)"
    rf"(?:{_CN_NUM}(?:组|社|队))?\s*{_CN_NUM}\s*(?:号院?|栋|幢|号楼)"
    rf"(?:\s*{_CN_NUM}\s*(?:号|栋|幢|号楼|单元|楼|层|室|户))*"
    rf"|{_CN_NUM}\s*(?:栋|幢|号楼)\s*{_CN_NUM}\s*单元\s*{_CN_NUM}\s*(?:室|号)?"
)

# Wording that advertises goods or services (广告法 absolute terms and sales calls to action).
ADVERTISING_TERMS: tuple[str, ...] = (
    "全网最低",
    "最低价",
    "史上最低",
    "国家级产品",
    "最高级",
    "最佳品牌",
    "第一品牌",
    "销量第一",
    "顶级品质",
    "极品",
    "限时抢购",
    "限时特惠",
    "秒杀",
    "抢购",
    "立即购买",
    "扫码购买",
    "扫码下单",
    "点击购买",
    "购买链接",
    "优惠券",
    "领券",
    "包邮",
    "代购",
    "团购价",
    "特价",
    "折扣价",
    "促销",
    "加微信咨询",
    "私信下单",
    "招商加盟",
)

_REPOST_MARK = re.compile(r"(?:来源|来\s*源|转自|转载自|稿源|出处)\s*[:：]")


# ---- the check ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckInput:
    """What is checked: the text (title included by the caller), the post kind and its source."""

    text: str
    repost: bool = False
    source: str = ""


@dataclass(frozen=True)
class CheckResult:
    findings: tuple[Finding, ...]

    @property
    def clean(self) -> bool:
        """Nothing that stops the post (suggestions go to review with it)."""
        return not self.blocking

    @property
    def blocking(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.kind not in SUGGESTIONS)

    @property
    def suggestions(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.kind in SUGGESTIONS)

    def summary(self) -> str:
        if not self.findings:
            return "未发现问题"
        counts: dict[str, int] = {}
        for f in self.findings:
            counts[f.kind.label] = counts.get(f.kind.label, 0) + 1
        return "发现" + "、".join(f"{k}{v}处" for k, v in counts.items())

    def lines(self, limit: int = 12, only: Sequence[Finding] | None = None) -> list[str]:
        findings = self.findings if only is None else tuple(only)
        shown = [f"{i}. {f.describe()}" for i, f in enumerate(findings[:limit], start=1)]
        if len(findings) > limit:
            shown.append(f"……另有{len(findings) - limit}处，请通读全文核对。")
        return shown

    def to_json(self) -> list[dict[str, object]]:
        return [f.to_json() for f in self.findings]


def check_post(
    item: CheckInput,
    *,
    sensitive_words: Sequence[str] = (),
    advertising_terms: Sequence[str] = ADVERTISING_TERMS,
    proofreader: Proofreader | None = None,
) -> CheckResult:
    """Every finding in the text, in reading order (the repost-source finding last)."""
    text = item.text
    findings: list[Finding] = []
    taken: list[tuple[int, int]] = []

    def add(kind: FindingKind, start: int, end: int, advice: str, *, hide: bool) -> None:
        if any(start < e and s < end for s, e in taken):
            return
        taken.append((start, end))
        findings.append(_finding(text, kind, start, end, advice, hide=hide))

    # Numbers first, longest meaning first, so a phone number inside an ID is not reported twice.
    for match in _DIGIT_RUN.finditer(text):
        raw = match.group()
        digits = re.sub(r"[ \-]", "", raw)
        start, end = match.start(), match.end()
        if len(digits) == 18 and is_valid_id_number(digits):
            add(
                FindingKind.ID_NUMBER,
                start,
                end,
                "公开发布不得包含身份证号，请删除。",
                hide=True,
            )
            continue
        if not digits.isdigit():
            continue
        if _MOBILE.match(digits) and (len(digits) == 11 or digits.startswith("86")):
            add(
                FindingKind.MOBILE,
                start,
                end,
                "公开发布不得包含个人手机号，请删除或改为单位办公电话。",
                hide=True,
            )
            continue
        if 16 <= len(digits) <= 19 and not looks_like_dates(digits) and luhn_ok(digits):
            add(FindingKind.BANK_CARD, start, end, "请删除银行卡号。", hide=True)
            continue
        if digits.startswith("0") and 10 <= len(digits) <= 12 and " " not in raw:
            add(
                FindingKind.LANDLINE,
                start,
                end,
                "请确认是否为单位公开电话；个人电话请删除。",
                hide=False,
            )
    for match in _LANDLINE_TEXT.finditer(text):
        add(
            FindingKind.LANDLINE,
            match.start(),
            match.end(),
            "请确认是否为单位公开电话；个人电话请删除。",
            hide=False,
        )
    for match in _EMAIL.finditer(text):
        add(
            FindingKind.EMAIL,
            match.start(),
            match.end(),
            "请确认是否为单位公开邮箱；个人邮箱请删除。",
            hide=True,
        )
    for match in _ADDRESS.finditer(text):
        add(
            FindingKind.ADDRESS,
            match.start(),
            match.end(),
            "疑似个人详细住址，请删除门牌号等细节。",
            hide=False,
        )
    for term, start in _occurrences(text, advertising_terms):
        add(
            FindingKind.ADVERTISING,
            start,
            start + len(term),
            "政务新媒体不得发布商业广告，请删除或改写。",
            hide=False,
        )
    for word, start in _occurrences(text, sensitive_words):
        add(
            FindingKind.SENSITIVE,
            start,
            start + len(word),
            f"包含敏感词“{word}”，请核实或改写。",
            hide=False,
        )
    if proofreader is not None:
        for hit in proofreader.check(text):
            before = len(findings)
            add(_PROOFING_KINDS[hit.kind], hit.start, hit.end, hit.advice, hide=False)
            if len(findings) > before:
                findings[-1] = replace(findings[-1], standard=hit.standard, source=hit.source)
    findings.sort(key=lambda f: f.start)
    if item.repost and not item.source.strip() and not _REPOST_MARK.search(text):
        findings.append(
            Finding(
                kind=FindingKind.REPOST_SOURCE,
                start=-1,
                end=-1,
                line=0,
                column=0,
                excerpt="",
                match="",
                advice="转载须注明来源（稿源单位或原文出处），请补充。",
            )
        )
    return CheckResult(findings=tuple(findings))


def check_title_and_text(
    title: str,
    text: str,
    *,
    repost: bool,
    source: str,
    sensitive_words: Sequence[str],
    proofreader: Proofreader | None = None,
    attachments: Sequence[tuple[str, str]] = (),
) -> CheckResult:
    """A post's check: the title, the text and each readable attachment (name, text) checked
    apart, so places read 标题第3字 / 正文第2行第5字 / 附件《通知.docx》第4行第2字 (the
    repost-source finding, about the whole post, stays without a part)."""
    words = sensitive_words
    in_title = check_post(CheckInput(text=title), sensitive_words=words, proofreader=proofreader)
    in_text = check_post(
        CheckInput(text=text, repost=repost, source=source),
        sensitive_words=words,
        proofreader=proofreader,
    )
    found = tuple(replace(f, part="标题") for f in in_title.findings) + tuple(
        replace(f, part="正文") if f.start >= 0 else f for f in in_text.findings
    )
    for name, content in attachments:
        in_file = check_post(
            CheckInput(text=content), sensitive_words=words, proofreader=proofreader
        )
        found += tuple(replace(f, part=f"附件《{name}》") for f in in_file.findings)
    return CheckResult(findings=found)


def _occurrences(text: str, words: Iterable[str]) -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []
    lowered = text.lower()
    # Longer words first so "限时抢购" wins over "抢购" at the same place.
    for word in sorted({w.strip() for w in words if w.strip()}, key=len, reverse=True):
        needle = word.lower()
        at = lowered.find(needle)
        while at >= 0:
            found.append((text[at : at + len(word)], at))
            at = lowered.find(needle, at + len(needle))
    return found


def mask(value: str) -> str:
    """Keep the first 3 and last 4 characters of personal data: 138****5678."""
    if "@" in value:
        name, _, domain = value.partition("@")
        return f"{name[:1]}***@{domain}"
    compact = re.sub(r"[\s\-－—]", "", value)
    if len(compact) <= 7:
        return compact[:1] + "*" * (len(compact) - 1)
    return compact[:3] + "*" * (len(compact) - 7) + compact[-4:]


def _finding(
    text: str, kind: FindingKind, start: int, end: int, advice: str, *, hide: bool
) -> Finding:
    matched = text[start:end]
    shown = mask(matched) if hide else matched
    before = text[max(0, start - 8) : start].split("\n")[-1]
    after = text[end : end + 8].split("\n")[0]
    prefix = "…" if start - len(before) > 0 and "\n" not in text[max(0, start - 8) : start] else ""
    suffix = "…" if end + len(after) < len(text) and "\n" not in text[end : end + 8] else ""
    line = text.count("\n", 0, start) + 1
    column = start - (text.rfind("\n", 0, start) + 1) + 1
    return Finding(
        kind=kind,
        start=start,
        end=end,
        line=line,
        column=column,
        excerpt=f"{prefix}{before}{shown}{after}{suffix}",
        match=matched,
        advice=advice,
    )
